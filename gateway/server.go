package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
)

// Mode says which of Py4J's two deployments the Python side uses; the
// bytes on the wire do not tell, so both ends must be configured alike.
type Mode int

const (
	// ModeGateway is classic Py4J (JavaGateway + CallbackServer): Python
	// pools connections to the gateway, and the gateway calls Python back
	// on connections it opens to Python's callback server.
	ModeGateway Mode = iota
	// ModeClientServer is Py4J's pinned-thread mode (ClientServer): a
	// callback made during a Python call travels on that call's
	// connection, and Python's nested calls come back on it too.
	ModeClientServer
)

func (m Mode) String() string {
	if m == ModeClientServer {
		return "clientserver"
	}
	return "gateway"
}

// ParseMode reads "gateway" (classic) or "clientserver".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "gateway", "classic", "":
		return ModeGateway, nil
	case "clientserver", "client-server":
		return ModeClientServer, nil
	}
	return 0, fmt.Errorf("mode %q: want gateway or clientserver", s)
}

// Defaults of a zero Server.
const (
	DefaultAddr         = "127.0.0.1:25333"
	DefaultCallbackAddr = "127.0.0.1:25334"
	DefaultMaxConns     = 128
	DefaultMaxLineBytes = 64 << 20
)

var (
	// ErrServerClosed is returned by Serve after Shutdown or Close.
	ErrServerClosed = errors.New("gateway: server closed")
	// ErrShutdownCommand is returned by Serve when a client shut the
	// gateway down (Python's gateway.shutdown()).
	ErrShutdownCommand = errors.New("gateway: shut down by a client")
)

// Server serves Go values to Py4J clients. Its zero value serves nothing
// useful; set EntryPoint. Fields must not change once Serve has begun.
type Server struct {
	// Addr is where ListenAndServe listens, DefaultAddr if empty.
	Addr string
	// EntryPoint is the object Python reaches as gateway.entry_point.
	// Its exported methods are called by their lower-camel-case names.
	EntryPoint any
	// AuthToken, if set, must be the first thing every connection sends
	// (Python's GatewayParameters(auth_token=...)); it is also sent to
	// Python's callback server, which JavaGateway gives the same token.
	AuthToken string
	// Mode is ModeGateway (classic) or ModeClientServer.
	Mode Mode
	// CallbackAddr is Python's callback server (classic mode) or Python
	// server (ClientServer mode), DefaultCallbackAddr if empty. Python can
	// move it with GATEWAY_SERVER.resetCallbackClient.
	CallbackAddr string
	// Adapters turn a Python object into a Go value implementing a Go
	// interface, keyed by a name Python lists in its Java.implements.
	Adapters map[string]func(*Proxy) any
	// Logger receives connection events; nil logs nothing.
	Logger *slog.Logger
	// MaxConns bounds the connections served at once (DefaultMaxConns if
	// 0); one more gets a fatal error reply and is closed.
	MaxConns int
	// MaxLineBytes bounds one line (DefaultMaxLineBytes if 0): a longer
	// value is read, dropped and answered with an error.
	MaxLineBytes int
	// RefuseShutdown makes the shutdown command close only its own
	// connection instead of the whole server.
	RefuseShutdown bool
	// Trace, if set, sees every line on every connection: conn names it
	// ("c1" accepted, "cb1" opened to Python), in is true for lines the
	// gateway reads. It is called from many goroutines.
	Trace func(conn string, in bool, line string)

	initOnce    sync.Once
	reg         *registry
	classes     map[string]class
	methodCache sync.Map // reflect.Type -> map[string]*goMethod
	importsMu   sync.Mutex
	imports     []string

	mu        sync.Mutex
	listener  net.Listener
	conns     map[*conn]struct{}
	callback  string  // current callback address
	idle      []*conn // pooled connections to Python, not in use
	closing   bool
	byClient  bool
	done      chan struct{}
	wg        sync.WaitGroup
	connSeq   atomic.Uint64
	dialSeq   atomic.Uint64
	cutOff    atomic.Int64 // replies lost because the server closed their connection
	releases  chan string
	releaseWG sync.WaitGroup
}

