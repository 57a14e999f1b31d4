package perf

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sockit/sockit/endpoint"
)

// stream is one data connection of a test, sending or receiving.
type stream struct {
	id     int
	sender bool // this side sends on it
	conn   net.Conn
	udp    bool // datagrams with iperf3's header, not a byte stream
	noGSO  bool // a datagram a sendmmsg/recvmmsg entry: no UDP GSO or GRO
	// zeroCopy sends by sendfile(2), zeroCopyMsg with MSG_ZEROCOPY,
	// skipRxCopy receives with MSG_TRUNC.
	zeroCopy, zeroCopyMsg, skipRxCopy bool
	// zcDone and zcCopied count the MSG_ZEROCOPY sends completed, and of
	// those the ones the kernel copied after all.
	zcDone, zcCopied atomic.Int64
	// sentBy is how the sender wrote: "write", "sendfile",
	// "MSG_ZEROCOPY", "UDP GSO", "sendmmsg"; set by the sender, read
	// once it has returned.
	sentBy string
	tcp    bool // TCP_INFO can be read

	bytes   atomic.Uint64 // sent or received
	packets atomic.Int64  // datagrams sent or received
	// received, if not nil, is told of each read's bytes (a client
	// counting toward -n in reverse).
	received func(n int)

	mu sync.Mutex // the receiver's datagram accounting
	udpStats
}

// udpStats is a datagram receiver's accounting, as iperf3 keeps it: the
// highest sequence number seen, the datagrams missing below it (lost),
// those that came after a later one (out of order), and RFC 3550's
// interarrival jitter.
type udpStats struct {
	highest    int64
	lost       int64
	outOfOrder int64
	duplicates int64
	jitter     float64 // seconds
	transit    float64 // the last datagram's transit time, seconds
	seen       bool
}

// note accounts for datagram seq, sent at sent and received at now.
func (u *udpStats) note(seq int64, sent, now time.Time) {
	switch {
	case seq > u.highest:
		if seq > u.highest+1 {
			u.lost += seq - u.highest - 1
		}
		u.highest = seq
	case seq == u.highest:
		u.duplicates++
	default:
		// A datagram counted lost has arrived after all.
		u.outOfOrder++
		if u.lost > 0 {
			u.lost--
		}
	}
	transit := now.Sub(sent).Seconds()
	if u.seen {
		d := transit - u.transit
		if d < 0 {
			d = -d
		}
		u.jitter += (d - u.jitter) / 16
	}
	u.transit, u.seen = transit, true
}

// header layout: seconds and microseconds of the send time, then the
// sequence number, 32 or 64 bits, all big-endian.
const (
	udpHeader32 = 12
	udpHeader64 = 16
)

// pacer spaces a sender's writes to a bit rate; a zero rate does not wait.
type pacer struct {
	rate  uint64 // bits a second
	start time.Time
	sent  uint64 // bytes
}

// due is how many blocks of size may go now, at most max.
func (p *pacer) due(size, max int) int {
	allowed := uint64(time.Since(p.start).Seconds() * float64(p.rate) / 8)
	if allowed <= p.sent {
		return 0
	}
	return int(min(uint64(max), (allowed-p.sent)/uint64(size)+1))
}

