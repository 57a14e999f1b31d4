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
	// Closing the listener or socket makes Accept or ReadFrom return;
	// closing a Unix listener removes its file.
	if s.ln != nil {
		s.bound, s.closeSocket = s.ln.Addr(), s.ln.Close
	} else {
		s.bound, s.closeSocket = s.pc.LocalAddr(), s.pc.Close
		cfg.Counters.countDropsOf(s.pc)
	}
	return s, nil
}

type threadedServer struct {
	core
	ln net.Listener   // stream and seqpacket endpoints
	pc net.PacketConn // datagram endpoints
}

func (s *threadedServer) Addr() net.Addr { return s.bound }

func (s *threadedServer) Sockets() []any {
	if s.ln != nil {
		return []any{s.ln}
	}
	return []any{s.pc}
}

func (s *threadedServer) Serve(ctx context.Context) error {
	end, ok := s.begin(ctx, s.Close)
	if !ok {
		return ErrServerClosed
	}
	defer end()
	if s.pc != nil {
		return s.servePackets(netPacketConn{s.pc})
	}
	return s.acceptLoop()
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
			if err := s.retryAccept(err, &backoff); err != nil {
				return err
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
