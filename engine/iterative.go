package engine

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"time"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/socket"
)

// Iterative is the one-connection-at-a-time engine the tutorials start
// with, built on package socket so that Config.Tracer sees every system
// call. It accepts a connection, serves it to the end, and only then
// accepts the next: meanwhile the kernel completes other clients'
// handshakes into the listen queue (up to the endpoint's backlog), and
// they wait there for their turn. A datagram socket is served the same way,
// one datagram at a time. The zero value is ready to use.
type Iterative struct{}

var _ Engine = Iterative{}

// Name returns "iterative".
func (Iterative) Name() string { return "iterative" }

// Bind opens ep through package socket and returns its server.
func (Iterative) Bind(ctx context.Context, ep endpoint.Endpoint, cfg Config) (Server, error) {
	fd, err := ep.ListenFD(ctx, cfg.Tracer)
	if err != nil {
		return nil, err
	}
	addr, err := fd.LocalAddr()
	if err != nil {
		fd.Close()
		ep.RemoveFile()
		return nil, err
	}
	s := &iterativeServer{core: newCore("iterative", ep, cfg), fd: fd}
	// Closing the socket wakes a blocked accept or recvfrom; the Unix
	// file goes with it.
	s.bound = addr
	s.closeSocket = func() error { return errors.Join(fd.Close(), ep.RemoveFile()) }
	if fd.Type() == socket.Datagram && !ep.IsUnix() {
		cfg.Counters.countDrops(fd.Dropped)
	}
	return s, nil
}

type iterativeServer struct {
	core
	fd *socket.FD
}

func (s *iterativeServer) Addr() net.Addr { return s.bound }

func (s *iterativeServer) Sockets() []any { return []any{s.fd} }

func (s *iterativeServer) Serve(ctx context.Context) error {
	end, ok := s.begin(ctx, s.Close)
	if !ok {
		return ErrServerClosed
	}
	defer end()
	if s.fd.Type() == socket.Datagram {
		return s.servePackets(&fdPacketConn{fd: s.fd, local: s.bound})
	}
	return s.acceptLoop()
}

// acceptLoop serves one connection at a time until the listener closes.
func (s *iterativeServer) acceptLoop() error {
	var backoff time.Duration
	for {
		fd, peer, err := s.fd.Accept(context.Background())
		if err != nil {
			if err := s.retryAccept(err, &backoff); err != nil {
				return err
			}
			continue
		}
		backoff = 0
		c := &fdConn{fd: fd}
		if !s.track(c) {
			c.Close()
			return ErrServerClosed
		}
		var records recordConn
		if fd.Type() == socket.SeqPacket {
			records = c
		}
		local, _ := fd.LocalAddr()
		s.serveConn(c, records, endpoint.Tuple{Proto: s.bound.Network(), Local: local, Remote: peer})
		s.untrack(c)
	}
}

// fdConn is a connection over package socket, for the code the blocking
// engines share. Writes send everything, as sendall does.
type fdConn struct {
	fd *socket.FD
	readDeadline
}

var _ recordConn = (*fdConn)(nil)

func (c *fdConn) Read(p []byte) (int, error) {
	ctx, cancel := c.readContext()
	defer cancel()
	n, err := c.fd.Recv(ctx, p)
	return n, deadlineError(err)
}

func (c *fdConn) ReadRecord(p []byte) (int, bool, error) {
	n, err := c.Read(p)
	if errors.Is(err, socket.ErrTruncated) {
		return n, true, nil
	}
	return n, false, err
}

func (c *fdConn) Write(p []byte) (int, error) {
	var done int
	for done < len(p) {
		n, err := c.fd.Send(context.Background(), p[done:])
		done += n
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

func (c *fdConn) CloseWrite() error { return c.fd.Shutdown(socket.ShutWrite) }
func (c *fdConn) Close() error      { return c.fd.Close() }

// fdPacketConn is a datagram socket over package socket.
type fdPacketConn struct {
	fd    *socket.FD
	local net.Addr
	readDeadline
}

var _ packetConn = (*fdPacketConn)(nil)

func (c *fdPacketConn) ReadPacket(p []byte) (int, net.Addr, bool, error) {
	ctx, cancel := c.readContext()
	defer cancel()
	n, from, err := c.fd.RecvFrom(ctx, p)
	if errors.Is(err, socket.ErrTruncated) {
		return n, from, true, nil
	}
	return n, from, false, deadlineError(err)
}

func (c *fdPacketConn) WriteTo(p []byte, to net.Addr) (int, error) {
	return c.fd.SendTo(context.Background(), p, to)
}

func (c *fdPacketConn) LocalAddr() net.Addr { return c.local }

// readDeadline gives package socket's context-taking calls the net
// package's read deadline.
type readDeadline struct {
	mu sync.Mutex
	t  time.Time
}

func (d *readDeadline) SetReadDeadline(t time.Time) error {
	d.mu.Lock()
	d.t = t
	d.mu.Unlock()
	return nil
}

func (d *readDeadline) readContext() (context.Context, context.CancelFunc) {
	d.mu.Lock()
	t := d.t
	d.mu.Unlock()
	if t.IsZero() {
		return context.Background(), func() {}
	}
	return context.WithDeadline(context.Background(), t)
}

// deadlineError reports a read that ran out of time as the net package
// does, with os.ErrDeadlineExceeded.
func deadlineError(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return os.ErrDeadlineExceeded
	}
	return err
}
