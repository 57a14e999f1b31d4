package socket

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// testTimeout bounds every test's blocking calls.
const testTimeout = 10 * time.Second

// testContext returns a context that ends with the test or after
// testTimeout, and its cancel func, which the test may call first.
func testContext(t *testing.T) (context.Context, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx, cancel
}

// newSocket opens a socket that is closed when the test ends.
func newSocket(t *testing.T, d Domain, ty Type, tr Tracer) *FD {
	t.Helper()
	f, err := Socket(d, ty, 0, tr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// recorder is a Tracer that keeps the calls it sees.
type recorder struct {
	mu    sync.Mutex
	calls []Call
}

func (r *recorder) trace(c Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
}

func (r *recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call(nil), r.calls...)
}

func ops(calls []Call) []string {
	var ops []string
	for _, c := range calls {
		ops = append(ops, c.Op)
	}
	return ops
}

// last returns the last call r saw.
func (r *recorder) last(t *testing.T) Call {
	t.Helper()
	calls := r.Calls()
	if len(calls) == 0 {
		t.Fatal("no calls traced")
	}
	return calls[len(calls)-1]
}

var ipv6 = sync.OnceValue(func() error {
	f, err := Socket(INET6, Datagram, 0, nil)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Bind(&net.UDPAddr{IP: net.IPv6loopback})
})

// requireIPv6 skips the test if ::1 cannot be bound.
func requireIPv6(t *testing.T) {
	t.Helper()
	if err := ipv6(); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
}

// abstractName returns a fresh name in the abstract namespace.
func abstractName() string {
	return fmt.Sprintf("@sockit-test-%d-%x", os.Getpid(), rand.Uint64())
}

// loopback returns the loopback address of domain d with port 0, of the
// net.Addr type natural for ty.
func loopback(d Domain, ty Type) net.Addr {
	ip := net.IPv4(127, 0, 0, 1).To4()
	if d == INET6 {
		ip = net.IPv6loopback
	}
	return ipAddr(ty, ip, 0, "")
}

// tempPath returns a Unix address for a path in the test's directory.
func tempPath(t *testing.T, ty Type, name string) net.Addr {
	return &net.UnixAddr{Name: filepath.Join(t.TempDir(), name), Net: unixNet(ty)}
}

// listener opens a socket of domain d and type ty bound to addr and, for
// stream and sequenced-packet sockets, listening.
func listener(t *testing.T, d Domain, ty Type, addr net.Addr, tr Tracer) *FD {
	t.Helper()
	f := newSocket(t, d, ty, tr)
	if err := f.Bind(addr); err != nil {
		t.Fatal(err)
	}
	if ty != Datagram {
		if err := f.Listen(128); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// pair returns two sockets of domain d and type ty that can talk: for
// stream and sequenced-packet sockets a connected client and the server's
// side of the connection; for datagram sockets a client connected to a
// server bound to addr (the server is not connected). The client's
// sockets use tr.
func pair(t *testing.T, ctx context.Context, d Domain, ty Type, addr net.Addr, tr Tracer) (client, server *FD) {
	t.Helper()
	ln := listener(t, d, ty, addr, nil)
	laddr, err := ln.LocalAddr()
	if err != nil {
		t.Fatal(err)
	}
	client = newSocket(t, d, ty, tr)
	if d == UNIX && ty == Datagram {
		// Autobind, so that the server has an address to reply to.
		if err := client.Bind(&net.UnixAddr{Net: "unixgram"}); err != nil {
			t.Fatal(err)
		}
	}
	// On loopback the kernel completes a connection before it is
	// accepted, so no goroutine is needed.
	if err := client.Connect(ctx, laddr); err != nil {
		t.Fatal(err)
	}
	if ty == Datagram {
		return client, ln
	}
	server, _, err = ln.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	return client, server
}

// sameAddr reports whether a and b are the same address of the same type.
func sameAddr(a, b net.Addr) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return fmt.Sprintf("%T %v %v", a, a.Network(), a) == fmt.Sprintf("%T %v %v", b, b.Network(), b)
}

// fmtGo formats v as Go syntax.
func fmtGo(v any) string { return fmt.Sprintf("%#v", v) }
