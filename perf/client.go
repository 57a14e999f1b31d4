package perf

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/socket"
)

// Client runs a test against a perf server: sockit's, or iperf3 -s.
type Client struct {
	Config
	// Handshake bounds each step before the test runs and the results
	// exchange after it. If zero, 10 seconds.
	Handshake time.Duration
	// Report, if not nil, is told of the connections as they are made
	// and of each interval as it ends.
	Report func(ClientEvent)
	// Via, if not nil, opens every TCP connection of the test (control
	// and streams; tcp and tls) in place of the dialer: through proxies
	// (proxy.Chain.DialContext). A UDP test cannot go through it.
	Via func(ctx context.Context, network, addr string) (net.Conn, error)
	// StreamPort, if not zero, is the data streams' source port: stream
	// i binds StreamPort+i, on the address the endpoint's bind= names if
	// any (iperf3's --cport). The control connection keeps its own.
	StreamPort int
}

// ClientEventKind says what happened in a Client's test.
type ClientEventKind int

const (
	// Connected: the control connection is up (Local, Remote).
	Connected ClientEventKind = iota
	// StreamConnected: a data stream is up (Stream: its id and
	// addresses, and whether the server sends on it).
	StreamConnected
	// Started: every stream is up and the test runs (Result).
	Started
	// IntervalEnded: an interval ended (Interval).
	IntervalEnded
)

// ClientEvent is a report of a Client.
type ClientEvent struct {
	Kind          ClientEventKind
	Local, Remote net.Addr
	Stream        StreamResult
	Interval      Interval
	Result        *Result // Started: the test's parameters and streams
}

// ErrServerTerminated: the server ended the test before it was over.
var ErrServerTerminated = errors.New("the server ended the test")

// ServerError is the error a server gave for refusing or ending a test:
// iperf3's error number and the errno behind it.
type ServerError struct {
	Code, Errno int32
}

func (e *ServerError) Error() string {
	msg := iperfErrors[e.Code]
	if msg == "" {
		msg = fmt.Sprintf("error %d", e.Code)
	}
	if e.Errno != 0 {
		return fmt.Sprintf("the server refused the test: %s: %v", msg, syscall.Errno(e.Errno))
	}
	return "the server refused the test: " + msg
}

// Run dials the server at ep and runs the test. ep names the control
// connection's server; for a udp endpoint the control connection is TCP
// to the same address and the streams are UDP. ctx ending stops the test
// early: Run then returns what was measured with the context's error.
func (cl *Client) Run(ctx context.Context, ep endpoint.Endpoint) (*Result, error) {
	if err := cl.Config.Check(); err != nil {
		return nil, err
	}
	ctrl, data, udp, err := controlOf(ep)
	if err != nil {
		return nil, err
	}
	hs := cl.Handshake
	if hs == 0 {
		hs = 10 * time.Second
	}
	if cl.Via != nil && udp {
		return nil, fmt.Errorf("perf %s: a UDP test cannot go through a proxy", ep)
	}
	raw, err := cl.dial(ctx, ctrl)
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	c := newControl(raw)
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	cl.report(ClientEvent{Kind: Connected, Local: c.LocalAddr(), Remote: c.RemoteAddr()})
	cookie := newCookie()
	res := &Result{Cookie: string(cookie[:cookieLen-1]), Network: data.Network, Config: cl.Config, Local: c.LocalAddr(), Remote: c.RemoteAddr()}
	c.SetDeadline(time.Now().Add(hs))
	if _, err := c.Write(cookie[:]); err != nil {
		return nil, fmt.Errorf("perf %s: %w", ep, err)
	}
	var streams []*stream
	defer func() {
		for _, s := range streams {
			s.conn.Close()
		}
	}()
	for {
		st, err := readState(c)
		if err != nil {
			return nil, cl.wireError(ctx, ep, "before the test", err)
		}
		switch st {
		case paramExchange:
			if err := writeJSON(c, cl.params(udp, data.Network)); err != nil {
				return nil, fmt.Errorf("perf %s: parameters: %w", ep, err)
			}
		case createStreams:
			if streams, err = cl.connect(ctx, data, cookie, udp, hs); err != nil {
				return nil, err
			}
		case testStart:
		case testRunning:
			return cl.run(ctx, c, res, streams, udp, hs)
		case accessDenied:
			return nil, ErrBusy
		case serverError:
			return nil, readServerError(c)
		case serverTerminate:
			return nil, ErrServerTerminated
		default:
			return nil, fmt.Errorf("perf %s: the server sent %v before the test ran", ep, st)
		}
	}
}

// dial connects to ep, through Via if it is set and ep is TCP or TLS.
func (cl *Client) dial(ctx context.Context, ep endpoint.Endpoint) (net.Conn, error) {
	if cl.Via != nil && ep.Type() == socket.Stream && !ep.IsUnix() {
		return ep.DialVia(ctx, cl.Via)
	}
	return ep.Dial(ctx)
}

func (cl *Client) report(e ClientEvent) {
	if cl.Report != nil {
		cl.Report(e)
	}
}

