package bench

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/sockit/sockit/internal/poll"
)

// seenWindow is how many recent sequence numbers a datagram socket
// remembers receiving, to tell a duplicate from a first copy.
const seenWindow = 1 << 16

// A datagram is datagramHeader bytes — its sequence number and its
// socket's number, big-endian — then the pattern from offset seq*Size+16.

// dgramSocket is one connected datagram socket of a datagram worker.
type dgramSocket struct {
	fd, id   int
	quota    int64
	next     uint64              // the next sequence number to send
	pending  map[uint64]inflight // sent, not yet echoed
	order    fifo[dgramSent]     // sent, in order: for expiry
	due      fifo[int64]         // Rate: due, not yet sent
	seen     []uint64            // bitmap of recent sequence numbers received
	highest  uint64              // the highest sequence number received, plus one
	blocked  bool                // the last send found the socket full
	draining bool
}

type dgramSent struct {
	seq uint64
	at  int64 // when it was really sent, for expiry
}

// datagramWorker drives its share of the sockets in Datagram mode.
type datagramWorker struct {
	eventWorker
	socks map[int]*dgramSocket
	order []*dgramSocket
	buf   []byte
	out   []byte
	stats Datagrams
}

func (r *run) newDatagramWorker(p *poll.Poller) *datagramWorker {
	return &datagramWorker{eventWorker: newEventWorker(r, p), socks: map[int]*dgramSocket{},
		buf: make([]byte, max(r.cfg.Size+1, 64<<10)), out: make([]byte, r.cfg.Size)}
}

func (w *datagramWorker) add(fd, id int, quota int64) error {
	if err := w.poller.Add(fd, poll.In); err != nil {
		return err
	}
	s := &dgramSocket{fd: fd, id: id, quota: quota, pending: map[uint64]inflight{}, seen: make([]uint64, seenWindow/64)}
	w.socks[fd] = s
	w.order = append(w.order, s)
	w.live++
	return nil
}

func (w *datagramWorker) close() {
	for _, s := range w.socks {
		poll.Close(s.fd)
	}
	w.poller.Close()
}

func (w *datagramWorker) finish(res *Result, latency *hdrhistogram.Histogram) {
	w.eventWorker.finish(res, latency)
	if res.Datagrams == nil {
		res.Datagrams = &Datagrams{}
	}
	d := res.Datagrams
	d.Sent += w.stats.Sent
	d.Received += w.stats.Received
	d.Lost += w.stats.Lost
	d.Reordered += w.stats.Reordered
	d.Duplicates += w.stats.Duplicates
}

func (w *datagramWorker) serve() error {
	defer w.close()
	if len(w.order) == 1 {
		if err := w.poller.Solo(w.order[0].fd, poll.In); err != nil {
			return err
		}
	}
	return w.loop(w, len(w.order))
}

func (w *datagramWorker) start(now int64) {
	for _, s := range w.order {
		w.fill(s, now)
	}
}

func (w *datagramWorker) ready(fd int, events uint32, now int64) {
	s := w.socks[fd]
	if s == nil {
		return
	}
	if events&(poll.In|poll.Err|poll.Hup) != 0 {
		w.read(s, now)
	}
	if events&poll.Out != 0 && w.socks[fd] == s {
		w.setBlocked(s, false)
		w.fill(s, now)
	}
}

func (w *datagramWorker) due(i int, at, now int64) {
	s := w.order[i]
	if w.socks[s.fd] != s || s.draining {
		return
	}
	s.due.push(at)
	w.fill(s, now)
}

func (w *datagramWorker) drainAll() {
	for _, s := range w.order {
		if w.socks[s.fd] == s {
			w.drain(s)
		}
	}
}

func (w *datagramWorker) check(now int64) {
	for _, s := range w.order {
		if w.socks[s.fd] == s {
			w.expire(s, now)
		}
	}
}

// expire declares lost the datagrams that have waited past Timeout.
func (w *datagramWorker) expire(s *dgramSocket, now int64) {
	limit := int64(w.r.cfg.Timeout)
	for s.order.len() > 0 && now-s.order.peek().at > limit {
		sent := s.order.pop()
		if m, ok := s.pending[sent.seq]; ok {
			delete(s.pending, sent.seq)
			if m.measured {
				w.stats.Lost++
			}
		}
	}
	w.fill(s, now)
	if s.draining && len(s.pending) == 0 {
		w.end(s)
	}
}

func (w *datagramWorker) canSend(s *dgramSocket) bool {
	return !w.stopping && !s.draining && s.quota != 0 && !s.blocked && len(s.pending) < w.r.cfg.Pipeline
}

func (w *datagramWorker) fill(s *dgramSocket, now int64) {
	for w.socks[s.fd] == s && w.canSend(s) {
		at := now
		if w.sched.on() {
			if s.due.len() == 0 {
				break
			}
			at = s.due.peek()
		}
		if !w.send(s, at, now) {
			break
		}
		if w.sched.on() {
			s.due.pop()
		}
	}
	if s.quota == 0 && len(s.pending) == 0 && w.socks[s.fd] == s && !s.draining {
		w.drain(s)
	}
}

