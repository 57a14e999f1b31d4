package perf

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sort"
	"sync"
	"time"

	"github.com/sockit/sockit/endpoint"
)

// serverTest is one test a Server runs: its control connection, and the
// streams that arrive for it.
type serverTest struct {
	s       *Server
	l       *Listener
	h       *hub
	n       int
	control net.Conn
	cookie  [cookieLen]byte

	// Set before the test is listed as pending, read under h.mu.
	udp      bool
	clientIP net.IP

	mu      sync.Mutex
	want    int
	got     int
	failed  error
	arrived chan arrival
}

// arrival is a stream's connection and its place in the order the
// streams were connected in.
type arrival struct {
	conn net.Conn
	seq  uint64
}

// wantsStream reports whether the test still waits for a stream.
func (t *serverTest) wantsStream() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.got < t.want && t.failed == nil
}

// addStream hands c to the test, or closes it if the test has all its
// streams.
func (t *serverTest) addStream(c net.Conn, seq uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.got >= t.want || t.failed != nil {
		c.Close()
		return
	}
	t.got++
	t.arrived <- arrival{c, seq}
}

func (t *serverTest) fail(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.failed == nil {
		t.failed = err
	}
}

// refuse ends a test that will not run: SERVER_ERROR, iperf3's error
// number and errno, and a report.
func (t *serverTest) refuse(code, errno int32, err error) {
	msg := make([]byte, 9)
	st := serverError
	msg[0] = byte(st)
	binary.BigEndian.PutUint32(msg[1:], uint32(code))
	binary.BigEndian.PutUint32(msg[5:], uint32(errno))
	t.control.SetWriteDeadline(time.Now().Add(t.s.handshake()))
	t.control.Write(msg)
	t.s.report(ServerEvent{Kind: TestRefused, Test: t.n, Client: t.control.RemoteAddr(), Err: err})
}

// serve runs the test from its parameters to its results.
func (t *serverTest) serve(ctx context.Context) {
	c := newControl(t.control)
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	hs := t.s.handshake()
	c.SetDeadline(time.Now().Add(hs))
	if err := writeState(c, paramExchange); err != nil {
		return
	}
	var p params
	if err := readJSON(c, &p); err != nil {
		t.s.report(ServerEvent{Kind: TestRefused, Test: t.n, Client: c.RemoteAddr(), Err: fmt.Errorf("parameters: %w", err)})
		return
	}
	cfg := p.config()
	if err := cfg.Check(); err != nil {
		t.refuse(err.(*ConfigError).iperfCode(), 0, err)
		return
	}
	unixgram := p.Network == "unixgram"
	switch {
	case p.UDP && unixgram && t.l.unix == nil:
		t.refuse(ieStreamListen, 0, fmt.Errorf("unixgram test on %s: this server has no unixgram socket", t.l.ep))
		return
	case p.UDP && !unixgram && t.l.dgram == nil:
		t.refuse(ieStreamListen, 0, fmt.Errorf("UDP test on %s: this server has no UDP socket", t.l.ep))
		return
	}
	if p.UDP && p.Len < udpHeader32 {
		t.refuse(ieUDPBlockSize, 0, fmt.Errorf("datagrams of %d bytes: the header alone is %d", p.Len, udpHeader32))
		return
	}
	res := &Result{Cookie: string(t.cookie[:cookieLen-1]), Network: t.network(p), Config: cfg,
		Local: c.LocalAddr(), Remote: c.RemoteAddr(), PeerVersion: p.Version}
	n := cfg.streams()
	if cfg.Bidir {
		n *= 2
	}
	t.mu.Lock()
	t.want = n
	t.mu.Unlock()
	t.udp = p.UDP
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		t.clientIP = ta.IP
	}
	t.h.mu.Lock()
	t.h.pending[t.cookie] = t
	t.h.mu.Unlock()
	if err := writeState(c, createStreams); err != nil {
		return
	}
	streams, err := t.collect(ctx, n, hs, p)
	t.h.mu.Lock()
	delete(t.h.pending, t.cookie)
	t.h.mu.Unlock()
	defer func() {
		for _, s := range streams {
			s.conn.Close()
		}
	}()
	if err != nil {
		t.refuse(streamErrorCode(err), errnoOf(err), err)
		return
	}
	c.SetDeadline(time.Time{})
	if err := writeState(c, testStart); err != nil {
		return
	}
	if err := writeState(c, testRunning); err != nil {
		return
	}
	cfg.ZeroCopy, cfg.SkipRxCopy = cfg.ZeroCopy || t.s.ZeroCopy, t.s.SkipRxCopy
	r := newRun(cfg, streams, p.UDP)
	if t.s.Interval {
		r.report = func(iv Interval) {
			t.s.report(ServerEvent{Kind: TestInterval, Test: t.n, Client: c.RemoteAddr(), Interval: iv})
		}
	} else {
		r.cfg.Interval = -1
		if cfg.Omit > 0 {
			r.cfg.Interval = cfg.Omit // one tick, to start counting after Omit
		}
	}
	cpu := readCPU()
	r.start(ctx, newBudget(cfg.Bytes, cfg.Blocks))
	res.Start, res.Streams = r.started, skeleton(streams, true)
	res.sockets(streams)
	t.s.report(ServerEvent{Kind: TestStarted, Test: t.n, Client: c.RemoteAddr(), Result: res})

	// The client ends the test: TEST_END, once its time is up or its
	// bytes are sent (or received).
	if d := cfg.duration(); d > 0 {
		c.SetReadDeadline(time.Now().Add(cfg.Omit + d + 30*time.Second))
	}
	st, err := readState(c)
	switch {
	case err != nil:
		err = fmt.Errorf("the client went before the test ended: %w", err)
	case st == clientTerminate:
		err = errors.New("the client ended the test (CLIENT_TERMINATE)")
	case st != testEnd:
		err = fmt.Errorf("the client sent %v during the test", st)
	}
	r.stopSending()
	switch {
	case err != nil:
	case p.UDP:
		// The datagrams already queued here were sent before TEST_END:
		// count them, until none has come for a moment.
		r.drain(time.Second, 20*time.Millisecond)
	case p.Sockit != 0:
		r.drain(2*time.Second, 0) // a sockit client shuts its streams down before TEST_END
	}
	totals, runErr := r.finish()
	res.CPU = cpu.since()
	if err != nil {
		t.end(res, r, totals, results{}, err)
		return
	}
	c.SetDeadline(time.Now().Add(hs))
	var peer results
	if err := writeState(c, exchangeResults); err == nil {
		if err = readJSON(c, &peer); err == nil {
			res.Congestion = congestionOf(streams)
			err = writeJSON(c, ownResults(r, totals, res.CPU, res.Congestion))
		}
		if err == nil {
			err = writeState(c, displayResults)
		}
		if err == nil {
			// IPERF_DONE, or the client's close: either ends it.
			readState(c)
		}
		if err != nil {
			runErr = fmt.Errorf("results exchange: %w", err)
		}
	}
	t.end(res, r, totals, peer, runErr)
}