func (cl *Client) params(udp bool, network string) params {
	if network == "tcp" || network == "tcp4" || network == "tcp6" || network == "udp" || network == "udp4" || network == "udp6" {
		network = ""
	}
	return cl.Config.params(udp, network)
}

// controlOf splits ep into the control connection's endpoint and the data
// streams'.
func controlOf(ep endpoint.Endpoint) (ctrl, data endpoint.Endpoint, udp bool, err error) {
	ctrl, data = ep, ep
	switch ep.Network {
	case "udp", "udp4", "udp6":
		ctrl.Network = "tcp" + ep.Network[3:]
		ctrl.Options = endpoint.Options{}
		return ctrl, data, true, nil
	case "unixgram":
		// Control over the Unix stream socket of that name, the streams
		// to the unixgram socket beside it.
		ctrl.Network = "unix"
		data.Address = DatagramName(ep.Address)
		return ctrl, data, true, nil
	}
	switch ep.Type() {
	case socket.Stream, socket.SeqPacket:
		return ctrl, data, false, nil
	}
	return ctrl, data, false, fmt.Errorf("perf %s: not a stream or datagram socket", ep)
}

// connect opens the test's streams: each TCP (or Unix, or TLS) stream
// sends the cookie first; each UDP stream sends iperf3's 4-byte start
// datagram and waits for the answer.
func (cl *Client) connect(ctx context.Context, data endpoint.Endpoint, cookie [cookieLen]byte, udp bool, within time.Duration) ([]*stream, error) {
	n := cl.streams()
	if cl.Bidir {
		n *= 2
	}
	opts := cl.dataOptions(!udp && data.Network != "unix" && data.Network != "unixpacket")
	opts.TLS, opts.Bind = data.Options.TLS, data.Options.Bind
	merged := data
	merged.Options = mergeOptions(data.Options, opts)
	var streams []*stream
	for i := range n {
		dial := merged
		if cl.StreamPort > 0 {
			host := ""
			if b := data.Options.Bind; b != "" {
				if h, _, err := net.SplitHostPort(b); err == nil {
					host = h
				} else {
					host = strings.Trim(b, "[]")
				}
			}
			dial.Options.Bind = net.JoinHostPort(host, strconv.Itoa(cl.StreamPort+i))
		}
		dctx, cancel := context.WithTimeout(ctx, within)
		c, err := cl.dial(dctx, dial)
		cancel()
		if err != nil {
			return streams, fmt.Errorf("stream %d: %w", streamID(i), err)
		}
		s := &stream{id: streamID(i), conn: c, udp: udp, tcp: isTCP(c)}
		switch {
		case cl.Bidir:
			s.sender = i < cl.streams()
		default:
			s.sender = !cl.Reverse
		}
		streams = append(streams, s)
		if udp {
			hello := binary.LittleEndian.AppendUint32(nil, udpConnectMsg)
			if data.Network == "unixgram" {
				hello = append(hello, cookie[:]...) // a Unix peer has no address to match its test by
			}
			err = udpHello(c, hello, within)
		} else {
			c.SetWriteDeadline(time.Now().Add(within))
			_, err = c.Write(cookie[:])
			c.SetWriteDeadline(time.Time{})
		}
		if err != nil {
			return streams, fmt.Errorf("stream %d: %w", s.id, err)
		}
		cl.report(ClientEvent{Kind: StreamConnected, Stream: StreamResult{ID: s.id, Local: c.LocalAddr(), Remote: c.RemoteAddr(), Reverse: !s.sender}})
	}
	return streams, nil
}

// mergeOptions is the endpoint's own options with the test's data-socket
// options over them where the test sets one.
func mergeOptions(own, test endpoint.Options) endpoint.Options {
	o := own
	if test.RecvBuffer > 0 {
		o.RecvBuffer, o.SendBuffer = test.RecvBuffer, test.SendBuffer
	}
	if test.MaxSeg > 0 {
		o.MaxSeg = test.MaxSeg
	}
	if test.Congestion != "" {
		o.Congestion = test.Congestion
	}
	if test.NoDelay != nil {
		o.NoDelay = test.NoDelay
	}
	return o
}

// udpHello starts a UDP stream: the start datagram, sent again each
// second until the server answers, for at most within.
func udpHello(c net.Conn, msg []byte, within time.Duration) error {
	deadline := time.Now().Add(within)
	buf := make([]byte, 64<<10)
	for time.Now().Before(deadline) {
		if _, err := c.Write(msg); err != nil {
			return err
		}
		wait := time.Now().Add(time.Second)
		if wait.After(deadline) {
			wait = deadline
		}
		c.SetReadDeadline(wait)
		n, err := c.Read(buf)
		if err == nil && n == 4 {
			// In either byte order: iperf3 writes it in its host's.
			for _, v := range []uint32{binary.LittleEndian.Uint32(buf), binary.BigEndian.Uint32(buf)} {
				if v == udpConnectReply || v == legacyUDPConnectReply {
					c.SetReadDeadline(time.Time{})
					return nil
				}
			}
		}
		var ne net.Error
		if err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
			return fmt.Errorf("udp start: %w", err)
		}
	}
	return fmt.Errorf("udp start: no answer from the server within %v", within)
}

