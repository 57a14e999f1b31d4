package socket

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
)

// family is a kind of socket a user can open, and where its server binds.
type family struct {
	name string
	d    Domain
	t    Type
	// addr returns the server's address.
	addr func(t *testing.T) net.Addr
	// client returns the address a datagram client binds to, or nil to
	// leave it to the kernel.
	client func(t *testing.T) net.Addr
	// mapped says addr is IPv4 on an INET6 socket.
	mapped bool
}

func families() []family {
	fixed := func(a net.Addr) func(*testing.T) net.Addr {
		return func(*testing.T) net.Addr { return a }
	}
	path := func(ty Type, name string) func(*testing.T) net.Addr {
		return func(t *testing.T) net.Addr { return tempPath(t, ty, name) }
	}
	abstract := func(ty Type) func(*testing.T) net.Addr {
		return func(*testing.T) net.Addr { return &net.UnixAddr{Name: abstractName(), Net: unixNet(ty)} }
	}
	return []family{
		{name: "tcp4", d: INET, t: Stream, addr: fixed(loopback(INET, Stream))},
		{name: "tcp6", d: INET6, t: Stream, addr: fixed(loopback(INET6, Stream))},
		{name: "tcp6-v4mapped", d: INET6, t: Stream, addr: fixed(loopback(INET, Stream)), mapped: true},
		{name: "udp4", d: INET, t: Datagram, addr: fixed(loopback(INET, Datagram)), client: fixed(loopback(INET, Datagram))},
		{name: "udp6", d: INET6, t: Datagram, addr: fixed(loopback(INET6, Datagram)), client: fixed(loopback(INET6, Datagram))},
		{name: "unix", d: UNIX, t: Stream, addr: path(Stream, "s.sock")},
		{name: "unix-abstract", d: UNIX, t: Stream, addr: abstract(Stream)},
		{name: "unixgram", d: UNIX, t: Datagram, addr: path(Datagram, "s.sock"), client: path(Datagram, "c.sock")},
		{name: "unixgram-autobind", d: UNIX, t: Datagram, addr: path(Datagram, "s.sock"),
			client: fixed(&net.UnixAddr{Net: "unixgram"})},
		{name: "unixpacket", d: UNIX, t: SeqPacket, addr: path(SeqPacket, "s.sock")},
	}
}

// TestRoundTrip sends a message from a client to an echo server and back
// for every family and type, and checks the addresses both sides see.
func TestRoundTrip(t *testing.T) {
	for _, fam := range families() {
		t.Run(fam.name, func(t *testing.T) {
			t.Parallel()
			if fam.d == INET6 {
				requireIPv6(t)
			}
			srv := newSocket(t, fam.d, fam.t, nil)
			if fam.d != UNIX {
				if err := srv.SetOption(ReuseAddr, 1); err != nil {
					t.Fatal(err)
				}
			}
			if fam.mapped {
				if err := srv.SetOption(V6Only, 0); err != nil {
					t.Fatal(err)
				}
			}
			if err := srv.Bind(fam.addr(t)); err != nil {
				t.Fatal(err)
			}
			laddr, err := srv.LocalAddr()
			if err != nil {
				t.Fatal(err)
			}
			checkAddr(t, fam, laddr)
			if fam.t == Datagram {
				roundTripDatagram(t, fam, srv, laddr)
			} else {
				roundTripStream(t, fam, srv, laddr)
			}
		})
	}
}

// checkAddr checks that a, a server's bound address, has the type and
// form fam implies.
func checkAddr(t *testing.T, fam family, a net.Addr) {
	t.Helper()
	switch a := a.(type) {
	case *net.TCPAddr, *net.UDPAddr:
		var ip net.IP
		var port int
		if ta, ok := a.(*net.TCPAddr); ok {
			ip, port = ta.IP, ta.Port
		} else {
			ua := a.(*net.UDPAddr)
			ip, port = ua.IP, ua.Port
		}
		if (fam.t == Stream) != (a.Network() == "tcp") {
			t.Errorf("address %v is %T for %v", a, a, fam.t)
		}
		wantLen := 4
		if fam.d == INET6 {
			wantLen = 16 // v4-mapped addresses stay IPv6
		}
		if len(ip) != wantLen || !ip.IsLoopback() || port == 0 {
			t.Errorf("address %v: IP %#v, port %d; want a %d-byte loopback IP and a port", a, ip, port, wantLen)
		}
		if fam.mapped && (ip.To4() == nil || ip.String() != "127.0.0.1") {
			t.Errorf("address %v: want v4-mapped 127.0.0.1", a)
		}
	case *net.UnixAddr:
		if want := fam.addr(t).(*net.UnixAddr); !strings.HasPrefix(want.Name, "@") && a.Name == "" {
			t.Errorf("address %v has no name", a)
		}
		if a.Net != unixNet(fam.t) {
			t.Errorf("address %v: Net %q, want %q", a, a.Net, unixNet(fam.t))
		}
	default:
		t.Errorf("address %v has type %T", a, a)
	}
}