// wait returns once n more bytes may go, or ctx ends.
func (p *pacer) wait(ctx context.Context, n int) error {
	if p.rate == 0 {
		return nil
	}
	due := p.start.Add(time.Duration(float64(p.sent*8) / float64(p.rate) * float64(time.Second)))
	p.sent += uint64(n)
	if d := time.Until(due); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// budget is what a byte- or block-bounded test may still send, over all
// of one side's streams; a nil budget has no bound.
type budget struct {
	perBlock bool // left counts blocks, not bytes
	left     atomic.Int64
}

func newBudget(bytes, blocks int64) *budget {
	switch {
	case blocks > 0:
		b := &budget{perBlock: true}
		b.left.Store(blocks)
		return b
	case bytes > 0:
		b := &budget{}
		b.left.Store(bytes)
		return b
	}
	return nil
}

// take reserves one block of n bytes, and reports whether it may go: a
// block goes while any of the budget is left.
func (b *budget) take(n int) bool {
	if b == nil {
		return true
	}
	if b.perBlock {
		return b.left.Add(-1) >= 0
	}
	return b.left.Add(-int64(n))+int64(n) > 0
}

// give returns k blocks of n bytes that were taken and not sent.
func (b *budget) give(k, n int) {
	if b == nil {
		return
	}
	if b.perBlock {
		b.left.Add(int64(k))
		return
	}
	b.left.Add(int64(k * n))
}

// spent reports whether nothing is left.
func (b *budget) spent() bool { return b != nil && b.left.Load() <= 0 }

// send writes blocks of size until ctx ends, the budget is spent, or the
// peer goes; udp64 picks the 64-bit datagram counter.
func (s *stream) send(ctx context.Context, size int, rate uint64, b *budget, udp64 bool) error {
	if s.zeroCopyMsg && !s.udp {
		if done, err := s.sendMsgZeroCopy(ctx, size, rate, b); done {
			return err
		}
	}
	if s.zeroCopy && !s.udp {
		if done, err := s.sendFile(ctx, size, rate, b); done {
			return err
		}
	}
	if s.udp {
		if done, err := s.sendSegments(ctx, size, rate, b, udp64); done {
			return err
		}
		if bc, ok := batchOf(s.conn); ok {
			return s.sendBatches(ctx, bc, size, rate, b, udp64)
		}
	}
	s.sentBy = "write"
	buf := make([]byte, size)
	fillPayload(buf)
	p := pacer{rate: rate, start: time.Now()}
	stop := context.AfterFunc(ctx, func() { s.conn.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	var seq int64
	for ctx.Err() == nil {
		if !b.take(size) {
			return nil
		}
		if err := p.wait(ctx, size); err != nil {
			return nil
		}
		if s.udp {
			seq++
			now := time.Now()
			binary.BigEndian.PutUint32(buf[0:], uint32(now.Unix()))
			binary.BigEndian.PutUint32(buf[4:], uint32(now.Nanosecond()/1000))
			if udp64 {
				binary.BigEndian.PutUint64(buf[8:], uint64(seq))
			} else {
				binary.BigEndian.PutUint32(buf[8:], uint32(seq))
			}
		}
		n, err := s.conn.Write(buf)
		s.bytes.Add(uint64(n))
		if s.udp && n > 0 {
			s.packets.Add(1)
		}
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) {
				return nil
			}
			if s.udp && isRefused(err) {
				continue // an ICMP error for an earlier datagram; UDP goes on
			}
			return err
		}
	}
	return nil
}

// receive reads until the connection ends or ctx does; bufSize must hold
// a whole datagram or record.
func (s *stream) receive(ctx context.Context, bufSize int, udp64, gro bool) error {
	if bc, ok := batchOf(s.conn); ok && s.udp {
		return s.receiveBatches(ctx, bc, bufSize, udp64, gro)
	}
	if s.skipRxCopy && !s.udp {
		if done, err := s.receiveDiscarding(ctx, bufSize); done {
			return err
		}
	}
	buf := make([]byte, bufSize)
	stop := context.AfterFunc(ctx, func() { s.conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	hdr := udpHeader32
	if udp64 {
		hdr = udpHeader64
	}
	for {
		n, err := s.conn.Read(buf)
		if n > 0 {
			s.bytes.Add(uint64(n))
			if s.received != nil {
				s.received(n)
			}
			if s.udp && n >= hdr {
				now := time.Now()
				sent := time.Unix(int64(binary.BigEndian.Uint32(buf[0:])), int64(binary.BigEndian.Uint32(buf[4:]))*1000)
				var seq int64
				if udp64 {
					seq = int64(binary.BigEndian.Uint64(buf[8:]))
				} else {
					seq = int64(binary.BigEndian.Uint32(buf[8:]))
				}
				s.packets.Add(1)
				s.mu.Lock()
				s.note(seq, sent, now)
				s.mu.Unlock()
			}
		}
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				return nil
			}
			if s.udp && isRefused(err) {
				continue
			}
			return err
		}
	}
}

// snapshot is a stream's counters at one instant.
type snapshot struct {
	at         time.Time
	bytes      uint64
	packets    int64
	lost       int64
	outOfOrder int64
	duplicates int64
	jitter     float64
	retrans    int
	cwnd       int // bytes
	rtt        time.Duration
	rttVar     time.Duration
	pmtu       int
	sndWnd     int
}

func (s *stream) snapshot(now time.Time) snapshot {
	sn := snapshot{at: now, bytes: s.bytes.Load(), packets: s.packets.Load()}
	if s.udp && !s.sender {
		s.mu.Lock()
		sn.lost, sn.outOfOrder, sn.duplicates, sn.jitter = s.lost, s.outOfOrder, s.duplicates, s.jitter
		s.mu.Unlock()
	}
	if s.tcp && s.sender {
		if ti, err := endpoint.TCPInfo(s.conn); err == nil {
			sn.retrans, sn.cwnd, sn.rtt, sn.sndWnd = ti.TotalRetrans, ti.Cwnd*ti.SndMSS, ti.RTT, ti.SndWnd
			sn.rttVar, sn.pmtu = ti.RTTVar, ti.PMTU
		}
	}
	return sn
}

// fillPayload fills a sender's block with bytes that do not compress,
// as iperf3's random payload does.
func fillPayload(b []byte) {
	x := uint64(0x9e3779b97f4a7c15)
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
}