func (s *Server) init() {
	s.initOnce.Do(func() {
		s.reg = newRegistry()
		s.reg.putAs("t", s.EntryPoint)
		s.reg.putAs("GATEWAY_SERVER", &gatewayServer{s})
		s.classes = jvmClasses()
		s.conns = make(map[*conn]struct{})
		s.callback = s.CallbackAddr
		if s.callback == "" {
			s.callback = DefaultCallbackAddr
		}
		s.done = make(chan struct{})
		s.releases = make(chan string, 4096)
		s.releaseWG.Add(1)
		go s.releaseProxies()
	})
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func (s *Server) maxLine() int {
	if s.MaxLineBytes > 0 {
		return s.MaxLineBytes
	}
	return DefaultMaxLineBytes
}

func (s *Server) maxConns() int {
	if s.MaxConns > 0 {
		return s.MaxConns
	}
	return DefaultMaxConns
}

// ListenAndServe listens on Addr (TCP) and serves until Shutdown, Close
// or a client's shutdown command.
func (s *Server) ListenAndServe() error {
	addr := s.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	lc := net.ListenConfig{}
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	return s.Serve(ln)
}

// Serve accepts Py4J connections on ln, one goroutine each. It returns
// ErrServerClosed after Shutdown or Close, ErrShutdownCommand after a
// client's shutdown command, or the listener's error.
func (s *Server) Serve(ln net.Listener) error {
	s.init()
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	s.listener = ln
	s.mu.Unlock()
	log := s.logger()
	log.Info("gateway listening", "addr", ln.Addr().String(), "mode", s.Mode.String(), "auth", s.AuthToken != "")
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closing, byClient := s.closing, s.byClient
			s.mu.Unlock()
			switch {
			case byClient:
				return ErrShutdownCommand
			case closing:
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("gateway: accept: %w", err)
		}
		nc, blocking := detach(nc)
		c := s.newConn(nc, "c"+strconv.FormatUint(s.connSeq.Add(1), 10), false)
		c.blocking = blocking
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			nc.Close()
			continue
		}
		if len(s.conns) >= s.maxConns() {
			s.mu.Unlock()
			log.Warn("gateway: too many connections", "remote", nc.RemoteAddr().String(), "max", s.maxConns())
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				c.refuse(fmt.Sprintf("too many connections: this gateway serves at most %d at once", s.maxConns()))
			}()
			continue
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			c.serve()
		}()
	}
}

// Addr of the listener, once Serve has begun (nil before).
func (s *Server) ListenAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener == nil {
		return nil
	}
	return s.listener.Addr()
}

func (s *Server) listeningPort() int {
	if a, ok := s.ListenAddr().(*net.TCPAddr); ok {
		return a.Port
	}
	return 0
}

// Shutdown stops listening, closes idle connections, and waits for
// commands in progress to finish (or ctx to end, when it closes them all).
// Python's pooled connections are idle between calls, so they close at
// once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	s.stop(false)
	finished := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
		// Close what is left. Only a call whose reply could not be
		// written was cut off: with no drain time left, ctx can end
		// before idle connections are seen to finish.
		before := s.cutOff.Load()
		s.closeAll(true)
		<-finished
		if s.cutOff.Load() == before {
			return nil
		}
		return ctx.Err()
	}
}

// Close closes the listener and every connection at once.
func (s *Server) Close() error {
	s.init()
	s.stop(false)
	s.closeAll(true)
	s.wg.Wait()
	return nil
}

// stop marks the server closing, closes the listener and idle
// connections, and ends the release goroutine.
func (s *Server) stop(byClient bool) {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return
	}
	s.closing, s.byClient = true, byClient
	ln := s.listener
	close(s.done)
	s.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
	s.releaseWG.Wait()
	s.closeAll(false)
	s.reg.clear("t", "GATEWAY_SERVER")
}

// closeAll closes idle connections, or all of them, cancelling the
// context of the calls in progress on them.
func (s *Server) closeAll(busyToo bool) {
	s.mu.Lock()
	var victims []*conn
	for c := range s.conns {
		if busyToo || !c.busy.Load() {
			victims = append(victims, c)
		}
	}
	idle := s.idle
	s.idle = nil
	s.mu.Unlock()
	for _, c := range victims {
		// Close first: a call that its cancellation ends must not get its
		// reply out, or Shutdown could not say which replies were lost.
		c.close()
		c.cancel()
	}
	for _, c := range idle {
		c.close()
	}
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

func (s *Server) removeConn(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// callbackAddress is the current address of Python's callback server.
func (s *Server) callbackAddress() (host string, port int) {
	s.mu.Lock()
	addr := s.callback
	s.mu.Unlock()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, 0
	}
	n, _ := strconv.Atoi(p)
	return h, n
}

// resetCallback moves callbacks to addr and drops pooled connections to
// the old one.
func (s *Server) resetCallback(addr string) {
	s.mu.Lock()
	s.callback = addr
	idle := s.idle
	s.idle = nil
	s.mu.Unlock()
	for _, c := range idle {
		c.close()
	}
	s.logger().Info("gateway: callback address reset", "addr", addr)
}

// Objects is the number of object ids Python holds (for tests and stats).
func (s *Server) Objects() int {
	s.init()
	return s.reg.len()
}
