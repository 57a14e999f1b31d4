package perf

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/session"
	"github.com/sockit/sockit/socket"
)

// Server runs throughput tests for any number of clients at once: sockit
// perf clients and iperf3's, which find it as they find iperf3 -s. Each
// test is independent; past MaxTests a client is told the server is busy,
// as iperf3 tells every second client.
type Server struct {
	// MaxTests bounds the tests run at once. If zero, 32.
	MaxTests int
	// Handshake bounds each step before a test runs: the cookie, the
	// parameters, the streams' connections. If zero, 10 seconds.
	Handshake time.Duration
	// Report, if not nil, is told of each test as it starts, ends or is
	// refused. It may be called from several goroutines at once.
	Report func(ServerEvent)
	// Interval, if not zero, reports each running test's intervals in
	// ServerEvents of kind TestInterval.
	Interval bool
	// ZeroCopy and SkipRxCopy are Config's, for the server's side of
	// every test.
	ZeroCopy, SkipRxCopy bool
}

// ServerEventKind says what happened on a Server.
type ServerEventKind int

const (
	// TestStarted: a test's streams are connected and it is running.
	TestStarted ServerEventKind = iota
	// TestInterval: one of a running test's intervals ended (with
	// Server.Interval).
	TestInterval
	// TestEnded: a test is over: Result is what it moved, Err why it
	// ended early.
	TestEnded
	// TestRefused: a client was turned away before its test ran: busy,
	// parameters out of range, a connection that is no test at all.
	TestRefused
)

// ServerEvent is a report of a Server.
type ServerEvent struct {
	Kind     ServerEventKind
	Test     int      // the server's number for the test, from 1
	Client   net.Addr // the control connection's peer
	Result   *Result  // TestStarted (the parameters and streams so far) and TestEnded
	Interval Interval // TestInterval
	Err      error    // TestEnded, TestRefused
}

// ErrBusy is a server's answer when it runs MaxTests tests already (iperf3:
// "the server is busy running a test").
var ErrBusy = errors.New("the server is busy running its maximum number of tests")

// Listener is a server's sockets on one address: the stream listener
// that control and stream connections arrive on, and for TCP the UDP
// socket on the same port that UDP tests' streams start on.
type Listener struct {
	ep     endpoint.Endpoint
	stream net.Listener
	dgram  net.PacketConn    // nil: no UDP tests here
	unix   *session.Listener // unixgram streams, for a Unix listener; or nil
}

// Addr is the stream listener's address.
func (l *Listener) Addr() net.Addr { return l.stream.Addr() }

// Close closes both sockets.
func (l *Listener) Close() error {
	err := l.stream.Close()
	if l.dgram != nil {
		err = errors.Join(err, l.dgram.Close())
	}
	if l.unix != nil {
		err = errors.Join(err, l.unix.Close())
	}
	return err
}

// Listen opens a server's sockets on ep: a stream endpoint (tcp, tls,
// unix, unixpacket). On tcp it also binds UDP to the same port, for UDP
// tests, with SO_REUSEPORT, as each UDP stream gets a socket of its own
// on that port; if UDP cannot have the port, UDP tests are refused. On
// unix it also binds a unixgram socket at the same name with ".dgram"
// after it (DatagramName), for tests over Unix datagrams, whose streams
// are told apart by their peers' names.
func Listen(ctx context.Context, ep endpoint.Endpoint) (*Listener, error) {
	if ep.Type() != socket.Stream && ep.Type() != socket.SeqPacket {
		return nil, fmt.Errorf("perf server on %s: a test's control connection needs a stream socket (tcp, tls, unix, unixpacket)", ep)
	}
	ln, err := ep.Listen(ctx)
	if err != nil {
		return nil, err
	}
	l := &Listener{ep: ep, stream: ln}
	if udp, ok := udpNetwork(ep.Network); ok {
		addr := ln.Addr().(*net.TCPAddr)
		uep := endpoint.Endpoint{Network: udp, Address: net.JoinHostPort(addr.IP.String(), strconv.Itoa(addr.Port)), Options: endpoint.Options{ReusePort: true}}
		if pc, err := uep.ListenPacket(ctx); err == nil {
			l.dgram = pc
		}
	}
	if ep.Network == "unix" {
		dep := endpoint.Endpoint{Network: "unixgram", Address: DatagramName(ep.Address)}
		if pc, err := dep.ListenPacket(ctx); err == nil {
			l.unix = session.Listen(pc, session.Config{Idle: -1, Queue: 8192})
		}
	}
	return l, nil
}

