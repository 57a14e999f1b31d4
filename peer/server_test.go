package peer_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/internal/testnet"
	"github.com/sockit/sockit/peer"
	"github.com/sockit/sockit/session"
)

// serving is a Server running in a goroutine, its events on a channel.
type serving struct {
	addr   string
	events chan peer.Event
	done   chan error
	stop   context.CancelFunc
}

// serve starts srv on ln; the test's end stops it.
func serve(t *testing.T, srv *peer.Server, ln net.Listener) *serving {
	t.Helper()
	ctx, stop := context.WithCancel(testnet.Context(t))
	s := &serving{addr: ln.Addr().String(), events: make(chan peer.Event, 100), done: make(chan error, 1), stop: stop}
	srv.Report = func(e peer.Event) { s.events <- e }
	go func() { s.done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() { stop(); <-s.done })
	return s
}

func tcpListener(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// next returns the next event of kind, skipping others.
func (s *serving) next(t *testing.T, kind peer.EventKind) peer.Event {
	t.Helper()
	ctx := testnet.Context(t)
	for {
		select {
		case e := <-s.events:
			if e.Kind == kind {
				return e
			}
		case <-ctx.Done():
			t.Fatalf("no event of kind %d", kind)
		}
	}
}

// wait returns Serve's error.
func (s *serving) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.done:
		s.done <- err // for the cleanup
		return err
	case <-testnet.Context(t).Done():
		t.Fatal("Serve did not return")
		return nil
	}
}

func dialFrom(t *testing.T, addr, local string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: testnet.Timeout}
	if local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(testnet.Timeout))
	t.Cleanup(func() { c.Close() })
	return c
}

// TestServerOne: the first peer is joined to the input and output, and the
// listener closes behind it.
func TestServerOne(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	out := newSyncBuffer()
	s := serve(t, &peer.Server{Join: peer.Join{Input: pr, Output: out}}, tcpListener(t))
	c := dialFrom(t, s.addr, "")
	if e := s.next(t, peer.Accepted); e.Peer != 1 {
		t.Errorf("accepted peer #%d", e.Peer)
	}
	io.WriteString(c, "hi")
	out.waitFor(t, testnet.Context(t), "hi")
	if _, err := net.Dial("tcp", s.addr); err == nil {
		t.Error("a second peer was let in: the listener is still open")
	}
	io.WriteString(pw, "yo")
	pw.Close()
	if got, _ := io.ReadAll(c); string(got) != "yo" {
		t.Errorf("peer read %q", got)
	}
	c.Close()
	e := s.next(t, peer.Done)
	if e.Err != nil || e.Result.Ending != peer.InputFirst || e.Result.Sent != 2 || e.Result.Received != 2 {
		t.Errorf("done: %+v", e)
	}
	if err := s.wait(t); err != nil {
		t.Errorf("Serve: %v", err)
	}
}

// TestServerKeep: the input goes to every peer, and what each sends to the
// output; at the input's end each peer reads end-of-file.
func TestServerKeep(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	out := newSyncBuffer()
	s := serve(t, &peer.Server{Keep: true, Join: peer.Join{Input: pr, Output: out}}, tcpListener(t))
	a, b := dialFrom(t, s.addr, ""), dialFrom(t, s.addr, "")
	s.next(t, peer.Accepted)
	s.next(t, peer.Accepted)
	io.WriteString(a, "from a\n")
	io.WriteString(b, "from b\n")
	out.waitFor(t, testnet.Context(t), "from a\n")
	out.waitFor(t, testnet.Context(t), "from b\n")
	io.WriteString(pw, "to all\n")
	pw.Close()
	for _, c := range []net.Conn{a, b} {
		if got, _ := io.ReadAll(c); string(got) != "to all\n" {
			t.Errorf("peer read %q", got)
		}
		c.Close()
	}
	for range 2 {
		if e := s.next(t, peer.Done); e.Err != nil || e.Result.Ending != peer.PeerClosed || e.Result.Sent != 7 || e.Result.Received != 7 {
			t.Errorf("done: %+v", e)
		}
	}
	s.stop()
	if err := s.wait(t); err != nil {
		t.Errorf("Serve after ctx ended: %v", err)
	}
}

// TestServerBroker: what one peer sends reaches every other, not itself.
func TestServerBroker(t *testing.T) {
	s := serve(t, &peer.Server{Broker: true}, tcpListener(t))
	conns := []net.Conn{dialFrom(t, s.addr, ""), dialFrom(t, s.addr, ""), dialFrom(t, s.addr, "")}
	for range conns {
		s.next(t, peer.Accepted) // each is a member before it is reported
	}
	io.WriteString(conns[0], "hello room")
	for _, c := range conns[1:] {
		buf := make([]byte, 10)
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "hello room" {
			t.Errorf("read %q, %v", buf, err)
		}
	}
	conns[0].Close()
	if e := s.next(t, peer.Done); e.Result.Received != 10 || e.Result.Sent != 0 {
		t.Errorf("done: %+v", e)
	}
}

