package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"syscall"
	"time"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/internal/poll"
	"github.com/sockit/sockit/service"
	"github.com/sockit/sockit/socket"
)

// evConn is one connection owned by a loop. It holds no read buffer (the
// loop's is shared) and an output buffer only while the peer cannot take
// what the service produced.
type evConn struct {
	fd      int
	events  uint32 // what epoll watches now
	svc     service.Stream
	src     service.Source // non-nil for a service that sends unasked
	records bool           // a sequenced-packet connection
	out     []byte         // stream output not yet sent
	queue   [][]byte       // records not yet sent
	peerEOF bool           // the peer shut down its write side
	closing bool           // close once the output is sent
	linger  time.Time      // set: write side shut; close at the peer's FIN or then
	active  int64          // when input last came, in Unix nanoseconds (for IdleTimeout)
	st      tally
}

// register takes a new connection into the loop.
func (l *evLoop) register(fd int, peer net.Addr) {
	s := l.s
	c := &evConn{fd: fd, svc: s.cfg.service().NewStream(), records: s.ep.Type() == socket.SeqPacket}
	c.st = tally{ConnStats: ConnStats{Start: time.Now()}, c: s.cfg.Counters}
	c.active = c.st.Start.UnixNano()
	c.st.Tuple = endpoint.Tuple{Proto: s.addr.Network(), Local: s.addr, Remote: peer}
	if s.log.Enabled(context.Background(), slog.LevelInfo) {
		if local := poll.LocalAddr(fd, l.network); local != nil {
			c.st.Tuple.Local = local
		}
		s.log.Info("open", slog.Group("conn", slog.String("tuple", c.st.Tuple.String())))
	}
	c.st.c.opened()
	c.events = poll.In | poll.RdHup
	if src, ok := c.svc.(service.Source); ok {
		c.src = src
		c.events |= poll.Out
	}
	if err := l.poller.Add(fd, c.events); err != nil {
		c.st.c.closed()
		poll.Close(fd)
		s.connClosed()
		s.log.Warn("close", "conn", c.st.ConnStats, "err", err)
		return
	}
	l.conns[fd] = c
	if g, ok := c.svc.(service.Greeter); ok {
		greeting, thenClose := g.Greeting(nil)
		c.closing = thenClose
		l.send(c, greeting)
		if thenClose && len(c.out) == 0 && l.conns[fd] == c {
			l.lingerClose(c)
		}
	}
}

// handle acts on what epoll reported for c.
func (l *evLoop) handle(c *evConn, events uint32) {
	if events&(poll.In|poll.RdHup|poll.Hup|poll.Err) != 0 && c.events&poll.In != 0 {
		l.read(c)
	}
	if l.conns[c.fd] != c {
		return // closed while reading
	}
	if events&poll.Out != 0 {
		l.write(c)
	} else if events&(poll.Hup|poll.Err) != 0 && c.events&poll.In == 0 {
		l.close(c, syscall.ECONNRESET)
	}
}

// read takes one read's worth from c and hands it to the service.
func (l *evLoop) read(c *evConn) {
	var n int
	var truncated bool
	var err error
	if c.records {
		n, truncated, err = poll.ReadRecord(c.fd, l.buf)
	} else {
		n, err = poll.Read(c.fd, l.buf)
	}
	switch {
	case err == syscall.EAGAIN:
		return
	case err != nil:
		l.close(c, err)
		return
	case n == 0:
		l.peerClosed(c)
		return
	}
	if !c.linger.IsZero() {
		c.st.in(n)
		return // discarded while waiting for the peer to close
	}
	c.st.in(n)
	if l.s.cfg.IdleTimeout > 0 {
		c.active = time.Now().UnixNano()
	}
	if truncated {
		l.close(c, fmt.Errorf("record larger than %d bytes arrived truncated: %w", len(l.buf), socket.ErrTruncated))
		return
	}
	if c.src != nil || c.closing {
		return // a source discards input, as does a greeter about to close
	}
	if reply := c.svc.Input(nil, l.buf[:n]); len(reply) > 0 {
		l.send(c, reply)
	}
}