// DatagramName is the name of the unixgram socket beside a Unix stream
// listener named name: name with ".dgram" after it.
func DatagramName(name string) string { return name + ".dgram" }

func udpNetwork(network string) (string, bool) {
	switch network {
	case "tcp":
		return "udp", true
	case "tcp4":
		return "udp4", true
	case "tcp6":
		return "udp6", true
	}
	return "", false
}

// Serve runs tests on l until ctx ends, then closes l and waits for the
// tests in progress to end (they end with ctx).
func (s *Server) Serve(ctx context.Context, l *Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	hub := &hub{pending: map[[cookieLen]byte]*serverTest{}, max: s.MaxTests}
	if hub.max == 0 {
		hub.max = 32
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	if l.dgram != nil {
		wg.Go(func() { s.udpStarts(ctx, l, hub) })
	}
	if l.unix != nil {
		wg.Go(func() { s.unixgramStarts(ctx, l, hub, &wg) })
	}
	for seq := uint64(1); ; seq++ {
		c, err := l.stream.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		wg.Go(func() { s.arrive(ctx, l, hub, c, seq) })
	}
}

func (s *Server) handshake() time.Duration {
	if s.Handshake > 0 {
		return s.Handshake
	}
	return 10 * time.Second
}

func (s *Server) report(e ServerEvent) {
	if s.Report != nil {
		s.Report(e)
	}
}

// hub is what the server's goroutines share: the tests waiting for their
// streams, by cookie, and the count of tests.
type hub struct {
	mu      sync.Mutex
	pending map[[cookieLen]byte]*serverTest
	running int
	max     int
	seq     int
}

// arrive reads a new connection's cookie: a waiting test's stream, or a
// new test. seq is the connection's place in the accept order, which is
// the order a client connected its streams in: the cookies may be read
// in any order.
func (s *Server) arrive(ctx context.Context, l *Listener, h *hub, c net.Conn, seq uint64) {
	var cookie [cookieLen]byte
	c.SetReadDeadline(time.Now().Add(s.handshake()))
	if _, err := io.ReadFull(c, cookie[:]); err != nil {
		c.Close()
		s.report(ServerEvent{Kind: TestRefused, Client: c.RemoteAddr(), Err: fmt.Errorf("no cookie: %w", err)})
		return
	}
	c.SetReadDeadline(time.Time{})
	h.mu.Lock()
	if t, ok := h.pending[cookie]; ok {
		h.mu.Unlock()
		t.addStream(c, seq)
		return
	}
	if !validCookie(cookie) {
		h.mu.Unlock()
		writeState(c, accessDenied)
		c.Close()
		s.report(ServerEvent{Kind: TestRefused, Client: c.RemoteAddr(), Err: errors.New("not a test: the first 37 bytes are no cookie")})
		return
	}
	if h.running >= h.max {
		h.mu.Unlock()
		writeState(c, accessDenied)
		c.Close()
		s.report(ServerEvent{Kind: TestRefused, Client: c.RemoteAddr(), Err: ErrBusy})
		return
	}
	h.running++
	h.seq++
	t := &serverTest{s: s, l: l, h: h, n: h.seq, control: c, cookie: cookie, arrived: make(chan arrival, 2*MaxStreams)}
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.running--
		delete(h.pending, cookie)
		h.mu.Unlock()
	}()
	t.serve(ctx)
}

