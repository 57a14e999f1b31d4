package icmp

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"time"

	"github.com/sockit/sockit/socket"
)

// Config says what a [Pinger] sends.
type Config struct {
	Dst      netip.Addr    // the host to ping
	Count    int           // echo requests to send; 0: until Deadline or the context ends
	Interval time.Duration // between requests; 0 sends them back to back
	Size     int           // payload bytes of each request (iputils' -s; 56 makes 64-byte ICMP messages)
	TTL      int           // TTL (IPv6: hop limit) of the requests; 0: the kernel's default
	// Timeout is how long to wait for the missing replies once the last
	// request is sent (iputils' -W). 0: 10 s if no reply has come at
	// all, else twice the longest round trip seen, at least LingerMin.
	Timeout time.Duration
	// Deadline stops the run this long after it started, however many
	// requests were sent (iputils' -w). With a Count, requests go on
	// until Count replies arrived or the deadline passes. 0: none.
	Deadline time.Duration
	Kind     Kind          // the socket to use
	Tracer   socket.Tracer // if not nil, sees the socket's system calls
}

// DefaultTimeout is the wait for a first reply after the last request.
const DefaultTimeout = 10 * time.Second

// LingerMin is the least wait for missing replies after the last request,
// once some replies have come.
const LingerMin = time.Second

// tokenLen is the size of the token that starts every payload of at
// least that size, so that a pinger recognizes its own replies.
const tokenLen = 8

// Reply is an echo reply that matched a request.
type Reply struct {
	Seq   int           // the request's icmp_seq, from 1
	From  netip.Addr    // who replied
	Bytes int           // bytes of the ICMP message
	TTL   int           // the reply's TTL or hop limit; -1 if unknown
	RTT   time.Duration // from sending the request to the kernel receiving the reply
	Dup   bool          // a second (or later) reply to the same request
	Late  bool          // out of order: a reply to a later request came first
}

// ErrorReply is an ICMP error about one of the pinger's requests, such as
// a router's "time to live exceeded".
type ErrorReply struct {
	Seq     int        // the request's icmp_seq
	From    netip.Addr // who sent the error
	Message Message    // the error; Message.Describe says it in words
}

// Summary is what a run amounted to, as iputils ping's last lines.
type Summary struct {
	Transmitted int           // requests sent
	Received    int           // requests that got a reply (duplicates not counted)
	Duplicates  int           // extra replies
	Errors      int           // ICMP errors about requests
	Elapsed     time.Duration // from the first request sent to the last, as iputils' "time": not the wait for replies
	Min, Avg    time.Duration // round-trip times of the first replies
	Max, Mdev   time.Duration // Mdev is the standard deviation, as iputils computes it
}

// Loss returns the percentage of requests that got no reply.
func (s Summary) Loss() float64 {
	if s.Transmitted == 0 {
		return 0
	}
	return 100 * float64(s.Transmitted-s.Received) / float64(s.Transmitted)
}

// Pinger sends echo requests to one host and matches the replies.
type Pinger struct {
	cfg   Config
	conn  *Conn
	token [tokenLen]byte
	data  []byte

	// OnReply, OnError and OnSendError, if set, are called from Run's
	// goroutine for each reply, each ICMP error, and each request the
	// kernel refused to send (seq, error).
	OnReply     func(Reply)
	OnError     func(ErrorReply)
	OnSendError func(seq int, err error)
}

// NewPinger opens the socket cfg asks for.
func NewPinger(cfg Config) (*Pinger, error) {
	if !cfg.Dst.IsValid() {
		return nil, errors.New("ping: no destination address")
	}
	if cfg.Size < 0 || cfg.Size > 65507 {
		return nil, fmt.Errorf("ping: payload size %d out of range 0-65507", cfg.Size)
	}
	conn, err := Open(cfg.Dst.Is6() && !cfg.Dst.Is4In6(), cfg.Kind, cfg.Tracer)
	if err != nil {
		return nil, err
	}
	if cfg.TTL > 0 {
		if err := conn.SetTTL(cfg.TTL); err != nil {
			conn.Close()
			return nil, err
		}
	}
	p := &Pinger{cfg: cfg, conn: conn, data: make([]byte, cfg.Size)}
	if _, err := rand.Read(p.token[:]); err != nil {
		conn.Close()
		return nil, err
	}
	// The payload: the token, then bytes counting up, as iputils fills it.
	for i := range p.data {
		p.data[i] = byte(i)
	}
	copy(p.data, p.token[:])
	return p, nil
}