// peerClosed handles the peer's FIN: what was read is still answered, then
// the write side is shut and the connection closed.
func (l *evLoop) peerClosed(c *evConn) {
	if !c.linger.IsZero() {
		l.close(c, nil) // the peer closed after our last word: done
		return
	}
	c.peerEOF = true
	l.watch(c, c.events&^(poll.In|poll.RdHup))
	if c.src != nil {
		return // chargen runs until the peer closes altogether
	}
	if len(c.out) == 0 && len(c.queue) == 0 {
		l.finish(c)
		return
	}
	c.closing = true
}

// send writes p to c now, and keeps what the peer cannot take yet.
func (l *evLoop) send(c *evConn, p []byte) {
	if c.records {
		l.sendRecord(c, p)
		return
	}
	if len(c.out) == 0 {
		n, err := poll.Write(c.fd, p)
		if n > 0 {
			c.st.out(n)
			p = p[n:]
		}
		if err != nil && err != syscall.EAGAIN {
			l.close(c, err)
			return
		}
		if len(p) == 0 {
			return
		}
	}
	c.out = append(c.out, p...) // p may be the loop's read buffer: copy
	l.backpressure(c)
}

func (l *evLoop) sendRecord(c *evConn, p []byte) {
	if len(c.queue) == 0 {
		n, err := poll.Write(c.fd, p)
		if err == nil {
			c.st.out(n)
			return
		}
		if err != syscall.EAGAIN {
			l.close(c, err)
			return
		}
	}
	c.queue = append(c.queue, append([]byte(nil), p...))
	l.backpressure(c)
}

// backpressure watches for writability while output is pending, and stops
// reading from c while it has more than outCap pending.
func (l *evLoop) backpressure(c *evConn) {
	events := c.events | poll.Out
	if c.pending() > outCap {
		events &^= poll.In | poll.RdHup
	}
	l.watch(c, events)
}

func (c *evConn) pending() int {
	n := len(c.out)
	for _, r := range c.queue {
		n += len(r)
	}
	return n
}

// write sends pending output; when it is all sent, it resumes reading, or
// finishes a closing connection, or (for a source) makes more.
func (l *evLoop) write(c *evConn) {
	for len(c.queue) > 0 {
		n, err := poll.Write(c.fd, c.queue[0])
		if err == syscall.EAGAIN {
			return
		}
		if err != nil {
			l.close(c, err)
			return
		}
		c.st.out(n)
		c.queue[0] = nil
		c.queue = c.queue[1:]
	}
	if c.src != nil && len(c.out) == 0 {
		c.out = c.src.Fill(c.out)
	}
	if len(c.out) > 0 {
		n, err := poll.Write(c.fd, c.out)
		if n > 0 {
			c.st.out(n)
			c.out = c.out[n:]
		}
		if err != nil && err != syscall.EAGAIN {
			if c.src != nil && (err == syscall.EPIPE || err == syscall.ECONNRESET) {
				err = nil // the peer closed: how a chargen session ends
			}
			l.close(c, err)
			return
		}
		if len(c.out) > 0 {
			return
		}
	}
	// Everything is sent.
	if cap(c.out) > keepOut {
		c.out = nil
	} else {
		c.out = c.out[:0]
	}
	c.queue = nil
	if c.src != nil {
		return // keep watching for writability: a source always has more
	}
	if c.closing && !c.peerEOF {
		l.lingerClose(c) // a greeter's last word is sent
		return
	}
	if c.closing {
		l.finish(c)
		return
	}
	events := c.events &^ poll.Out
	if !c.peerEOF {
		events |= poll.In | poll.RdHup
	}
	l.watch(c, events)
}

// finish shuts down c's write side, its output sent, and closes it.
// Nothing is left unread (the peer has closed, or this is a greeter whose
// peer sent nothing worth keeping), so the close sends FIN, not a reset.
func (l *evLoop) finish(c *evConn) {
	err := poll.ShutdownWrite(c.fd)
	if errors.Is(err, syscall.ENOTCONN) {
		err = nil // the peer is gone already
	}
	l.close(c, err)
}

