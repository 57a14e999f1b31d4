package socket

import (
	"errors"
	"syscall"
	"testing"
)

func TestOptions(t *testing.T) {
	tests := []struct {
		name string
		d    Domain
		t    Type
		opt  Option
		set  int
		want int    // what getsockopt then returns
		args string // the traced getsockopt's Args
	}{
		{"reuseaddr", INET, Stream, ReuseAddr, 1, 1, "SOL_SOCKET, SO_REUSEADDR, [1]"},
		{"reuseport", INET, Datagram, ReusePort, 1, 1, "SOL_SOCKET, SO_REUSEPORT, [1]"},
		{"rcvbuf doubled", INET, Stream, RecvBuffer, 65536, 131072, "SOL_SOCKET, SO_RCVBUF, [131072]"},
		{"sndbuf doubled", UNIX, Stream, SendBuffer, 65536, 131072, "SOL_SOCKET, SO_SNDBUF, [131072]"},
		{"keepalive", INET, Stream, KeepAlive, 1, 1, "SOL_SOCKET, SO_KEEPALIVE, [1]"},
		{"broadcast", INET, Datagram, Broadcast, 1, 1, "SOL_SOCKET, SO_BROADCAST, [1]"},
		{"ttl", INET, Datagram, TTL, 42, 42, "SOL_IP, IP_TTL, [42]"},
		{"hop limit", INET6, Datagram, HopLimit, 42, 42, "SOL_IPV6, IPV6_UNICAST_HOPS, [42]"},
		{"v6only", INET6, Stream, V6Only, 1, 1, "SOL_IPV6, IPV6_V6ONLY, [1]"},
		{"nodelay", INET, Stream, NoDelay, 1, 1, "SOL_TCP, TCP_NODELAY, [1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.d == INET6 {
				requireIPv6(t)
			}
			var rec recorder
			f := newSocket(t, tt.d, tt.t, rec.trace)
			if err := f.SetOption(tt.opt, tt.set); err != nil {
				t.Fatal(err)
			}
			got, err := f.Option(tt.opt)
			if err != nil || got != tt.want {
				t.Errorf("Option(%v) = %d, %v; want %d", tt.opt, got, err, tt.want)
			}
			if c := rec.last(t); c.Op != "getsockopt" || c.Args != tt.args {
				t.Errorf("traced %v, want Args %q", c, tt.args)
			}

			// The same through the raw-descriptor helpers.
			fd := uintptr(newSocket(t, tt.d, tt.t, nil).Fd())
			if err := SetOptionFD(fd, tt.opt, tt.set); err != nil {
				t.Fatal(err)
			}
			if got, err := OptionFD(fd, tt.opt); err != nil || got != tt.want {
				t.Errorf("OptionFD(%v) = %d, %v; want %d", tt.opt, got, err, tt.want)
			}
		})
	}
}

func TestOptionErrors(t *testing.T) {
	var rec recorder
	f := newSocket(t, INET, Stream, rec.trace)
	if v, err := f.Option(Error); v != 0 || err != nil {
		t.Errorf("Option(Error) = %d, %v; want 0, nil", v, err)
	}
	err := f.SetOption(Error, 1)
	if !errors.Is(err, syscall.ENOPROTOOPT) || err.Error() != "setsockopt: SO_ERROR: protocol not available" {
		t.Errorf("SetOption(Error) = %v, want ENOPROTOOPT", err)
	}
	if c := rec.last(t); c.Ret != -1 || c.Err != syscall.ENOPROTOOPT || c.Args != "SOL_SOCKET, SO_ERROR, 1" {
		t.Errorf("traced %+v", c)
	}
	n := len(rec.Calls())
	for name, err := range map[string]error{
		"SetOption":   f.SetOption(Option(99), 1),
		"SetOptionFD": SetOptionFD(uintptr(f.Fd()), Option(99), 1),
		"OptionFD": func() error {
			_, err := OptionFD(uintptr(f.Fd()), Option(99))
			return err
		}(),
	} {
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("%s(Option(99)) = %v, want errors.ErrUnsupported", name, err)
		}
	}
	if len(rec.Calls()) != n {
		t.Errorf("an unknown option was traced")
	}
}