// send sends s's next datagram; false if the socket could not take it.
func (w *datagramWorker) send(s *dgramSocket, at, now int64) bool {
	size := w.r.cfg.Size
	seq := s.next
	binary.BigEndian.PutUint64(w.out[0:8], seq)
	binary.BigEndian.PutUint64(w.out[8:16], uint64(s.id))
	w.r.pattern.Fill(w.out[datagramHeader:], s.id, int64(seq)*int64(size)+datagramHeader)
	_, err := poll.Write(s.fd, w.out)
	if err == syscall.EAGAIN || err == syscall.ENOBUFS {
		w.setBlocked(s, true)
		return false
	}
	if err != nil {
		w.sockFail(s, "send", err)
		return false
	}
	measured := w.r.phase.Load() == measuring
	if measured {
		w.stats.Sent++
		if s.quota > 0 {
			s.quota--
		}
	}
	s.next++
	s.seen[(seq%seenWindow)/64] &^= 1 << (seq % 64)
	s.pending[seq] = inflight{at: at, measured: measured}
	s.order.push(dgramSent{seq: seq, at: now})
	return true
}

func (w *datagramWorker) setBlocked(s *dgramSocket, on bool) {
	if s.blocked == on {
		return
	}
	s.blocked = on
	events := uint32(poll.In)
	if on {
		events |= poll.Out
	}
	if err := w.poller.Mod(s.fd, events); err != nil {
		w.fail(s, ErrIO, err.Error())
	}
}

// read takes the echoes that have come and checks each.
func (w *datagramWorker) read(s *dgramSocket, now int64) {
	size := w.r.cfg.Size
	for range readRounds {
		n, truncated, err := poll.ReadRecord(s.fd, w.buf)
		if err == syscall.EAGAIN {
			return
		}
		if err != nil {
			w.sockFail(s, "receive", err)
			return
		}
		got := w.buf[:n]
		if truncated || n != size {
			w.fail(s, ErrTruncated, fmt.Sprintf("an echo of %d bytes came back, want %d", n, size))
			return
		}
		seq := binary.BigEndian.Uint64(got[0:8])
		id := binary.BigEndian.Uint64(got[8:16])
		if id != uint64(s.id) || seq >= s.next {
			w.fail(s, ErrMismatch, fmt.Sprintf("an echo names datagram %d of socket %d, which was never sent on it", seq, id))
			return
		}
		off := int64(seq)*int64(size) + datagramHeader
		if bad := w.r.pattern.Check(got[datagramHeader:], s.id, off); bad >= 0 {
			w.fail(s, ErrMismatch, fmt.Sprintf("byte %d of the echo of datagram %d is 0x%02x, want 0x%02x",
				datagramHeader+bad, seq, got[datagramHeader+bad], w.r.pattern.At(s.id, off+int64(bad))))
			return
		}
		// The clock is read per datagram: the send that answers one echo
		// and that datagram's own echo may both happen within one batch.
		now = w.r.now()
		w.receive(s, seq, now)
		if w.socks[s.fd] != s {
			return
		}
	}
	w.unsettled = true // there may be more to read
}

// receive records the echo of datagram seq.
func (w *datagramWorker) receive(s *dgramSocket, seq uint64, now int64) {
	word, bit := &s.seen[(seq%seenWindow)/64], uint64(1)<<(seq%64)
	recent := s.next-seq <= seenWindow
	if recent && *word&bit != 0 {
		w.stats.Duplicates++
		return
	}
	if recent {
		*word |= bit
	}
	m, ok := s.pending[seq]
	if !ok {
		return // it came after it was counted lost
	}
	delete(s.pending, seq)
	if seq+1 < s.highest && m.measured {
		w.stats.Reordered++
	}
	s.highest = max(s.highest, seq+1)
	if m.measured {
		w.stats.Received++
	}
	if m.measured && !w.stopping {
		w.record(now-m.at, w.r.cfg.Size)
	}
	w.fill(s, now)
	if s.draining && len(s.pending) == 0 && w.socks[s.fd] == s {
		w.end(s)
	}
}

func (w *datagramWorker) drain(s *dgramSocket) {
	s.draining = true
	if len(s.pending) == 0 {
		w.end(s)
	}
}

func (w *datagramWorker) end(s *dgramSocket) {
	if w.socks[s.fd] != s {
		return // ended already
	}
	for _, m := range s.pending {
		if m.measured {
			w.stats.Lost++
		}
	}
	s.pending = nil
	delete(w.socks, s.fd)
	w.poller.Unsolo(s.fd)
	poll.Close(s.fd)
	w.live--
}

func (w *datagramWorker) fail(s *dgramSocket, kind, what string) {
	w.countError(kind, fmt.Sprintf("socket %d: %s", s.id, what))
	w.end(s)
}

// sockFail fails s for an error of its op ("send", "receive"). A refusal
// is no fault of an echo: the ICMP port unreachable that answered an
// earlier datagram (for a Unix socket, a path nobody reads) says that
// nothing listens at the target.
func (w *datagramWorker) sockFail(s *dgramSocket, op string, err error) {
	if errors.Is(err, syscall.ECONNREFUSED) {
		w.fail(s, ErrRefused, w.r.refusal(fmt.Errorf("%s: %w", op, err)))
		return
	}
	w.fail(s, errKind(err), fmt.Sprintf("%s: %v", op, err))
}