// TestServerProgramSessions: a program per peer of a datagram socket, a
// datagram per line it writes.
func TestServerProgramSessions(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := session.Listen(pc, session.Config{})
	s := serve(t, &peer.Server{Keep: true, Program: []string{"cat"}}, ln)
	for _, name := range []string{"first", "second"} {
		c, err := net.Dial("udp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(testnet.Timeout))
		// Two lines in one datagram come back as two datagrams.
		io.WriteString(c, name+" a\n"+name+" b\n")
		for _, want := range []string{name + " a\n", name + " b\n"} {
			buf := make([]byte, 100)
			n, err := c.Read(buf)
			if err != nil || string(buf[:n]) != want {
				t.Errorf("%s: read %q, %v; want %q", name, buf[:n], err, want)
			}
		}
	}
}

// TestServerGate: peers outside Allow, inside Deny, or past Max are
// refused and reported; the others are served.
func TestServerGate(t *testing.T) {
	srv := &peer.Server{Keep: true, Program: []string{"cat"}}
	srv.Gate.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/29")}
	srv.Gate.Deny = []netip.Prefix{netip.MustParsePrefix("127.0.0.3/32")}
	srv.Gate.Max = 1
	s := serve(t, srv, tcpListener(t))
	for _, tc := range []struct {
		from string
		err  error
	}{
		{"127.0.0.9", peer.ErrNotAllowed},
		{"127.0.0.3", peer.ErrDenied},
	} {
		c := dialFrom(t, s.addr, tc.from)
		if e := s.next(t, peer.Refused); !errors.Is(e.Err, tc.err) {
			t.Errorf("%s: refused for %v, want %v", tc.from, e.Err, tc.err)
		}
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Errorf("%s: the connection is still open", tc.from)
		}
	}
	first := dialFrom(t, s.addr, "127.0.0.1")
	s.next(t, peer.Accepted)
	dialFrom(t, s.addr, "127.0.0.2")
	if e := s.next(t, peer.Refused); !errors.Is(e.Err, peer.ErrFull) {
		t.Errorf("refused for %v, want ErrFull", e.Err)
	}
	first.Close()
	s.next(t, peer.Done)
	// The first has left: there is room again.
	again := dialFrom(t, s.addr, "127.0.0.2")
	io.WriteString(again, "echo")
	buf := make([]byte, 4)
	if _, err := io.ReadFull(again, buf); err != nil || string(buf) != "echo" {
		t.Errorf("read %q, %v", buf, err)
	}
}

// TestServerHandshakeFails: a peer that does not speak TLS to a tls://
// listener is reported and the server goes on.
func TestServerHandshakeFails(t *testing.T) {
	ep, err := endpoint.Parse("tls://127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := ep.Listen(testnet.Context(t))
	if err != nil {
		t.Fatal(err)
	}
	s := serve(t, &peer.Server{Keep: true, Program: []string{"cat"}}, ln)
	c := dialFrom(t, s.addr, "")
	io.WriteString(c, "GET / HTTP/1.0\r\n\r\n")
	if e := s.next(t, peer.Failed); e.Err == nil || !strings.Contains(e.Err.Error(), "tls handshake") {
		t.Errorf("failed: %v", e.Err)
	}
}

func TestGateAdmit(t *testing.T) {
	tcp := func(s string) net.Addr { return net.TCPAddrFromAddrPort(netip.MustParseAddrPort(s)) }
	allow, err := peer.ParsePrefixes([]string{"192.0.2.0/24", "2001:db8::1", "::ffff:198.51.100.0/120"})
	if err != nil {
		t.Fatal(err)
	}
	deny, _ := peer.ParsePrefixes([]string{"192.0.2.13"})
	for _, tc := range []struct {
		addr net.Addr
		want error
	}{
		{tcp("192.0.2.7:1"), nil},
		{tcp("192.0.2.13:1"), peer.ErrDenied},
		{tcp("203.0.113.1:1"), peer.ErrNotAllowed},
		{tcp("[2001:db8::1]:1"), nil},
		{tcp("[2001:db8::2]:1"), peer.ErrNotAllowed},
		{tcp("198.51.100.9:1"), nil},       // a mapped prefix matches the plain address
		{tcp("[::ffff:192.0.2.8]:1"), nil}, // and a mapped address the plain prefix
		{&net.UnixAddr{Name: "@x", Net: "unix"}, peer.ErrNotIP},
	} {
		g := peer.Gate{Allow: allow, Deny: deny}
		if err := g.Admit(tc.addr); !errors.Is(err, tc.want) {
			t.Errorf("Admit(%v) = %v, want %v", tc.addr, err, tc.want)
		}
	}
	var g peer.Gate // the zero Gate lets everyone in
	for range 1000 {
		if err := g.Admit(&net.UnixAddr{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := peer.ParsePrefixes([]string{"192.0.2.0/33"}); err == nil {
		t.Error("192.0.2.0/33 parsed")
	}
}

func FuzzParsePrefixes(f *testing.F) {
	for _, s := range []string{"192.0.2.0/24", "2001:db8::/32", "::ffff:192.0.2.1", "10.0.0.1", "x", "::ffff:0:0/96"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := peer.ParsePrefixes([]string{s})
		if err != nil {
			return
		}
		p := ps[0]
		if !p.IsValid() || p != p.Masked() || p.Addr().Is4In6() {
			t.Fatalf("ParsePrefixes(%q) = %v: not a valid, masked, unmapped prefix", s, p)
		}
		if !p.Contains(p.Addr()) {
			t.Fatalf("%v does not contain its own address", p)
		}
	})
}

func TestSplitAddressList(t *testing.T) {
	got := peer.SplitAddressList("# trusted\n192.0.2.7, 198.51.100.0/24\r\n\t2001:db8::/32 # lab\n\n#\n")
	want := []string{"192.0.2.7", "198.51.100.0/24", "2001:db8::/32"}
	if !slices.Equal(got, want) {
		t.Errorf("SplitAddressList = %q, want %q", got, want)
	}
}

func FuzzSplitAddressList(f *testing.F) {
	f.Add("192.0.2.7, 198.51.100.0/24 # c\n::1")
	f.Fuzz(func(t *testing.T, text string) {
		for _, e := range peer.SplitAddressList(text) {
			if e == "" || strings.ContainsAny(e, ", \t\r\n#") {
				t.Fatalf("entry %q of %q holds a separator", e, text)
			}
		}
	})
}
