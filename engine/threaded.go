package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/service"
	"github.com/sockit/sockit/socket"
)

// Threaded is the goroutine-per-connection engine: one goroutine accepts,
// and each connection gets a goroutine of its own that reads, hands the
// bytes to the service and writes the reply. A datagram socket is served by
// one goroutine. The zero value is ready to use.
type Threaded struct{}

var _ Engine = Threaded{}

// Name returns "threaded".
func (Threaded) Name() string { return "threaded" }

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

// Bind opens ep and returns its server.
func (Threaded) Bind(ctx context.Context, ep endpoint.Endpoint, cfg Config) (Server, error) {
	s := &threadedServer{
		ep:    ep,
		cfg:   cfg,
		log:   cfg.logger().With("engine", "threaded", "service", cfg.service().Name()),
		conns: make(map[net.Conn]struct{}),
		quit:  make(chan struct{}),
	}
	var err error
	switch ep.Type() {
	case socket.Stream, socket.SeqPacket:
		s.ln, err = ep.Listen(ctx)
	case socket.Datagram:
		s.pc, err = ep.ListenPacket(ctx)
	default:
		return nil, fmt.Errorf("serve %s: %w", ep, endpoint.ErrNotSocket)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

type threadedServer struct {
	ep  endpoint.Endpoint
	cfg Config
	log *slog.Logger
	ln  net.Listener   // stream and seqpacket endpoints
	pc  net.PacketConn // datagram endpoints

	quitOnce sync.Once
	quit     chan struct{} // closed when the server stops taking new work
	wg       sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func (s *threadedServer) Addr() net.Addr {
	if s.ln != nil {
		return s.ln.Addr()
	}
	return s.pc.LocalAddr()
}

func (s *threadedServer) Serve(ctx context.Context) error {
	// The serving loop counts as work in flight, so that Shutdown and
	// Close return only after it has ended and logged what it knew.
	if !s.addWork() {
		return ErrServerClosed
	}
	defer s.wg.Done()
	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()
	if s.pc != nil {
		return s.servePackets()
	}
	return s.acceptLoop()
}

// addWork counts one more goroutine for Shutdown and Close to wait for, or
// reports false when the server is stopping. quit is closed under mu, so
// every Add happens before the Wait that follows it.
func (s *threadedServer) addWork() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping() {
		return false
	}
	s.wg.Add(1)
	return true
}

func (s *threadedServer) stopping() bool {
	select {
	case <-s.quit:
		return true
	default:
		return false
	}
}

// stopTaking closes the listening or datagram socket once, so that Accept
// and ReadFrom return.
func (s *threadedServer) stopTaking() error {
	var err error
	s.quitOnce.Do(func() {
		s.mu.Lock()
		close(s.quit)
		s.mu.Unlock()
		addr := endpoint.FromAddr(s.ep.Network, s.Addr()).String()
		if s.ln != nil {
			err = s.ln.Close()
		} else {
			err = s.pc.Close()
		}
		s.log.Info("stopped", "addr", addr)
	})
	return err
}

func (s *threadedServer) Shutdown(ctx context.Context) error {
	err := s.stopTaking()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return err
	case <-ctx.Done():
		s.closeConns()
		<-done
		return ctx.Err()
	}
}

func (s *threadedServer) Close() error {
	err := s.stopTaking()
	s.closeConns()
	s.wg.Wait()
	return err
}

func (s *threadedServer) closeConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
	}
}

// track registers c so that Close can reach it; it reports false when the
// server is already stopping, and then c must be closed by the caller.
func (s *threadedServer) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping() {
		return false
	}
	s.wg.Add(1)
	s.conns[c] = struct{}{}
	return true
}

func (s *threadedServer) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.wg.Done()
}

// acceptLoop accepts until the listener closes. Errors that pass (out of
// descriptors, a connection reset before accept) back off and retry, so an
// exhausted process recovers instead of spinning.
func (s *threadedServer) acceptLoop() error {
	var backoff time.Duration
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if s.stopping() {
				return ErrServerClosed
			}
			if !acceptErrorPasses(err) {
				return err
			}
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("accept failed; retrying", "err", err, "backoff", backoff)
			select {
			case <-time.After(backoff):
			case <-s.quit:
				return ErrServerClosed
			}
			continue
		}
		backoff = 0
		if !s.track(c) {
			c.Close()
			return ErrServerClosed
		}
		go func() {
			defer s.untrack(c)
			s.serveConn(c)
		}()
	}
}