// Kind returns the kind of socket the pinger opened: Raw or Datagram.
func (p *Pinger) Kind() Kind { return p.conn.Kind() }

// ID returns the echo identifier of the pinger's requests.
func (p *Pinger) ID() int { return p.conn.ID() }

// Close closes the socket.
func (p *Pinger) Close() error { return p.conn.Close() }

// ours reports whether data, an echo payload (or the part of one an
// error quoted), is one of this pinger's.
func (p *Pinger) ours(data []byte) bool {
	n := min(len(data), len(p.data), tokenLen)
	return bytes.Equal(data[:n], p.data[:n])
}

// seqWindow is how many requests the pinger remembers: the sequence
// number is 16 bits.
const seqWindow = 1 << 16

// pingState is Run's bookkeeping, owned by its goroutine.
type pingState struct {
	sent     int               // requests sent; request i (from 1) has icmp_seq i mod 2^16
	sentAt   [seqWindow]int64  // unix nanoseconds each slot's request was sent
	replies  [seqWindow]uint16 // replies each slot's request got
	highest  int               // the highest request that got a reply
	total    float64           // of first replies' RTTs in nanoseconds
	sq       float64           // of their squares
	sum      Summary
	start    time.Time
	first    time.Time // when the first request was sent
	lastSend time.Time
}

// receiveLoop calls receive in a goroutine until it fails or ctx ends,
// passing on what it returns, and its error. stop ends the goroutine and
// waits for it.
func receiveLoop[T any](ctx context.Context, receive func(context.Context) (T, error), buffer int) (items <-chan T, errs <-chan error, stop func()) {
	rctx, cancel := context.WithCancel(ctx)
	out := make(chan T, buffer)
	errc := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			item, err := receive(rctx)
			if err != nil {
				errc <- err
				return
			}
			select {
			case out <- item:
			case <-rctx.Done():
				return
			}
		}
	}()
	return out, errc, func() {
		cancel()
		<-done
	}
}

// Run pings until cfg's Count is sent and answered (or waited for), its
// Deadline passes, or ctx ends, and returns the summary. An ended context
// is not an error: the summary covers what was done.
func (p *Pinger) Run(ctx context.Context) (Summary, error) {
	packets, recvErr, stop := receiveLoop(ctx, p.conn.Receive, 256)
	defer stop()

	st := &pingState{start: time.Now()}
	var deadline <-chan time.Time
	if p.cfg.Deadline > 0 {
		t := time.NewTimer(p.cfg.Deadline)
		defer t.Stop()
		deadline = t.C
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		var wake time.Time
		if p.sending(st) {
			wake = st.start.Add(time.Duration(st.sent) * p.cfg.Interval)
		} else {
			if p.done(st) {
				return st.summary(), nil
			}
			wake = st.lastSend.Add(p.linger(st))
		}
		timer.Reset(time.Until(wake)) // since Go 1.23 no stale tick is left in timer.C
		select {
		case <-ctx.Done():
			return st.summary(), nil
		case <-deadline:
			return st.summary(), nil
		case err := <-recvErr:
			if ctx.Err() != nil {
				return st.summary(), nil
			}
			return st.summary(), err
		case pkt := <-packets:
			p.handle(st, pkt)
		case <-timer.C:
			if !p.sending(st) {
				return st.summary(), nil // lingered long enough
			}
			p.send(ctx, st)
		}
	}
}

// sending reports whether more requests are due.
func (p *Pinger) sending(st *pingState) bool {
	switch {
	case p.cfg.Count == 0:
		return true
	case p.cfg.Deadline > 0:
		return st.sum.Received < p.cfg.Count
	}
	return st.sent < p.cfg.Count
}