// lingerClose shuts down c's write side after its last word and waits,
// reading and discarding, for the peer to close, up to closeLinger: closing
// with unread input would send a reset that can destroy that last word.
func (l *evLoop) lingerClose(c *evConn) {
	if err := poll.ShutdownWrite(c.fd); err != nil {
		l.close(c, nil)
		return
	}
	c.linger = time.Now().Add(closeLinger)
	l.lingering = append(l.lingering, c)
	l.watch(c, poll.In|poll.RdHup)
}

// expireLingering closes connections whose linger is over, and says how
// long until the next one's is (-1: none).
func (l *evLoop) expireLingering(now time.Time) int {
	wait := -1
	kept := l.lingering[:0]
	for _, c := range l.lingering {
		if l.conns[c.fd] != c {
			continue // closed already
		}
		if !now.Before(c.linger) {
			l.close(c, nil)
			continue
		}
		kept = append(kept, c)
		if ms := int(c.linger.Sub(now)/time.Millisecond) + 1; wait < 0 || ms < wait {
			wait = ms
		}
	}
	clear(l.lingering[len(kept):])
	l.lingering = kept
	return wait
}

func (l *evLoop) watch(c *evConn, events uint32) {
	if events == c.events {
		return
	}
	c.events = events
	if err := l.poller.Mod(c.fd, events); err != nil {
		l.close(c, err)
	}
}

// close ends c and logs what passed.
func (l *evLoop) close(c *evConn, err error) {
	delete(l.conns, c.fd)
	if c.st.Tuple.Proto == "tcp" {
		if info, ierr := socket.TCPInfoFD(uintptr(c.fd)); ierr == nil {
			c.st.TCPInfo = &info
		}
	}
	poll.Close(c.fd) // also removes it from epoll
	c.st.c.closed()
	l.s.connClosed()
	c.st.End = time.Now()
	if err == errIdle {
		l.s.log.Info("close", "conn", c.st.ConnStats, "reason", "idle timeout")
		return
	}
	if err != nil && !errors.Is(err, net.ErrClosed) && err != syscall.ECONNRESET {
		l.s.log.Warn("close", "conn", c.st.ConnStats, "err", err)
		return
	}
	l.s.log.Info("close", "conn", c.st.ConnStats)
}

func (l *evLoop) closeAll(err error) {
	for _, c := range l.conns {
		l.close(c, err)
	}
}

// serveDatagrams answers what has arrived on the loop's datagram socket,
// each datagram to its own sender, a batch at a time: one recvmmsg reads up
// to a batch, one sendmmsg sends their replies.
func (l *evLoop) serveDatagrams() {
	s := l.s
	svc := s.cfg.service()
	b := l.batch
	for range datagramRounds {
		n, err := b.Recv(l.sockFD)
		if err == syscall.EAGAIN {
			return
		}
		if err != nil {
			if err != syscall.ECONNREFUSED {
				s.log.Warn("read failed", "err", err)
			}
			return
		}
		l.replyTo = l.replyTo[:0]
		for i := range n {
			data, truncated, name := b.Msg(i)
			p := l.peers.seeRaw(name, func() net.Addr { return b.PeerOf(i).Addr(l.network) }, len(data))
			if truncated {
				s.log.Warn("datagram dropped", "from", endpoint.AddrString(b.PeerOf(i).Addr(l.network)),
					"err", fmt.Errorf("larger than %d bytes, arrived truncated: %w", len(data), socket.ErrTruncated))
				continue
			}
			reply, ok := svc.Datagram(nil, data)
			if !ok {
				continue
			}
			if !poll.Named(name) {
				s.log.Warn("no reply sent", "err", "the sender is an unnamed unixgram socket: bind it to a path or abstract name to get replies")
				continue
			}
			b.Reply(i, reply)
			l.replyTo = append(l.replyTo, sentReply{p, len(reply)})
		}
		sent, err := b.Flush(l.sockFD)
		for _, r := range l.replyTo[:sent] {
			l.peers.sent(r.peer, r.n)
		}
		if err != nil {
			s.log.Warn("replies dropped", "count", len(l.replyTo)-sent, "err", err)
		}
		if n < b.Len() {
			return // drained
		}
	}
}

// sentReply is a queued reply's peer and size, for the peer table.
type sentReply struct {
	peer *ConnStats
	n    int
}