func acceptErrorPasses(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM) ||
		errors.Is(err, syscall.ECONNABORTED)
}

// Read buffers are pooled: a connection holds one only while it is open.
var (
	streamBuffers = sync.Pool{New: func() any { b := make([]byte, streamBuffer); return &b }}
	recordBuffers = sync.Pool{New: func() any { b := make([]byte, recordBuffer); return &b }}
)

// serveConn runs the service on one accepted connection until the peer
// closes or an error ends it, then logs what passed.
func (s *threadedServer) serveConn(c net.Conn) {
	defer c.Close()
	st := ConnStats{Tuple: endpoint.TupleOf(c), Start: time.Now()}
	s.log.Info("open", slog.Group("conn", slog.String("tuple", st.Tuple.String())))
	err := s.ep.Options.ConfigureConn(c)
	if err == nil {
		svc := s.cfg.service().NewStream()
		switch {
		case isGreeter(svc):
			err = greet(c, svc.(service.Greeter), &st)
		case isSource(svc):
			err = serveSource(c, svc.(service.Source), &st)
		case s.ep.Type() == socket.SeqPacket:
			err = serveRecords(c.(*net.UnixConn), svc, &st)
		default:
			err = serveStream(c, svc, &st)
		}
	}
	st.End = time.Now()
	if err != nil && !(s.stopping() && errors.Is(err, net.ErrClosed)) {
		s.log.Warn("close", "conn", st, "err", err)
		return
	}
	s.log.Info("close", "conn", st)
}

// serveStream echoes (or whatever the service does) until EOF, then sends
// the rest and shuts down the write side: the half-close is carried back.
func serveStream(c net.Conn, svc service.Stream, st *ConnStats) error {
	bp := streamBuffers.Get().(*[]byte)
	defer streamBuffers.Put(bp)
	buf := *bp
	for {
		n, rerr := c.Read(buf)
		if n > 0 {
			st.BytesIn += int64(n)
			if reply := svc.Input(nil, buf[:n]); len(reply) > 0 {
				w, err := c.Write(reply)
				st.BytesOut += int64(w)
				if err != nil {
					return err
				}
			}
		}
		if rerr == io.EOF {
			return closeWrite(c)
		}
		if rerr != nil {
			return rerr
		}
	}
}

// serveRecords serves a sequenced-packet connection record by record, so
// that each reply is one record, as the peer sent it.
func serveRecords(c *net.UnixConn, svc service.Stream, st *ConnStats) error {
	bp := recordBuffers.Get().(*[]byte)
	defer recordBuffers.Put(bp)
	buf := *bp
	for {
		n, _, flags, _, err := c.ReadMsgUnix(buf, nil)
		if n == 0 && (err == nil || err == io.EOF) {
			return closeWrite(c) // the peer shut down its write side
		}
		if err != nil {
			return err
		}
		st.BytesIn += int64(n)
		if flags&syscall.MSG_TRUNC != 0 {
			return fmt.Errorf("record larger than %d bytes arrived truncated: %w", len(buf), socket.ErrTruncated)
		}
		if reply := svc.Input(nil, buf[:n]); len(reply) > 0 {
			w, err := c.Write(reply)
			st.BytesOut += int64(w)
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
func greet(c net.Conn, g service.Greeter, st *ConnStats) error {
	greeting, thenClose := g.Greeting(nil)
	n, err := c.Write(greeting)
	st.BytesOut += int64(n)
	if err != nil {
		return err
	}
	if !thenClose {
		return serveStream(c, g.(service.Stream), st)
	}
	if err := closeWrite(c); err != nil {
		return err
	}
	c.SetReadDeadline(time.Now().Add(closeLinger))
	in, _ := io.Copy(io.Discard, c)
	st.BytesIn += in
	return nil
}

// serveSource sends what a Source fills until the peer closes (a write
// fails), while a second goroutine reads and discards the peer's input.
func serveSource(c net.Conn, src service.Source, st *ConnStats) error {
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
		st.BytesOut += int64(n)
		if err != nil {
			break
		}
	}
	c.Close() // ends the reader
	st.BytesIn += <-read
	if errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) {
		return nil // the peer closed: how a chargen session ends
	}
	return err
}

func closeWrite(c net.Conn) error {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
