package bench

import (
	"fmt"
	"syscall"

	"github.com/sockit/sockit/internal/poll"
	"github.com/sockit/sockit/socket"
)

// streamConn is one connection of a stream worker. Bytes are counted from
// the connection's start: the pattern is read at these offsets.
type streamConn struct {
	fd, id   int
	quota    int64 // measured messages still to send; negative: no limit
	queued   int64 // bytes of the messages started
	sent     int64 // bytes written
	rx       int64 // bytes read and verified
	flight   fifo[inflight]
	due      fifo[int64] // Rate: messages due but not yet sent (pipeline full)
	out      bool        // EPOLLOUT is watched
	since    int64       // when the connection last made progress while waiting for an echo
	draining bool        // sends nothing more; closes when all is echoed
}

// streamWorker drives its share of the connections in Pingpong or Stream
// mode from one event loop.
type streamWorker struct {
	eventWorker
	conns map[int]*streamConn
	order []*streamConn // for the Rate schedule
	buf   []byte
	// byteStream says a short read empties the socket; a sequenced-packet
	// socket gives one record per read, and is read until it would block.
	byteStream bool
}

// workers makes Workers workers and shares the connections out among them.
func (r *run) workers(fds, ids []int) ([]loop, error) {
	n := min(r.cfg.Workers, len(fds))
	var loops []loop
	var ws []*streamWorker
	var dws []*datagramWorker
	for range n {
		p, err := poll.New()
		if err != nil {
			for _, l := range loops {
				l.(interface{ close() }).close()
			}
			return nil, err
		}
		if r.cfg.Mode == Datagram {
			w := r.newDatagramWorker(p)
			dws = append(dws, w)
			loops = append(loops, w)
		} else {
			w := &streamWorker{eventWorker: newEventWorker(r, p), conns: map[int]*streamConn{},
				buf: make([]byte, 64<<10), byteStream: r.cfg.Target.Type() == socket.Stream}
			ws = append(ws, w)
			loops = append(loops, w)
		}
	}
	quota := func(i int) int64 {
		if r.cfg.Messages <= 0 {
			return -1
		}
		q := r.cfg.Messages / int64(len(fds))
		if int64(i) < r.cfg.Messages%int64(len(fds)) {
			q++
		}
		return q
	}
	for i, fd := range fds {
		var err error
		if r.cfg.Mode == Datagram {
			err = dws[i%n].add(fd, ids[i], quota(i))
		} else {
			err = ws[i%n].add(fd, ids[i], quota(i))
		}
		if err != nil {
			return nil, err
		}
	}
	return loops, nil
}

func (w *streamWorker) add(fd, id int, quota int64) error {
	c := &streamConn{fd: fd, id: id, quota: quota}
	events := uint32(poll.In | poll.RdHup)
	if w.r.cfg.Mode == Stream {
		events |= poll.Out
		c.out = true
	}
	if err := w.poller.Add(fd, events); err != nil {
		return err
	}
	w.conns[fd] = c
	w.order = append(w.order, c)
	w.live++
	return nil
}

func (w *streamWorker) close() {
	for _, c := range w.conns {
		poll.Close(c.fd)
	}
	w.poller.Close()
}

func (w *streamWorker) serve() error {
	defer w.close()
	if len(w.order) == 1 {
		c := w.order[0]
		events := uint32(poll.In | poll.RdHup)
		if c.out {
			events |= poll.Out
		}
		if err := w.poller.Solo(c.fd, events); err != nil {
			return err
		}
	}
	return w.loop(w, len(w.order))
}

func (w *streamWorker) start(now int64) {
	for _, c := range w.order {
		w.fill(c, now)
	}
}

func (w *streamWorker) ready(fd int, events uint32, now int64) {
	c := w.conns[fd]
	if c == nil {
		return
	}
	if events&(poll.In|poll.RdHup|poll.Hup|poll.Err) != 0 {
		w.read(c, now)
	}
	if events&poll.Out != 0 && w.conns[fd] == c {
		w.flush(c)
		w.fill(c, now)
	}
}

func (w *streamWorker) due(i int, at, now int64) {
	c := w.order[i]
	if w.conns[c.fd] != c || c.draining {
		return
	}
	c.due.push(at)
	w.fill(c, now)
}

func (w *streamWorker) drainAll() {
	for _, c := range w.order {
		if w.conns[c.fd] == c {
			w.drain(c)
		}
	}
}

// check fails connections that have waited too long for an echo.
func (w *streamWorker) check(now int64) {
	limit := int64(w.r.cfg.Timeout)
	for _, c := range w.order {
		if w.conns[c.fd] != c || (c.flight.len() == 0 && c.rx == c.sent) {
			continue
		}
		if now-c.since > limit {
			w.fail(c, ErrTimeout, fmt.Sprintf("no echo for %v: %d of %d bytes sent have come back",
				w.r.cfg.Timeout, c.rx, c.sent))
		}
	}
}

// canStart reports whether c may start another message now.
func (w *streamWorker) canStart(c *streamConn) bool {
	if w.stopping || c.draining || c.quota == 0 {
		return false
	}
	if w.r.cfg.Mode == Stream {
		return c.sent == c.queued // the last is all written: keep writing
	}
	return c.flight.len() < w.r.cfg.Pipeline
}