func roundTripStream(t *testing.T, fam family, srv *FD, laddr net.Addr) {
	ctx, cancel := testContext(t)
	if err := srv.Listen(128); err != nil {
		t.Fatal(err)
	}
	var (
		wg     sync.WaitGroup
		peer   net.Addr
		echoed []byte
	)
	defer wg.Wait()
	defer cancel() // wakes the server if the client fails
	wg.Go(func() {
		c, p, err := srv.Accept(ctx)
		if err != nil {
			t.Errorf("accept: %v", err)
			return
		}
		defer c.Close()
		peer = p
		buf := make([]byte, 1024)
		for {
			n, err := c.Recv(ctx, buf)
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Errorf("server recv: %v", err)
				return
			}
			echoed = append(echoed, buf[:n]...)
			if err := c.SendAll(ctx, buf[:n]); err != nil {
				t.Errorf("server send: %v", err)
				return
			}
		}
	})

	cli := newSocket(t, fam.d, fam.t, nil)
	if err := cli.Connect(ctx, laddr); err != nil {
		t.Fatal(err)
	}
	// The addresses, while the connection is up.
	cpeer, err := cli.PeerAddr()
	if err != nil {
		t.Fatal(err)
	}
	if !sameAddr(cpeer, laddr) {
		t.Errorf("client's peer = %v, want the server's address %v", cpeer, laddr)
	}
	clocal, err := cli.LocalAddr()
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("hello over " + fam.name)
	if err := cli.SendAll(ctx, msg); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 0, len(msg))
	buf := make([]byte, 1024)
	for len(got) < len(msg) {
		n, err := cli.Recv(ctx, buf)
		if err != nil {
			t.Fatalf("client recv after %q: %v", got, err)
		}
		got = append(got, buf[:n]...)
	}
	if !bytes.Equal(got, msg) {
		t.Errorf("echo = %q, want %q", got, msg)
	}
	if err := cli.Shutdown(ShutWrite); err != nil {
		t.Fatal(err)
	}
	if n, err := cli.Recv(ctx, buf); n != 0 || err != io.EOF {
		t.Errorf("recv after the server closed = %d, %v; want 0, EOF", n, err)
	}
	wg.Wait()

	if !bytes.Equal(echoed, msg) {
		t.Errorf("server got %q, want %q", echoed, msg)
	}
	if !sameAddr(peer, clocal) {
		t.Errorf("accepted peer = %#v, want the client's address %#v", peer, clocal)
	}
	if fam.d == UNIX && clocal.(*net.UnixAddr).Name != "" {
		t.Errorf("unbound client's address = %q, want unnamed", clocal)
	}
}

func roundTripDatagram(t *testing.T, fam family, srv *FD, laddr net.Addr) {
	ctx, cancel := testContext(t)
	var (
		wg   sync.WaitGroup
		from net.Addr
	)
	defer wg.Wait()
	defer cancel()
	wg.Go(func() {
		buf := make([]byte, 1024)
		n, f, err := srv.RecvFrom(ctx, buf)
		if err != nil {
			t.Errorf("server recvfrom: %v", err)
			return
		}
		from = f
		if _, err := srv.SendTo(ctx, buf[:n], f); err != nil {
			t.Errorf("server sendto %v: %v", f, err)
		}
	})

	cli := newSocket(t, fam.d, fam.t, nil)
	if fam.client != nil {
		if err := cli.Bind(fam.client(t)); err != nil {
			t.Fatal(err)
		}
	}
	msg := []byte("hello over " + fam.name)
	if n, err := cli.SendTo(ctx, msg, laddr); n != len(msg) || err != nil {
		t.Fatalf("sendto = %d, %v; want %d, nil", n, err, len(msg))
	}
	buf := make([]byte, 1024)
	n, src, err := cli.RecvFrom(ctx, buf)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf[:n], msg) {
		t.Errorf("echo = %q, want %q", buf[:n], msg)
	}
	if !sameAddr(src, laddr) {
		t.Errorf("reply came from %v, want the server's address %v", src, laddr)
	}
	wg.Wait()

	clocal, err := cli.LocalAddr()
	if err != nil {
		t.Fatal(err)
	}
	if !sameAddr(from, clocal) {
		t.Errorf("server got the message from %#v, want the client's address %#v", from, clocal)
	}
	if u, ok := clocal.(*net.UnixAddr); ok && fam.client != nil && fam.client(t).(*net.UnixAddr).Name == "" {
		// Linux autobinds "\0" and five hex digits.
		if !strings.HasPrefix(u.Name, "@") || len(u.Name) != 6 {
			t.Errorf("autobound address = %q, want @ and five hex digits", u.Name)
		}
	}
}

// TestRecvFromStream checks that recvfrom on a connected TCP socket
// reports no address, and on a Unix one an unnamed peer.
func TestRecvFromStream(t *testing.T) {
	tests := []struct {
		name string
		d    Domain
		addr func(t *testing.T) net.Addr
		want net.Addr
	}{
		{"tcp4", INET, func(*testing.T) net.Addr { return loopback(INET, Stream) }, nil},
		{"unix", UNIX, func(t *testing.T) net.Addr { return tempPath(t, Stream, "s.sock") }, &net.UnixAddr{Net: "unix"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, _ := testContext(t)
			cli, srv := pair(t, ctx, tt.d, Stream, tt.addr(t), nil)
			if err := cli.SendAll(ctx, []byte("x")); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 8)
			n, from, err := srv.RecvFrom(ctx, buf)
			if n != 1 || err != nil || !sameAddr(from, tt.want) {
				t.Errorf("recvfrom = %d, %v, %v; want 1, %v, nil", n, from, err, tt.want)
			}
			if err := cli.Close(); err != nil {
				t.Fatal(err)
			}
			if n, _, err := srv.RecvFrom(ctx, buf); n != 0 || !errors.Is(err, io.EOF) {
				t.Errorf("recvfrom after close = %d, %v; want 0, EOF", n, err)
			}
		})
	}
}
