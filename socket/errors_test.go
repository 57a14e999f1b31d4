package socket

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestErrnos checks that calls the kernel refuses return errors that name
// the op and the address, unwrap to the errno, and are traced with it.
func TestErrnos(t *testing.T) {
	tests := []struct {
		name  string
		op    string
		errno syscall.Errno
		// run makes the failing call with a socket traced by tr and
		// returns its error and the address it was given.
		run func(t *testing.T, ctx context.Context, tr Tracer) (net.Addr, error)
	}{
		{
			name: "connect to a closed port", op: "connect", errno: syscall.ECONNREFUSED,
			run: func(t *testing.T, ctx context.Context, tr Tracer) (net.Addr, error) {
				// A bound socket that does not listen holds the port
				// and refuses connections.
				hold := newSocket(t, INET, Stream, nil)
				if err := hold.Bind(loopback(INET, Stream)); err != nil {
					t.Fatal(err)
				}
				addr, err := hold.LocalAddr()
				if err != nil {
					t.Fatal(err)
				}
				return addr, newSocket(t, INET, Stream, tr).Connect(ctx, addr)
			},
		},
		{
			name: "bind to a busy port", op: "bind", errno: syscall.EADDRINUSE,
			run: func(t *testing.T, ctx context.Context, tr Tracer) (net.Addr, error) {
				ln := listener(t, INET, Stream, loopback(INET, Stream), nil)
				addr, err := ln.LocalAddr()
				if err != nil {
					t.Fatal(err)
				}
				f := newSocket(t, INET, Stream, tr)
				if err := f.SetOption(ReuseAddr, 1); err != nil {
					t.Fatal(err)
				}
				return addr, f.Bind(addr)
			},
		},
		{
			name: "unix connect to a missing path", op: "connect", errno: syscall.ENOENT,
			run: func(t *testing.T, ctx context.Context, tr Tracer) (net.Addr, error) {
				addr := &net.UnixAddr{Name: filepath.Join(t.TempDir(), "missing.sock"), Net: "unix"}
				return addr, newSocket(t, UNIX, Stream, tr).Connect(ctx, addr)
			},
		},
		{
			name: "send on an unconnected datagram socket", op: "send", errno: syscall.EDESTADDRREQ,
			run: func(t *testing.T, ctx context.Context, tr Tracer) (net.Addr, error) {
				_, err := newSocket(t, INET, Datagram, tr).Send(ctx, []byte("x"))
				return nil, err
			},
		},
		{
			name: "getpeername unconnected", op: "getpeername", errno: syscall.ENOTCONN,
			run: func(t *testing.T, ctx context.Context, tr Tracer) (net.Addr, error) {
				_, err := newSocket(t, INET, Stream, tr).PeerAddr()
				return nil, err
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, _ := testContext(t)
			var rec recorder
			addr, err := tt.run(t, ctx, rec.trace)
			if !errors.Is(err, tt.errno) {
				t.Fatalf("err = %v, want %v", err, tt.errno)
			}
			want := tt.op + ": " + tt.errno.Error()
			if addr != nil {
				want = tt.op + " " + addr.String() + ": " + tt.errno.Error()
			}
			if err.Error() != want {
				t.Errorf("err = %q, want %q", err, want)
			}
			var oe *OpError
			if !errors.As(err, &oe) || oe.Op != tt.op {
				t.Errorf("err = %#v, want an *OpError for %s", err, tt.op)
			}
			c := rec.last(t)
			if c.Op != tt.op || c.Ret != -1 || c.Err != tt.errno || (addr != nil && !sameAddr(c.Addr, addr)) {
				t.Errorf("traced %+v, want %s(%v) = -1 %v", c, tt.op, addr, tt.errno)
			}
		})
	}
}

// TestBadAddress checks addresses refused before any system call.
func TestBadAddress(t *testing.T) {
	tests := []struct {
		name string
		d    Domain
		addr net.Addr
		want error  // for errors.Is
		msg  string // in the error's text
	}{
		{"IPv6 on INET", INET, &net.TCPAddr{IP: net.IPv6loopback}, syscall.EAFNOSUPPORT, "bind [::1]:0: an IPv6 address on an AF_INET socket"},
		{"Unix on INET", INET, &net.UnixAddr{Name: "/x", Net: "unix"}, syscall.EAFNOSUPPORT, "a Unix address on an AF_INET socket"},
		{"IP on UNIX", UNIX, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}, syscall.EAFNOSUPPORT, "an IP address on an AF_UNIX socket"},
		{"nil", INET, nil, errMissingAddress, "bind: missing address"},
		{"typed nil", INET, (*net.TCPAddr)(nil), errMissingAddress, "missing address"},
		{"port", INET, &net.TCPAddr{Port: 70000}, syscall.EINVAL, "port 70000 out of range"},
		{"zone", INET6, &net.TCPAddr{IP: net.IPv6loopback, Zone: "no-such-if"}, syscall.EINVAL, `unknown IPv6 zone "no-such-if"`},
		{"long name", UNIX, &net.UnixAddr{Name: strings.Repeat("x", 109), Net: "unix"}, syscall.EINVAL, "name longer than 108 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec recorder
			f := newSocket(t, tt.d, Stream, rec.trace)
			err := f.Bind(tt.addr)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("bind = %v, want %v containing %q", err, tt.want, tt.msg)
			}
			if ops := ops(rec.Calls()); len(ops) != 1 {
				t.Errorf("calls %v, want only socket", ops)
			}
		})
	}
}

// TestClosed checks calls on a closed FD, and on the zero FD.
func TestClosed(t *testing.T) {
	ctx, _ := testContext(t)
	var rec recorder
	closed := newSocket(t, INET, Stream, rec.trace)
	if err := closed.Close(); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]*FD{"closed": closed, "zero": new(FD), "nil": nil} {
		t.Run(name, func(t *testing.T) {
			if err := f.Close(); err != nil {
				t.Errorf("Close = %v, want nil", err)
			}
			if fd := f.Fd(); fd != -1 {
				t.Errorf("Fd = %d, want -1", fd)
			}
			calls := map[string]func() error{
				"setsockopt":  func() error { return f.SetOption(ReuseAddr, 1) },
				"bind":        func() error { return f.Bind(loopback(INET, Stream)) },
				"listen":      func() error { return f.Listen(1) },
				"accept4":     func() error { _, _, err := f.Accept(ctx); return err },
				"connect":     func() error { return f.Connect(ctx, loopback(INET, Stream)) },
				"send":        func() error { _, err := f.Send(ctx, []byte("x")); return err },
				"sendto":      func() error { _, err := f.SendTo(ctx, []byte("x"), loopback(INET, Datagram)); return err },
				"getsockname": func() error { _, err := f.LocalAddr(); return err },
				"recv":        func() error { _, err := f.Recv(ctx, make([]byte, 1)); return err },
				"shutdown":    func() error { return f.Shutdown(ShutBoth) },
			}
			for op, call := range calls {
				err := call()
				if !errors.Is(err, net.ErrClosed) || !strings.HasPrefix(err.Error(), op) {
					t.Errorf("%s = %v, want %s … net.ErrClosed", op, err, op)
				}
			}
		})
	}
	if got := ops(rec.Calls()); len(got) != 2 || got[1] != "close" {
		t.Errorf("traced %v, want socket and one close", got)
	}
}
