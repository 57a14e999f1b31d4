package engine

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/service"
	"github.com/sockit/sockit/socket"
)

// conn is what the blocking engines need of an accepted connection: the
// net package's *net.TCPConn and *net.UnixConn, and the iterative engine's
// fdConn over package socket.
type conn interface {
	io.ReadWriteCloser
	CloseWrite() error
	SetReadDeadline(time.Time) error
}

// recordConn is a sequenced-packet connection, read one whole record at a
// time: truncated reports a record longer than p.
type recordConn interface {
	conn
	ReadRecord(p []byte) (n int, truncated bool, err error)
}

// Buffer sizes. A stream read takes what the kernel has, up to
// streamBuffer. Datagrams and sequenced packets must be read whole:
// UDP's largest payload fits 64 KiB, and a Unix record is at most the
// sender's SO_SNDBUF less 32 bytes (212,960 with Linux's default
// net.core.wmem_default). A larger record arrives truncated and is reported
// as an error, never echoed short.
const (
	streamBuffer = 64 << 10
	udpBuffer    = 64 << 10
	recordBuffer = 256 << 10
)

// Read buffers are pooled: a connection holds one only while it is open.
var (
	streamBuffers = sync.Pool{New: func() any { b := make([]byte, streamBuffer); return &b }}
	recordBuffers = sync.Pool{New: func() any { b := make([]byte, recordBuffer); return &b }}
)

// serveConn runs the service on one accepted connection until the peer
// closes or an error ends it, then logs what passed. records is non-nil on
// a sequenced-packet connection.
func (s *core) serveConn(c conn, records recordConn, tuple endpoint.Tuple) {
	defer c.Close()
	st := &tally{ConnStats: ConnStats{Tuple: tuple, Start: time.Now()}, c: s.cfg.Counters}
	st.c.opened()
	defer st.c.closed()
	s.log.Info("open", slog.Group("conn", slog.String("tuple", tuple.String())))
	var err error
	svc := s.cfg.service().NewStream()
	switch {
	case isGreeter(svc):
		err = greet(c, svc.(service.Greeter), st)
	case isSource(svc):
		err = serveSource(c, svc.(service.Source), st)
	case records != nil:
		err = serveRecords(records, svc, st, s.cfg.IdleTimeout)
	default:
		err = serveStream(c, svc, st, s.cfg.IdleTimeout)
	}
	st.End = time.Now()
	if tuple.Proto == "tcp" {
		st.TCPInfo = tcpInfoOf(c)
	}
	if errors.Is(err, errIdle) {
		s.log.Info("close", "conn", st.ConnStats, "reason", "idle timeout")
		return
	}
	if err != nil && !(s.stopping() && errors.Is(err, net.ErrClosed)) {
		s.log.Warn("close", "conn", st.ConnStats, "err", err)
		return
	}
	s.log.Info("close", "conn", st.ConnStats)
}

// serveStream echoes (or whatever the service does) until EOF, then sends
// the rest and shuts down the write side: the half-close is carried back.
func serveStream(c conn, svc service.Stream, st *tally, idle time.Duration) error {
	bp := streamBuffers.Get().(*[]byte)
	defer streamBuffers.Put(bp)
	buf := *bp
	for {
		if err := idleDeadline(c, idle); err != nil {
			return err
		}
		n, rerr := c.Read(buf)
		if n > 0 {
			st.in(n)
			if reply := svc.Input(nil, buf[:n]); len(reply) > 0 {
				w, err := c.Write(reply)
				st.out(w)
				if err != nil {
					return err
				}
			}
		}
		if rerr == io.EOF {
			return c.CloseWrite()
		}
		if rerr != nil {
			return idleError(rerr, idle)
		}
	}
}

// idleDeadline gives the next read until idle to bring something.
func idleDeadline(c conn, idle time.Duration) error {
	if idle <= 0 {
		return nil
	}
	return c.SetReadDeadline(time.Now().Add(idle))
}

