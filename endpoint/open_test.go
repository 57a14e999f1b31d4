package endpoint

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sockit/sockit/internal/testnet"
	"github.com/sockit/sockit/socket"
)

func TestListenDialStream(t *testing.T) {
	dir := testnet.SocketDir(t)
	tests := []struct {
		name, addr, proto string
	}{
		{"tcp4", "tcp4://127.0.0.1:0", "tcp"},
		{"tcp6", "tcp6://[::1]:0", "tcp"},
		{"tcp shorthand", "127.0.0.1:0", "tcp"},
		{"unix path", "unix:" + dir + "/s.sock", "unix"},
		{"unix abstract", "unix:@sockit-ep-test-" + filepath.Base(dir), "unix"},
		{"unixpacket", "unixpacket:" + dir + "/p.sock", "unixpacket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := MustParse(tt.addr)
			testnet.SkipWithoutIPv6(t, ep.Network)
			ctx := testnet.Context(t)
			ln, err := ep.Listen(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			accepted := make(chan net.Conn, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					close(accepted)
					return
				}
				accepted <- c
			}()
			dial := FromAddr(ep.Network, ln.Addr())
			c, err := dial.Dial(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			sc, ok := <-accepted
			if !ok {
				t.Fatal("accept failed")
			}
			defer sc.Close()

			tup := TupleOf(c)
			if tup.Proto != tt.proto || AddrString(tup.Remote) != AddrString(ln.Addr()) {
				t.Fatalf("client tuple %v; want proto %s, remote %v", tup, tt.proto, ln.Addr())
			}
			if a, ok := tup.Local.(*net.TCPAddr); ok && a.Port == 0 {
				t.Fatalf("client tuple %v has no ephemeral port", tup)
			}
			if _, err := c.Write([]byte("ping")); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 4)
			if _, err := io.ReadFull(sc, buf); err != nil || string(buf) != "ping" {
				t.Fatalf("server read %q, %v", buf, err)
			}
		})
	}
}

func TestListenPacketDial(t *testing.T) {
	dir := testnet.SocketDir(t)
	tests := []struct{ name, addr string }{
		{"udp4", "udp4://127.0.0.1:0"},
		{"udp6", "udp6://[::1]:0"},
		{"unixgram path", "unixgram:" + dir + "/g.sock"},
		{"unixgram abstract", "unixgram:@sockit-ep-gram-" + filepath.Base(dir)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := MustParse(tt.addr)
			testnet.SkipWithoutIPv6(t, ep.Network)
			ctx := testnet.Context(t)
			pc, err := ep.ListenPacket(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer pc.Close()
			pc.SetDeadline(time.Now().Add(10 * time.Second))
			c, err := FromAddr(ep.Network, pc.LocalAddr()).Dial(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := c.Write([]byte("ping")); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 64)
			n, from, err := pc.ReadFrom(buf)
			if err != nil || string(buf[:n]) != "ping" {
				t.Fatalf("server read %q, %v", buf[:n], err)
			}
			if AddrString(from) != AddrString(c.LocalAddr()) {
				t.Fatalf("datagram from %v; the client is %v", from, c.LocalAddr())
			}
			if ep.Network == "unixgram" && !strings.HasPrefix(AddrString(from), "@") {
				t.Fatalf("unixgram client address %q: want an autobound abstract name", AddrString(from))
			}
			if _, err := pc.WriteTo([]byte("pong"), from); err != nil {
				t.Fatal(err)
			}
			if n, err := c.Read(buf); err != nil || string(buf[:n]) != "pong" {
				t.Fatalf("client read %q, %v", buf[:n], err)
			}
		})
	}
}

// rawOption reads a socket option off a Go socket.
func rawOption(t *testing.T, c any, o socket.Option) int {
	t.Helper()
	rc, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var oerr error
	if err := rc.Control(func(fd uintptr) { v, oerr = socket.OptionFD(fd, o) }); err != nil || oerr != nil {
		t.Fatalf("getsockopt %v: %v %v", o, err, oerr)
	}
	return v
}

