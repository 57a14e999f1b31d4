package perf

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/socket"
)

// Interval is one report period of a test, as one side saw it.
type Interval struct {
	Start, End time.Duration // since the test started sending
	Omitted    bool          // within Config.Omit: left out of the results
	Streams    []StreamStats
}

// StreamStats is what moved on one stream in a period, or over the test.
type StreamStats struct {
	ID      int
	Sender  bool // this side sent on the stream
	Seconds float64
	Bytes   uint64
	// Packets, Lost, OutOfOrder, Duplicates and Jitter are a datagram
	// stream's: datagrams sent, or received; for the receiver, those
	// missing, late, repeated, and RFC 3550's interarrival jitter.
	Packets    int64
	Lost       int64
	OutOfOrder int64
	Duplicates int64
	Jitter     time.Duration
	// Retransmits, Cwnd (bytes), RTT and SndWnd are a TCP sender's, from
	// TCP_INFO: segments retransmitted in the period, and the congestion
	// window, smoothed round-trip time and the peer's window at its end.
	Retransmits int
	Cwnd        int
	RTT         time.Duration
	RTTVar      time.Duration
	PMTU        int
	SndWnd      int
}

// BitsPerSecond is the stream's rate over its seconds.
func (s StreamStats) BitsPerSecond() float64 {
	if s.Seconds <= 0 {
		return 0
	}
	return float64(s.Bytes) * 8 / s.Seconds
}

// SumStats adds up streams' figures, as iperf3's sums do: bytes,
// datagrams and retransmits add, the seconds are the longest stream's,
// and the jitter is the streams' mean.
func SumStats(l []StreamStats) StreamStats {
	var s StreamStats
	for _, x := range l {
		s.Seconds = max(s.Seconds, x.Seconds)
		s.Bytes += x.Bytes
		s.Packets += x.Packets
		s.Lost += x.Lost
		s.OutOfOrder += x.OutOfOrder
		s.Duplicates += x.Duplicates
		s.Jitter += x.Jitter
		s.Retransmits += x.Retransmits
		s.Sender = x.Sender
	}
	if len(l) > 0 {
		s.Jitter /= time.Duration(len(l))
	}
	return s
}

// LostPercent is the share of the datagrams that were lost.
func (s StreamStats) LostPercent() float64 {
	if s.Packets+s.Lost == 0 {
		return 0
	}
	return 100 * float64(s.Lost) / float64(s.Packets+s.Lost)
}

// run is a test in progress on one side: its streams sending and
// receiving, counted per interval.
type run struct {
	cfg     Config
	streams []*stream
	udp     bool
	report  func(Interval) // each interval as it ends; may be nil

	started   time.Time
	omitUntil time.Time

	mu        sync.Mutex
	base      []snapshot // at the start of the counted part
	last      []snapshot // at the end of the last interval
	intervals []Interval
	// min, max and sum of each TCP sender's RTT over the intervals, and
	// its largest cwnd
	rtt []rttStats

	// countsReceived: this side ends the test once its receivers have
	// read a byte count (a client's -R -n), so the last bytes must wake
	// them however few: no low-water mark.
	countsReceived bool

	cancel  context.CancelFunc
	wg      sync.WaitGroup
	errs    chan error
	sent    chan struct{} // closed once every sender here has returned
	drained chan struct{} // closed once every receiver here has returned
	tickers sync.WaitGroup
}

type rttStats struct {
	min, max, sum time.Duration
	n             int
	maxCwnd       int
	maxSndWnd     int
}

func newRun(cfg Config, streams []*stream, udp bool) *run {
	return &run{cfg: cfg, streams: streams, udp: udp,
		errs: make(chan error, len(streams)), sent: make(chan struct{}), drained: make(chan struct{})}
}