// validCookie reports whether b is a cookie as iperf3 makes them: 36
// characters of its alphabet and a NUL.
func validCookie(b [cookieLen]byte) bool {
	if b[cookieLen-1] != 0 {
		return false
	}
	for _, ch := range b[:cookieLen-1] {
		if !(ch >= 'a' && ch <= 'z' || ch >= '2' && ch <= '7') {
			return false
		}
	}
	return true
}

// UDP streams start with a 4-byte datagram from the client, answered
// from the stream's own socket; iperf3 writes both in the host's order,
// little-endian here, and older versions sent other numbers.
const (
	udpConnectMsg         = 0x36373839
	udpConnectReply       = 0x39383736
	legacyUDPConnectMsg   = 123456789
	legacyUDPConnectReply = 987654321
)

// udpStarts reads the datagrams that start UDP streams, and gives each
// stream a socket of its own on the same port, connected to the client.
func (s *Server) udpStarts(ctx context.Context, l *Listener, h *hub) {
	buf := make([]byte, 64<<10)
	for seq := uint64(1); ; seq++ {
		n, from, err := l.dgram.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if n != 4 {
			continue // a stream's datagram that came before its socket: dropped, as iperf3 does
		}
		reply := uint32(udpConnectReply)
		switch binary.LittleEndian.Uint32(buf) {
		case udpConnectMsg:
		case legacyUDPConnectMsg:
			reply = legacyUDPConnectReply
		default:
			continue
		}
		ua := from.(*net.UDPAddr)
		t := h.udpTest(ua.IP)
		if t == nil {
			continue
		}
		local := l.dgram.LocalAddr().(*net.UDPAddr)
		ep := endpoint.Endpoint{Network: l.dgram.LocalAddr().Network(), Address: ua.String(),
			Options: endpoint.Options{ReusePort: true, Bind: local.String()}}
		c, err := ep.Dial(ctx)
		if err != nil {
			t.fail(fmt.Errorf("udp stream from %v: %w", ua, err))
			continue
		}
		var r [4]byte
		binary.LittleEndian.PutUint32(r[:], reply)
		if _, err := c.Write(r[:]); err != nil {
			c.Close()
			t.fail(fmt.Errorf("udp stream from %v: %w", ua, err))
			continue
		}
		t.addStream(c, seq)
	}
}

// unixgramStarts takes each new unixgram peer's first datagram: iperf3's
// 4-byte start and the test's cookie, which a Unix peer's name cannot
// stand in for as an IP address does.
func (s *Server) unixgramStarts(ctx context.Context, l *Listener, h *hub, wg *sync.WaitGroup) {
	for seq := uint64(1); ; seq++ {
		c, err := l.unix.Accept()
		if err != nil {
			return
		}
		wg.Go(func() {
			buf := make([]byte, 64)
			c.SetReadDeadline(time.Now().Add(s.handshake()))
			n, err := c.Read(buf)
			if err != nil || n != 4+cookieLen || binary.LittleEndian.Uint32(buf) != udpConnectMsg {
				c.Close()
				return
			}
			c.SetReadDeadline(time.Time{})
			var cookie [cookieLen]byte
			copy(cookie[:], buf[4:n])
			h.mu.Lock()
			t := h.pending[cookie]
			h.mu.Unlock()
			if t == nil || !t.udp {
				c.Close()
				return
			}
			var r [4]byte
			binary.LittleEndian.PutUint32(r[:], udpConnectReply)
			if _, err := c.Write(r[:]); err != nil {
				c.Close()
				return
			}
			t.addStream(c, seq)
		})
	}
}

// udpTest is the oldest UDP test from ip still waiting for streams.
func (h *hub) udpTest(ip net.IP) *serverTest {
	h.mu.Lock()
	defer h.mu.Unlock()
	var oldest *serverTest
	for _, t := range h.pending {
		if t.udp && t.clientIP.Equal(ip) && t.wantsStream() && (oldest == nil || t.n < oldest.n) {
			oldest = t
		}
	}
	return oldest
}