// fill starts what c may start: in closed loop as many as it may, with
// Rate only those the schedule has made due.
func (w *streamWorker) fill(c *streamConn, now int64) {
	for w.conns[c.fd] == c && w.canStart(c) {
		at := now
		if w.sched.on() {
			if c.due.len() == 0 {
				break
			}
			at = c.due.pop()
		}
		w.startMsg(c, at, now)
	}
	if c.quota == 0 && c.flight.len() == 0 && w.conns[c.fd] == c && !c.draining {
		w.drain(c) // its share is done
	}
}

func (w *streamWorker) startMsg(c *streamConn, at, now int64) {
	measured := w.r.phase.Load() == measuring
	if measured && c.quota > 0 {
		c.quota--
	}
	if c.flight.len() == 0 && c.rx == c.sent {
		c.since = now
	}
	c.flight.push(inflight{at: at, measured: measured})
	c.queued += int64(w.r.cfg.Size)
	w.flush(c)
}

// flush writes what c has queued, as far as the kernel takes it.
func (w *streamWorker) flush(c *streamConn) {
	for c.sent < c.queued {
		n := int(min(c.queued-c.sent, patternLen))
		k, err := poll.Write(c.fd, w.r.pattern.Bytes(c.id, c.sent, n))
		if err == syscall.EAGAIN {
			w.watchOut(c, true)
			return
		}
		if err != nil {
			w.fail(c, errKind(err), fmt.Sprintf("write: %v", err))
			return
		}
		c.sent += int64(k)
	}
	if w.r.cfg.Mode != Stream || c.draining {
		w.watchOut(c, false)
	}
	if c.draining && c.rx == c.sent {
		w.end(c)
	}
}

func (w *streamWorker) watchOut(c *streamConn, on bool) {
	if c.out == on {
		return
	}
	c.out = on
	events := uint32(poll.In | poll.RdHup)
	if on {
		events |= poll.Out
	}
	if err := w.poller.Mod(c.fd, events); err != nil {
		w.fail(c, ErrIO, err.Error())
	}
}

// read takes what has come back on c, checks it byte by byte against what
// was sent, and completes the messages it finishes.
func (w *streamWorker) read(c *streamConn, now int64) {
	size := int64(w.r.cfg.Size)
	for round := range readRounds {
		n, err := poll.Read(c.fd, w.buf)
		if err == syscall.EAGAIN {
			return
		}
		if err != nil {
			w.fail(c, errKind(err), fmt.Sprintf("read: %v", err))
			return
		}
		if n == 0 {
			w.eof(c)
			return
		}
		if round > 0 {
			now = w.r.now() // a later read may hold an echo of a message sent this batch
		}
		got := w.buf[:n]
		if c.rx+int64(n) > c.sent {
			w.fail(c, ErrExtra, fmt.Sprintf("%d bytes came back, but only %d were sent", c.rx+int64(n), c.sent))
			return
		}
		if bad := w.r.pattern.Check(got, c.id, c.rx); bad >= 0 {
			off := c.rx + int64(bad)
			w.fail(c, ErrMismatch, fmt.Sprintf("byte %d of the echo is 0x%02x, want 0x%02x", off, got[bad], w.r.pattern.At(c.id, off)))
			return
		}
		c.rx += int64(n)
		c.since = now
		for c.flight.len() > 0 && c.rx >= c.queued-int64(c.flight.len()-1)*size {
			m := c.flight.pop()
			if m.measured && !w.stopping {
				w.record(now-m.at, w.r.cfg.Size)
			}
		}
		w.fill(c, now)
		if w.conns[c.fd] != c {
			return
		}
		if c.draining && c.rx == c.sent && c.sent == c.queued {
			w.end(c)
			return
		}
		if w.byteStream && n < len(w.buf) {
			return // a short read: the socket is drained for now
		}
	}
	w.unsettled = true // there may be more to read
}

// eof handles the server closing c.
func (w *streamWorker) eof(c *streamConn) {
	if c.rx < c.sent {
		w.fail(c, ErrShort, fmt.Sprintf("the server closed the connection with %d of %d bytes sent not echoed", c.sent-c.rx, c.sent))
		return
	}
	if c.draining {
		w.end(c)
		return
	}
	w.fail(c, ErrShort, "the server closed the connection before the run ended")
}

// drain stops c sending: it ends when all it sent has come back.
func (w *streamWorker) drain(c *streamConn) {
	c.draining = true
	c.due = fifo[int64]{}
	if c.sent == c.queued && c.rx == c.sent {
		w.end(c)
		return
	}
	if c.since == 0 || c.flight.len() == 0 {
		c.since = w.r.now()
	}
}

// end closes c, its work done.
func (w *streamWorker) end(c *streamConn) {
	if w.conns[c.fd] != c {
		return // ended already
	}
	delete(w.conns, c.fd)
	w.poller.Unsolo(c.fd)
	poll.Close(c.fd)
	w.live--
}

// fail counts an error of kind on c and closes it.
func (w *streamWorker) fail(c *streamConn, kind, what string) {
	w.countError(kind, fmt.Sprintf("connection %d: %s", c.id, what))
	w.end(c)
}