// start launches the senders and receivers and the interval clock.
func (r *run) start(ctx context.Context, b *budget) {
	ctx, r.cancel = context.WithCancel(ctx)
	r.started = time.Now()
	r.omitUntil = r.started.Add(r.cfg.Omit)
	r.base = make([]snapshot, len(r.streams))
	r.last = make([]snapshot, len(r.streams))
	r.rtt = make([]rttStats, len(r.streams))
	for i, s := range r.streams {
		r.base[i].at, r.last[i].at = r.started, r.started
		s.noGSO, s.zeroCopy, s.zeroCopyMsg, s.skipRxCopy = r.cfg.NoGSO, r.cfg.ZeroCopy, r.cfg.ZeroCopyMsg, r.cfg.SkipRxCopy
	}
	size := r.cfg.blockSize(r.udp)
	var senders, receivers sync.WaitGroup
	for _, s := range r.streams {
		if s.sender && r.cfg.FQRate > 0 {
			// Bytes a second; the kernel saturates what it cannot hold.
			setOption(s.conn, socket.MaxPacingRate, int(min(r.cfg.FQRate/8, 1<<62)))
		}
		if s.sender {
			senders.Add(1)
			r.wg.Go(func() {
				defer senders.Done()
				if err := s.send(ctx, size, r.cfg.rate(r.udp), b, r.cfg.Counters64); err != nil {
					r.errs <- err
				}
			})
			continue
		}
		if _, plain := s.conn.(*net.TCPConn); plain && !r.countsReceived {
			// Not under TLS: a TLS stream ends with a close_notify
			// record, which a low-water mark would leave unread.
			setOption(s.conn, socket.RecvLowat, lowat(size, r.cfg.Rate))
		}
		receivers.Add(1)
		r.wg.Go(func() {
			defer receivers.Done()
			buf := max(size, 2<<20) // a stream's reads take what is there
			if r.udp {
				buf = max(size, 2048) // a datagram a buffer, batchSize buffers
			}
			if err := s.receive(ctx, buf, r.cfg.Counters64, r.receivers() <= groStreams); err != nil {
				r.errs <- err
			}
		})
	}
	go func() { senders.Wait(); close(r.sent) }()
	go func() { receivers.Wait(); close(r.drained) }()
	if every := r.cfg.interval(); every > 0 {
		r.tickers.Go(func() { r.clock(ctx, every) })
	}
}

// lowat is a TCP receiver's SO_RCVLOWAT: the socket counts as readable
// once this much is queued (or its stream has ended), so that a receiver
// wakes a few times a millisecond at most and each read takes up to a
// megabyte, where it would wake for every segment: at 25 Gbit/s on
// loopback that halves the receiver's CPU per byte. A paced stream waits
// for at most 10 ms of its data, so that its intervals stay even. The
// kernel caps it at half the receive buffer.
func lowat(block int, rate uint64) int {
	v := min(8*block, 1<<20)
	if rate > 0 {
		v = min(v, max(int(rate/8/100), 1))
	}
	return v
}

// clock ends an interval every period, and the omitted part at Omit.
func (r *run) clock(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			r.tick(now)
		}
	}
}

// tick ends the current interval at now.
func (r *run) tick(now time.Time) {
	r.mu.Lock()
	// An interval that began within Omit is left out, and the counted
	// part starts at its end.
	iv := Interval{Start: r.last[0].at.Sub(r.started), End: now.Sub(r.started), Omitted: r.cfg.Omit > 0 && r.last[0].at.Before(r.omitUntil)}
	for i, s := range r.streams {
		sn := s.snapshot(now)
		iv.Streams = append(iv.Streams, delta(s, r.last[i], sn))
		if s.tcp && s.sender && !iv.Omitted {
			st := &r.rtt[i]
			if st.n == 0 || sn.rtt < st.min {
				st.min = sn.rtt
			}
			st.max, st.sum, st.n = max(st.max, sn.rtt), st.sum+sn.rtt, st.n+1
			st.maxCwnd, st.maxSndWnd = max(st.maxCwnd, sn.cwnd), max(st.maxSndWnd, sn.sndWnd)
		}
		r.last[i] = sn
		if iv.Omitted {
			r.base[i] = sn // the counted part starts after the omitted one
		}
	}
	if iv.End-iv.Start > 0 {
		r.intervals = append(r.intervals, iv)
	}
	r.mu.Unlock()
	if r.report != nil && iv.End-iv.Start > 0 {
		r.report(iv)
	}
}