func (t *serverTest) end(res *Result, r *run, totals []StreamStats, peer results, err error) {
	join(res, r, totals, peer, true)
	t.s.report(ServerEvent{Kind: TestEnded, Test: t.n, Client: t.control.RemoteAddr(), Result: res, Err: err})
}

// network is the test's data network, as Result names it.
func (t *serverTest) network(p params) string {
	switch {
	case p.UDP && p.Network == "unixgram":
		return "unixgram"
	case p.UDP:
		return t.l.dgram.LocalAddr().Network()
	}
	return t.l.ep.Network
}

// collect waits for the test's n streams and makes them streams, in the
// order the client connected them: numbered 1, 3, 4, ... (iperf3's
// numbering), and with --bidir the first half are the client's sending
// ones.
func (t *serverTest) collect(ctx context.Context, n int, within time.Duration, p params) ([]*stream, error) {
	timer := time.NewTimer(within)
	defer timer.Stop()
	var got []arrival
	closeAll := func() {
		for _, a := range got {
			a.conn.Close()
		}
	}
	for len(got) < n {
		select {
		case a := <-t.arrived:
			got = append(got, a)
			timer.Reset(within)
		case <-timer.C:
			closeAll()
			return nil, fmt.Errorf("%d of %d streams connected within %v", len(got), n, within)
		case <-ctx.Done():
			closeAll()
			return nil, ctx.Err()
		}
		t.mu.Lock()
		failed := t.failed
		t.mu.Unlock()
		if failed != nil {
			closeAll()
			return nil, failed
		}
	}
	sort.Slice(got, func(i, j int) bool { return got[i].seq < got[j].seq })
	cfg := p.config()
	streams := make([]*stream, len(got))
	for i, a := range got {
		s := &stream{id: streamID(i), conn: a.conn, udp: p.UDP, tcp: isTCP(a.conn)}
		if cfg.Bidir {
			s.sender = i >= cfg.streams()
		} else {
			s.sender = cfg.Reverse
		}
		streams[i] = s
	}
	for _, s := range streams {
		if err := cfg.dataOptions(s.tcp).Apply(s.conn); err != nil && s.tcp {
			return streams, fmt.Errorf("stream %d: %w", s.id, err)
		}
	}
	return streams, nil
}

// streamErrorCode is iperf3's error number for a stream that could not
// be set up: an option the kernel refused, or a stream that never came.
func streamErrorCode(err error) int32 {
	var se *endpoint.SockoptError
	if errors.As(err, &se) {
		switch se.Name {
		case "congestion":
			return ieSetCongestion
		case "maxseg":
			return ieSetMSS
		case "rcvbuf", "sndbuf":
			return ieSetWindow
		}
	}
	return ieStreamConnect
}

// streamID is the id of the i-th stream (from 0): 1, 3, 4, 5, ...; iperf3
// skips 2.
func streamID(i int) int {
	if i == 0 {
		return 1
	}
	return i + 2
}

func isTCP(c net.Conn) bool {
	a := c.LocalAddr()
	return a != nil && a.Network() == "tcp"
}

// congestionOf is the congestion control the first TCP stream uses.
func congestionOf(streams []*stream) string {
	for _, s := range streams {
		if s.tcp {
			if v, err := endpoint.Congestion(s.conn); err == nil {
				return v
			}
		}
	}
	return ""
}
