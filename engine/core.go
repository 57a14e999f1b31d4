package engine

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/sockit/sockit/endpoint"
)

// core is what every engine's server shares: its endpoint and config, its
// logger, the signal that it has stopped taking new work, and the work in
// flight that Shutdown and Close wait for.
type core struct {
	ep  endpoint.Endpoint
	cfg Config
	log *slog.Logger

	quitOnce sync.Once
	quit     chan struct{} // closed when the server stops taking new work
	wg       sync.WaitGroup

	mu    sync.Mutex
	conns map[io.Closer]struct{}

	// For the blocking engines, whose Shutdown and Close are core's: the
	// bound address, and how to close the socket so that the serving loop
	// returns (and a Unix file goes).
	bound       net.Addr
	closeSocket func() error
}

func newCore(engine string, ep endpoint.Endpoint, cfg Config) core {
	return core{
		ep:    ep,
		cfg:   cfg,
		log:   cfg.logger().With("engine", engine, "service", cfg.service().Name()),
		quit:  make(chan struct{}),
		conns: make(map[io.Closer]struct{}),
	}
}

func (s *core) stopping() bool {
	select {
	case <-s.quit:
		return true
	default:
		return false
	}
}

// stop closes quit once, under mu so that every addWork or track either
// happened before it or sees it, then runs closeSocket (which makes the
// serving loop return) and logs that addr stopped.
func (s *core) stop(addr net.Addr, closeSocket func() error) error {
	var err error
	s.quitOnce.Do(func() {
		s.mu.Lock()
		close(s.quit)
		s.mu.Unlock()
		err = closeSocket()
		s.log.Info("stopped", "addr", endpoint.FromAddr(s.ep.Network, addr).String())
	})
	return err
}

// begin starts a Serve: it counts the serving loop as work in flight, so
// that Shutdown and Close return only after it has ended, and arranges for
// closeServer to run when ctx ends. It reports false when the server is
// closed already; otherwise the caller defers end.
func (s *core) begin(ctx context.Context, closeServer func() error) (end func(), ok bool) {
	if !s.addWork() {
		return nil, false
	}
	stop := context.AfterFunc(ctx, func() { closeServer() })
	return func() { stop(); s.wg.Done() }, true
}

// stopTaking closes the bound socket once, so that the serving loop
// returns; the blocking engines' Shutdown and Close start with it.
func (s *core) stopTaking() error { return s.stop(s.bound, s.closeSocket) }

// Shutdown stops taking new work and waits for the work in flight, closing
// it if ctx ends first.
func (s *core) Shutdown(ctx context.Context) error {
	err := s.stopTaking()
	if serr := s.shutdown(ctx); serr != nil {
		return serr
	}
	return err
}

// Close stops taking new work and closes the work in flight now.
func (s *core) Close() error {
	err := s.stopTaking()
	s.closeNow()
	return err
}

// addWork counts one more goroutine for Shutdown and Close to wait for, or
// reports false when the server is stopping.
func (s *core) addWork() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping() {
		return false
	}
	s.wg.Add(1)
	return true
}

// track registers c as work in flight that Close can reach; it reports
// false when the server is already stopping, and then the caller closes c.
func (s *core) track(c io.Closer) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping() {
		return false
	}
	s.wg.Add(1)
	s.conns[c] = struct{}{}
	return true
}

func (s *core) untrack(c io.Closer) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.wg.Done()
}

func (s *core) closeConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
	}
}

// shutdown waits for the work in flight, closing it if ctx ends first.
func (s *core) shutdown(ctx context.Context) error {
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.closeConns()
		<-done
		return ctx.Err()
	}
}

// closeNow closes the work in flight and waits for it.
func (s *core) closeNow() {
	s.closeConns()
	s.wg.Wait()
}

// acceptBackoff says how long to wait after an accept error that passes
// (out of descriptors, a connection reset while queued), or false for one
// that ends serving. Waiting, rather than retrying at once, lets an
// exhausted process recover without spinning.
func (s *core) acceptBackoff(err error, last time.Duration) (time.Duration, bool) {
	if !acceptErrorPasses(err) {
		return 0, false
	}
	next := min(max(2*last, 5*time.Millisecond), time.Second)
	s.log.Warn("accept failed; retrying", "err", err, "backoff", next)
	return next, true
}

// retryAccept handles an error from a blocking accept: nil means try
// again (after a backoff, for errors that pass); anything else is what
// Serve returns.
func (s *core) retryAccept(err error, backoff *time.Duration) error {
	if s.stopping() {
		return ErrServerClosed
	}
	next, ok := s.acceptBackoff(err, *backoff)
	if !ok {
		return err
	}
	*backoff = next
	if !s.sleep(next) {
		return ErrServerClosed
	}
	return nil
}

// sleep waits d, or until the server stops; it reports whether it slept
// the whole time.
func (s *core) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.quit:
		return false
	}
}

func acceptErrorPasses(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM) ||
		errors.Is(err, syscall.ECONNABORTED)
}