// delta is what moved on s between two snapshots.
func delta(s *stream, from, to snapshot) StreamStats {
	return StreamStats{
		ID: s.id, Sender: s.sender, Seconds: to.at.Sub(from.at).Seconds(),
		Bytes: to.bytes - from.bytes, Packets: to.packets - from.packets,
		Lost: to.lost - from.lost, OutOfOrder: to.outOfOrder - from.outOfOrder,
		Duplicates:  to.duplicates - from.duplicates,
		Jitter:      time.Duration(to.jitter * float64(time.Second)),
		Retransmits: to.retrans - from.retrans, Cwnd: to.cwnd, RTT: to.rtt, RTTVar: to.rttVar, PMTU: to.pmtu, SndWnd: to.sndWnd,
	}
}

// stopSending ends the senders (the test's time is up, or the peer said
// so), waits for them, and shuts down their streams' write sides, so that
// a receiver that reads to the end (sockit's) counts every byte.
func (r *run) stopSending() {
	for _, s := range r.streams {
		if s.sender {
			s.conn.SetWriteDeadline(time.Unix(1, 0))
		}
	}
	<-r.sent
	for _, s := range r.streams {
		if s.sender && !s.udp {
			if cw, ok := endpoint.ConnAs[interface{ CloseWrite() error }](s.conn); ok {
				s.conn.SetWriteDeadline(time.Now().Add(time.Second))
				cw.CloseWrite()
			}
		}
	}
}

// drain waits, at most for d, until every receiver here has read its
// stream to the end; false if one had not by then. With quiet set, it
// also returns once nothing has arrived for quiet: a peer that does not
// shut its streams down (iperf3) has sent all it will by then.
func (r *run) drain(d, quiet time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	var tick <-chan time.Time
	if quiet > 0 {
		tk := time.NewTicker(quiet)
		defer tk.Stop()
		tick = tk.C
	}
	last := r.receivedBytes()
	for {
		select {
		case <-r.drained:
			return true
		case <-t.C:
			return false
		case <-tick:
			now := r.receivedBytes()
			if now == last {
				return false
			}
			last = now
		}
	}
}

// receivers is how many of the streams this side receives on.
func (r *run) receivers() int {
	n := 0
	for _, s := range r.streams {
		if !s.sender {
			n++
		}
	}
	return n
}

func (r *run) receivedBytes() uint64 {
	var n uint64
	for _, s := range r.streams {
		if !s.sender {
			n += s.bytes.Load()
		}
	}
	return n
}

// finish stops everything, ends the last interval, and returns the
// totals of the counted part, one per stream, and the first error of a
// stream.
func (r *run) finish() ([]StreamStats, error) {
	now := time.Now()
	r.cancel()
	r.tickers.Wait()
	for _, s := range r.streams {
		s.conn.SetDeadline(time.Unix(1, 0))
	}
	r.wg.Wait()
	// The last interval, cut short by the end: reported unless it is a
	// sliver (under a tenth of an interval), as iperf3's client does;
	// the totals count it either way.
	if every := r.cfg.interval(); every > 0 && now.Sub(r.last[0].at) >= every/10 {
		r.tick(now)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	totals := make([]StreamStats, len(r.streams))
	for i, s := range r.streams {
		end := r.last[i]
		if end.at.Before(now) {
			end = s.snapshot(now)
		}
		totals[i] = delta(s, r.base[i], end)
		totals[i].Retransmits = end.retrans - r.base[i].retrans
	}
	var err error
	select {
	case err = <-r.errs:
	default:
	}
	return totals, err
}

// rttOf is stream i's RTT and window figures over the counted intervals.
func (r *run) rttOf(i int) rttStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rtt[i]
}
