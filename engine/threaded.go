package engine

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/socket"
)

// Threaded is the goroutine-per-connection engine: one goroutine accepts,
// and each connection gets a goroutine of its own that reads, hands the
// bytes to the service and writes the reply. A datagram socket is served by
// one goroutine. Sockets come from Go's net package. The zero value is
// ready to use.
type Threaded struct{}

var _ Engine = Threaded{}

// Name returns "threaded".
func (Threaded) Name() string { return "threaded" }

// Bind opens ep and returns its server.
func (Threaded) Bind(ctx context.Context, ep endpoint.Endpoint, cfg Config) (Server, error) {
	s := &threadedServer{core: newCore("threaded", ep, cfg)}
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
	core
	ln net.Listener   // stream and seqpacket endpoints
	pc net.PacketConn // datagram endpoints
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
		return s.servePackets(netPacketConn{s.pc})
	}
	return s.acceptLoop()
}

// stopTaking closes the listening or datagram socket, so that Accept and
// ReadFrom return; closing a Unix listener removes its file.
func (s *threadedServer) stopTaking() error {
	return s.stop(s.Addr(), func() error {
		if s.ln != nil {
			return s.ln.Close()
		}
		return s.pc.Close()
	})
}

func (s *threadedServer) Shutdown(ctx context.Context) error {
	err := s.stopTaking()
	if serr := s.shutdown(ctx); serr != nil {
		return serr
	}
	return err
}

func (s *threadedServer) Close() error {
	err := s.stopTaking()
	s.closeNow()
	return err
}

// acceptLoop accepts until the listener closes and gives each connection a
// goroutine. With MaxConns, it takes a slot before each accept, so that at
// the limit new clients wait in the kernel's listen queue.
func (s *threadedServer) acceptLoop() error {
	var slots chan struct{}
	if s.cfg.MaxConns > 0 {
		slots = make(chan struct{}, s.cfg.MaxConns)
	}
	release := func() {
		if slots != nil {
			<-slots
		}
	}
	var backoff time.Duration
	for {
		if slots != nil {
			select {
			case slots <- struct{}{}:
			case <-s.quit:
				return ErrServerClosed
			}
		}
		c, err := s.ln.Accept()
		if err != nil {
			release()
			if s.stopping() {
				return ErrServerClosed
			}
			var ok bool
			if backoff, ok = s.acceptBackoff(err, backoff); !ok {
				return err
			}
			if !s.sleep(backoff) {
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
			defer release()
			defer s.untrack(c)
			if err := s.ep.Options.ConfigureConn(c); err != nil {
				c.Close()
				s.log.Warn("close", "err", err)
				return
			}
			var records recordConn
			if s.ep.Type() == socket.SeqPacket {
				records = unixRecords{c.(*net.UnixConn)}
			}
			s.serveConn(c.(conn), records, endpoint.TupleOf(c))
		}()
	}
}