// idleError reports a read that ran out of idle time as errIdle.
func idleError(err error, idle time.Duration) error {
	if idle > 0 && errors.Is(err, os.ErrDeadlineExceeded) {
		return errIdle
	}
	return err
}

// serveRecords serves a sequenced-packet connection record by record, so
// that each reply is one record, as the peer sent it.
func serveRecords(c recordConn, svc service.Stream, st *tally, idle time.Duration) error {
	bp := recordBuffers.Get().(*[]byte)
	defer recordBuffers.Put(bp)
	buf := *bp
	for {
		if err := idleDeadline(c, idle); err != nil {
			return err
		}
		n, truncated, err := c.ReadRecord(buf)
		// The peer shut down its write side, or closed: the end of a
		// normal session. errors.Is, because the net package's
		// ReadMsgUnix (the threaded engine's) wraps io.EOF in an OpError.
		if n == 0 && (err == nil || errors.Is(err, io.EOF)) {
			return c.CloseWrite()
		}
		if err != nil {
			return idleError(err, idle)
		}
		st.in(n)
		if truncated {
			return fmt.Errorf("record larger than %d bytes arrived truncated: %w", len(buf), socket.ErrTruncated)
		}
		if reply := svc.Input(nil, buf[:n]); len(reply) > 0 {
			w, err := c.Write(reply)
			st.out(w)
			if err != nil {
				return err
			}
		}
	}
}

func isGreeter(s service.Stream) bool { _, ok := s.(service.Greeter); return ok }
func isSource(s service.Stream) bool  { _, ok := s.(service.Source); return ok }

// closeLinger bounds how long a server that has said its last word waits
// for the peer to close, reading and discarding, before it closes: closing
// with unread input would send a reset that can destroy the last reply.
const closeLinger = 2 * time.Second

// greet sends a Greeter's greeting; when the service closes after it, the
// write side is shut and the connection closed once the peer has closed or
// closeLinger has passed.
func greet(c conn, g service.Greeter, st *tally) error {
	greeting, thenClose := g.Greeting(nil)
	n, err := c.Write(greeting)
	st.out(n)
	if err != nil {
		return err
	}
	if !thenClose {
		return serveStream(c, g.(service.Stream), st, 0)
	}
	if err := c.CloseWrite(); err != nil {
		return err
	}
	c.SetReadDeadline(time.Now().Add(closeLinger))
	in, _ := io.Copy(io.Discard, c)
	st.in(int(in))
	return nil
}

// serveSource sends what a Source fills until the peer closes (a write
// fails), while a second goroutine reads and discards the peer's input.
func serveSource(c conn, src service.Source, st *tally) error {
	read := make(chan int64, 1)
	go func() {
		n, _ := io.Copy(io.Discard, c)
		read <- n
	}()
	var out []byte
	var err error
	for {
		out = src.Fill(out[:0])
		var n int
		n, err = c.Write(out)
		st.out(n)
		if err != nil {
			break
		}
	}
	c.Close() // ends the reader
	st.in(int(<-read))
	if errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) {
		return nil // the peer closed: how a chargen session ends
	}
	return err
}

// unixRecords reads a net package unixpacket connection record by record.
type unixRecords struct{ *net.UnixConn }

func (u unixRecords) ReadRecord(p []byte) (int, bool, error) {
	n, _, flags, _, err := u.ReadMsgUnix(p, nil)
	return n, flags&syscall.MSG_TRUNC != 0, err
}

// tcpInfoOf reads c's TCP_INFO before it closes, or nil if it cannot.
func tcpInfoOf(c conn) *socket.TCPInfo {
	var info socket.TCPInfo
	var err error
	switch c := c.(type) {
	case net.Conn:
		info, err = endpoint.TCPInfo(c)
	case *fdConn:
		info, err = socket.TCPInfoFD(uintptr(c.fd.Fd()))
	default:
		return nil
	}
	if err != nil {
		return nil
	}
	return &info
}