// run runs the test once the server has said TEST_RUNNING.
func (cl *Client) run(ctx context.Context, c net.Conn, res *Result, streams []*stream, udp bool, hs time.Duration) (*Result, error) {
	c.SetDeadline(time.Time{})
	r := newRun(cl.Config, streams, udp)
	if cl.Report != nil {
		r.report = func(iv Interval) { cl.report(ClientEvent{Kind: IntervalEnded, Interval: iv}) }
	}
	// A byte- or block-bounded test ends when this side's senders have
	// sent the bound and its receivers have received it.
	bounded := cl.Bytes > 0 || cl.Blocks > 0
	var sent, got chan struct{}
	if bounded && hasSender(streams) {
		sent = r.sent
	}
	if limit := cl.Bytes + cl.Blocks*int64(cl.blockSize(udp)); bounded && hasReceiver(streams) {
		r.countsReceived = true
		got = make(chan struct{})
		var total atomic.Int64
		var once sync.Once
		for _, s := range streams {
			if !s.sender {
				s.received = func(n int) {
					if total.Add(int64(n)) >= limit {
						once.Do(func() { close(got) })
					}
				}
			}
		}
	}
	// The server may end the test, or go, while it runs.
	states := make(chan error, 1)
	go func() {
		st, err := readState(c)
		switch {
		case err != nil:
			states <- err
		case st == exchangeResults:
			states <- nil
		case st == serverError:
			states <- readServerError(c)
		case st == serverTerminate:
			states <- ErrServerTerminated
		default:
			states <- fmt.Errorf("the server sent %v during the test", st)
		}
	}()
	cpu := readCPU()
	r.start(ctx, newBudget(cl.budgetFor(streams)))
	res.Start, res.Streams = r.started, skeleton(streams, false)
	res.sockets(streams)
	cl.report(ClientEvent{Kind: Started, Local: res.Local, Remote: res.Remote, Result: res})
	var timeUp <-chan time.Time
	if d := cl.duration(); d > 0 {
		t := time.NewTimer(cl.Omit + d)
		defer t.Stop()
		timeUp = t.C
	}
	var early error
	for done := false; !done; {
		select {
		case <-timeUp:
			done = true
		case <-sent:
			sent = nil
			done = got == nil
		case <-got:
			got = nil
			done = sent == nil
		case err := <-states:
			early = err
			if early == nil {
				early = errors.New("the server asked for results before the test ended")
			}
			done = true
		case <-ctx.Done():
			done = true
		}
	}
	r.stopSending()
	if ctx.Err() != nil {
		c.SetDeadline(time.Now().Add(hs))
		writeState(c, clientTerminate)
		totals, _ := r.finish()
		join(res, r, totals, results{}, false)
		return res, ctx.Err()
	}
	if early != nil {
		totals, _ := r.finish()
		join(res, r, totals, results{}, false)
		return res, early
	}
	c.SetDeadline(time.Now().Add(hs))
	if err := writeState(c, testEnd); err != nil {
		return nil, fmt.Errorf("test end: %w", err)
	}
	if err := <-states; err != nil {
		r.finish()
		return nil, fmt.Errorf("waiting for the results: %w", err)
	}
	// The streams the server sent on: a sockit server has shut them
	// down, iperf3's has stopped; either way what is in flight arrives.
	r.drain(2*time.Second, 50*time.Millisecond)
	totals, runErr := r.finish()
	c.SetDeadline(time.Now().Add(hs))
	if err := writeJSON(c, ownResults(r, totals, cpu.since(), congestionOf(streams))); err != nil {
		return nil, fmt.Errorf("results exchange: %w", err)
	}
	var peer results
	if err := readJSON(c, &peer); err != nil {
		return nil, fmt.Errorf("results exchange: %w", err)
	}
	res.CPU = cpu.since()
	res.Congestion = congestionOf(streams)
	join(res, r, totals, peer, false)
	if st, err := readState(c); err == nil && st == displayResults {
		writeState(c, iperfDone)
	}
	return res, runErr
}

// budgetFor is the bound on what this side sends.
func (cl *Client) budgetFor(streams []*stream) (bytes, blocks int64) {
	if !hasSender(streams) {
		return 0, 0
	}
	return cl.Bytes, cl.Blocks
}

func hasSender(streams []*stream) bool {
	for _, s := range streams {
		if s.sender {
			return true
		}
	}
	return false
}

func hasReceiver(streams []*stream) bool {
	for _, s := range streams {
		if !s.sender {
			return true
		}
	}
	return false
}

// readServerError reads what follows SERVER_ERROR: iperf3's error
// number and errno, each a 4-byte big-endian integer.
func readServerError(c net.Conn) error {
	var b [8]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		return &ServerError{Code: -1}
	}
	return &ServerError{Code: int32(binary.BigEndian.Uint32(b[:4])), Errno: int32(binary.BigEndian.Uint32(b[4:]))}
}

// wireError says what a broken control connection means.
func (cl *Client) wireError(ctx context.Context, ep endpoint.Endpoint, when string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("perf %s: the control connection broke %s: %w", ep, when, err)
}