// done reports whether every request sent got an answer, so there is
// nothing to wait for.
func (p *Pinger) done(st *pingState) bool {
	return st.sum.Received+st.sum.Errors >= st.sent
}

// linger is how long to wait for the missing replies after the last
// request: -W if given; else, once replies have come, twice the longest
// round trip but at least LingerMin (iputils waits only the twice, which
// drops replies delayed on a loaded host); else DefaultTimeout.
func (p *Pinger) linger(st *pingState) time.Duration {
	switch {
	case p.cfg.Timeout > 0:
		return p.cfg.Timeout
	case st.sum.Received > 0:
		return max(2*st.sum.Max, LingerMin)
	}
	return DefaultTimeout
}

func (p *Pinger) send(ctx context.Context, st *pingState) {
	st.sent++
	seq := st.sent & 0xffff
	st.replies[seq] = 0
	sent, err := p.conn.SendEcho(ctx, p.cfg.Dst, seq, p.data)
	st.sentAt[seq] = sent.UnixNano()
	if !sent.IsZero() { // zero: the ended context kept the request from leaving
		if st.first.IsZero() {
			st.first = sent
		}
		st.lastSend = sent
	}
	st.sum.Transmitted = st.sent
	if err != nil && p.OnSendError != nil {
		p.OnSendError(seq, err)
	}
}

// request returns the request (counted from 1) that carried icmp_seq seq,
// or 0 if none did.
func (st *pingState) request(seq int) int {
	i := st.sent - ((st.sent - seq) & 0xffff)
	if i <= 0 {
		return 0
	}
	return i
}

// handle matches a packet to a request and reports it.
func (p *Pinger) handle(st *pingState, pkt Packet) {
	m := pkt.ICMP
	switch {
	case m.IsEchoReply() && m.ID == p.conn.ID() && p.ours(m.Data):
		i := st.request(m.Seq)
		if i == 0 {
			return
		}
		r := Reply{Seq: i, From: pkt.IP.Src, Bytes: m.Len, TTL: pkt.IP.TTL,
			RTT: max(0, time.Duration(pkt.Time.UnixNano()-st.sentAt[m.Seq]))}
		r.Dup = st.replies[m.Seq] > 0
		st.replies[m.Seq]++
		if r.Dup {
			st.sum.Duplicates++
		} else {
			r.Late = i < st.highest
			st.highest = max(st.highest, i)
			st.record(r.RTT)
		}
		if p.OnReply != nil {
			p.OnReply(r)
		}
	case m.Quoted != nil && m.Quoted.Echo && m.Quoted.ID == p.conn.ID() && p.ours(m.Quoted.Data) &&
		(!m.Quoted.IP.Dst.IsValid() || m.Quoted.IP.Dst == p.cfg.Dst.Unmap()):
		i := st.request(m.Quoted.Seq)
		if i == 0 {
			return
		}
		st.sum.Errors++
		if p.OnError != nil {
			p.OnError(ErrorReply{Seq: i, From: pkt.IP.Src, Message: m})
		}
	}
}

// record adds a first reply's round trip to the statistics.
func (st *pingState) record(rtt time.Duration) {
	s := &st.sum
	s.Received++
	if s.Received == 1 || rtt < s.Min {
		s.Min = rtt
	}
	s.Max = max(s.Max, rtt)
	ns := float64(rtt)
	st.total += ns
	st.sq += ns * ns
}

// summary finishes the statistics.
func (st *pingState) summary() Summary {
	s := st.sum
	// iputils ping's "time" runs from the first request sent to the last
	// one, leaving out the wait for replies: with -c 1 it is 0 ms, however
	// long the reply took or was waited for.
	if !st.first.IsZero() {
		s.Elapsed = st.lastSend.Sub(st.first)
	}
	if s.Received > 0 {
		n := float64(s.Received)
		avg := st.total / n
		s.Avg = time.Duration(avg)
		s.Mdev = time.Duration(math.Sqrt(max(0, st.sq/n-avg*avg)))
	}
	return s
}