func TestOptionsApplied(t *testing.T) {
	ctx := testnet.Context(t)
	ep := MustParse("tcp://127.0.0.1:0?reuseport&rcvbuf=64k&sndbuf=32k&ttl=9")
	ln, err := ep.Listen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if got := rawOption(t, ln, socket.ReusePort); got != 1 {
		t.Errorf("SO_REUSEPORT = %d, want 1", got)
	}
	if got := rawOption(t, ln, socket.RecvBuffer); got != 2*64<<10 {
		t.Errorf("SO_RCVBUF = %d, want %d (the kernel doubles it)", got, 2*64<<10)
	}
	if got := rawOption(t, ln, socket.SendBuffer); got != 2*32<<10 {
		t.Errorf("SO_SNDBUF = %d, want %d", got, 2*32<<10)
	}
	if got := rawOption(t, ln, socket.TTL); got != 9 {
		t.Errorf("IP_TTL = %d, want 9", got)
	}
	// reuseport lets a second listener share the port.
	again := Endpoint{Network: "tcp", Address: ln.Addr().String(), Options: Options{ReusePort: true}}
	ln2, err := again.Listen(ctx)
	if err != nil {
		t.Fatalf("second reuseport listener: %v", err)
	}
	ln2.Close()

	udp := MustParse("udp6://[::1]:0?ttl=3")
	testnet.SkipWithoutIPv6(t, udp.Network)
	pc, err := udp.ListenPacket(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if got := rawOption(t, pc, socket.HopLimit); got != 3 {
		t.Errorf("IPV6_UNICAST_HOPS = %d, want 3", got)
	}
}

func TestDialOptions(t *testing.T) {
	ctx := testnet.Context(t)
	ln, err := MustParse("tcp://127.0.0.1:0").Listen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ep := Endpoint{Network: "tcp", Address: ln.Addr().String()}
	ep.Options.NoDelay = ptr(false)
	ep.Options.Bind = "127.0.0.2"
	c, err := ep.Dial(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := rawOption(t, c, socket.NoDelay); got != 0 {
		t.Errorf("TCP_NODELAY = %d with nodelay=0, want 0", got)
	}
	if ip := c.LocalAddr().(*net.TCPAddr).IP.String(); ip != "127.0.0.2" {
		t.Errorf("local address %v, want 127.0.0.2 from bind=", c.LocalAddr())
	}
	def, err := Endpoint{Network: "tcp", Address: ln.Addr().String()}.Dial(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer def.Close()
	if got := rawOption(t, def, socket.NoDelay); got != 1 {
		t.Errorf("TCP_NODELAY = %d by default, want Go's 1", got)
	}
}

// TestBacklog proves the backlog option reaches the kernel: a Unix stream
// listener that never accepts queues backlog+1 connections (Linux admits
// one past the limit), then refuses a non-blocking connect with EAGAIN.
func TestBacklog(t *testing.T) {
	ctx := testnet.Context(t)
	dir := testnet.SocketDir(t)
	for _, backlog := range []int{1, 3} {
		ep := Endpoint{Network: "unix", Address: filepath.Join(dir, "b.sock"), Options: Options{Backlog: backlog}}
		ln, err := ep.Listen(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var conns []net.Conn
		var dialErr error
		for range backlog + 2 {
			c, err := Endpoint{Network: "unix", Address: ep.Address}.Dial(ctx)
			if err != nil {
				dialErr = err
				break
			}
			conns = append(conns, c)
		}
		for _, c := range conns {
			c.Close()
		}
		ln.Close()
		if len(conns) != backlog+1 || !errors.Is(dialErr, syscall.EAGAIN) {
			t.Errorf("backlog=%d: %d connections queued, then %v; want %d, then EAGAIN", backlog, len(conns), dialErr, backlog+1)
		}
	}
}

func TestStaleUnixSocketReplaced(t *testing.T) {
	ctx := testnet.Context(t)
	dir := testnet.SocketDir(t)
	for _, network := range []string{"unix", "unixgram", "unixpacket"} {
		t.Run(network, func(t *testing.T) {
			path := filepath.Join(dir, network+".sock")
			leaveStaleSocket(t, network, path)
			if _, err := os.Lstat(path); err != nil {
				t.Fatalf("the dead server's file should remain: %v", err)
			}
			ep := Endpoint{Network: network, Address: path}
			closer, err := openEither(ctx, ep)
			if err != nil {
				t.Fatalf("stale socket file not replaced: %v", err)
			}
			// A live server's file is not taken over.
			if _, err := openEither(ctx, ep); !errors.Is(err, syscall.EADDRINUSE) {
				t.Fatalf("second server on a live socket: %v, want address already in use", err)
			}
			if err := closer.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("socket file left after Close: %v", err)
			}
		})
	}
}

// leaveStaleSocket leaves a socket file at path as a server that died
// would: bound, then closed without unlinking.
func leaveStaleSocket(t *testing.T, network, path string) {
	t.Helper()
	addr := &net.UnixAddr{Name: path, Net: network}
	if network == "unixgram" {
		c, err := net.ListenUnixgram(network, addr) // Go never unlinks these
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		return
	}
	ln, err := net.ListenUnix(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
}

func openEither(ctx context.Context, ep Endpoint) (io.Closer, error) {
	if ep.Type() == socket.Datagram {
		return ep.ListenPacket(ctx)
	}
	return ep.Listen(ctx)
}

func TestNonSocketFileLeftAlone(t *testing.T) {
	path := filepath.Join(testnet.SocketDir(t), "regular")
	if err := os.WriteFile(path, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Endpoint{Network: "unix", Address: path}.Listen(testnet.Context(t))
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("Listen on a regular file: %v, want address already in use", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "keep me" {
		t.Fatalf("regular file changed: %q, %v", b, err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := testnet.Context(t)
	busy, err := MustParse("tcp://127.0.0.1:0").Listen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	closed, err := MustParse("tcp://127.0.0.1:0").Listen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	tests := []struct {
		name string
		open func() error
		want error
	}{
		{"busy port", func() error {
			_, err := Endpoint{Network: "tcp", Address: busy.Addr().String()}.Listen(ctx)
			return err
		}, syscall.EADDRINUSE},
		{"refused", func() error {
			_, err := Endpoint{Network: "tcp", Address: closedAddr}.Dial(ctx)
			return err
		}, syscall.ECONNREFUSED},
		{"missing unix path", func() error {
			_, err := MustParse("unix:" + filepath.Join(testnet.SocketDir(t), "none")).Dial(ctx)
			return err
		}, syscall.ENOENT},
		{"stdio listen", func() error { _, err := MustParse("-").Listen(ctx); return err }, ErrNotSocket},
		{"stdio dial", func() error { _, err := MustParse("-").Dial(ctx); return err }, ErrNotSocket},
		{"stdio listen packet", func() error { _, err := MustParse("-").ListenPacket(ctx); return err }, ErrNotSocket},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.open(); !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := MustParse("udp://127.0.0.1:0").Listen(ctx); err == nil || !strings.Contains(err.Error(), "use ListenPacket") {
		t.Errorf("Listen on udp: %v, want a pointer to ListenPacket", err)
	}
	if _, err := MustParse("tcp://127.0.0.1:0").ListenPacket(ctx); err == nil || !strings.Contains(err.Error(), "use Listen") {
		t.Errorf("ListenPacket on tcp: %v, want a pointer to Listen", err)
	}
}

func TestTupleString(t *testing.T) {
	tests := []struct {
		tup  Tuple
		want string
	}{
		{Tuple{"tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 41234}, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 7777}},
			"tcp 127.0.0.1:41234 -> 127.0.0.1:7777"},
		{Tuple{"udp", &net.UDPAddr{IP: net.IPv6loopback, Port: 5}, &net.UDPAddr{IP: net.IPv6loopback, Port: 9}},
			"udp [::1]:5 -> [::1]:9"},
		{Tuple{"unix", &net.UnixAddr{Name: "", Net: "unix"}, &net.UnixAddr{Name: "/tmp/x.sock", Net: "unix"}},
			"unix (unnamed) -> /tmp/x.sock"},
		{Tuple{"unixgram", &net.UnixAddr{Name: "@0001f", Net: "unixgram"}, (*net.UnixAddr)(nil)},
			"unixgram @0001f -> -"},
		{Tuple{"tcp", nil, nil}, "tcp - -> -"},
	}
	for _, tt := range tests {
		if got := tt.tup.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
	b, err := tests[0].tup.MarshalJSON()
	if err != nil || string(b) != `{"proto":"tcp","local":"127.0.0.1:41234","remote":"127.0.0.1:7777"}` {
		t.Errorf("MarshalJSON = %s, %v", b, err)
	}
}

func TestFromAddr(t *testing.T) {
	tests := []struct {
		network string
		addr    net.Addr
		want    string
	}{
		{"tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80}, "tcp://127.0.0.1:80"},
		{"udp6", &net.UDPAddr{IP: net.IPv6loopback, Port: 9}, "udp6://[::1]:9"},
		{"unix", &net.UnixAddr{Name: "/tmp/x.sock", Net: "unix"}, "unix:///tmp/x.sock"},
		{"unixpacket", &net.UnixAddr{Name: "@seq", Net: "unixpacket"}, "unixpacket:@seq"},
		{"unixgram", &net.UnixAddr{Name: "rel.sock", Net: "unixgram"}, "unixgram:rel.sock"},
	}
	for _, tt := range tests {
		ep := FromAddr(tt.network, tt.addr)
		if got := ep.String(); got != tt.want {
			t.Errorf("FromAddr(%s, %v) = %q, want %q", tt.network, tt.addr, got, tt.want)
		}
		if again, err := Parse(ep.String()); err != nil || again != ep {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", ep, again, err, ep)
		}
	}
}
