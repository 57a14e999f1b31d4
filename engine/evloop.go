package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/internal/poll"
	"github.com/sockit/sockit/socket"
)

// Evloop is the event-loop engine: a few goroutines, each running its own
// epoll loop over many non-blocking sockets, instead of a goroutine per
// connection. Output the peer cannot take yet is kept and sent when epoll
// says the socket is writable; once a connection has more than a cap of it
// pending, the loop stops reading from that connection until it drains, so
// a client that does not read costs bounded memory and loses no byte.
type Evloop struct {
	// Loops is the number of event loops. If zero, GOMAXPROCS.
	Loops int
	// Accept says how connections reach the loops. If zero,
	// AcceptReusePort where it applies (TCP and UDP), else AcceptHandoff.
	Accept AcceptMode
}

// AcceptMode is how an event-loop server spreads connections over loops.
type AcceptMode int

const (
	// AcceptReusePort gives each loop a listener of its own on the same
	// port (SO_REUSEPORT), and the kernel spreads connections over them.
	// TCP and UDP only; Unix sockets fall back to AcceptHandoff.
	AcceptReusePort AcceptMode = iota + 1
	// AcceptHandoff has one listener, in the first loop, which accepts and
	// hands connections to the loops in turn.
	AcceptHandoff
)

var _ Engine = Evloop{}

// Name returns "evloop".
func (Evloop) Name() string { return "evloop" }

// Tuning. outCap bounds a connection's pending output before the loop stops
// reading from it; keepOut is the largest output buffer a connection keeps
// once drained (larger ones are freed, so idle connections stay small).
const (
	outCap         = 256 << 10
	keepOut        = 16 << 10
	acceptBatch    = 64
	datagramRounds = 4 // batches read per readiness event, for fairness
	eventBatch     = 256
)

// Bind opens ep: one socket per loop with AcceptReusePort, else one.
func (e Evloop) Bind(ctx context.Context, ep endpoint.Endpoint, cfg Config) (Server, error) {
	if ep.Type() == 0 {
		return nil, fmt.Errorf("serve %s: %w", ep, endpoint.ErrNotSocket)
	}
	n := e.Loops
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	mode := e.Accept
	if mode == 0 || ep.IsUnix() {
		mode = AcceptReusePort
		if ep.IsUnix() {
			mode = AcceptHandoff
		}
	}
	s := &evServer{core: newCore("evloop", ep, cfg), force: make(chan struct{})}
	sockets := 1
	if mode == AcceptReusePort {
		sockets = n
	}
	if err := s.openSockets(ctx, sockets); err != nil {
		s.closeSockets()
		return nil, err
	}
	for i := range n {
		l, err := newEvLoop(s, i)
		if err != nil {
			s.closeLoops()
			s.closeSockets()
			return nil, err
		}
		s.loops = append(s.loops, l)
	}
	// Each socket goes to a loop as a descriptor of the loop's own.
	for i, sock := range s.socks {
		fd, err := rawFD(sock)
		if err == nil {
			s.loops[i].sockFD, err = poll.Dup(fd)
		}
		if err != nil {
			s.closeLoops()
			s.closeSockets()
			return nil, err
		}
	}
	return s, nil
}

type evServer struct {
	core
	socks []any // net.Listener or net.PacketConn, owning the bound sockets
	addr  net.Addr
	loops []*evLoop

	forceOnce sync.Once
	force     chan struct{} // closed: close every connection now

	open atomic.Int64 // connections accepted and not yet closed, for MaxConns
}

// atCap reports whether the server has Config.MaxConns connections open.
func (s *evServer) atCap() bool {
	return s.cfg.MaxConns > 0 && s.open.Load() >= int64(s.cfg.MaxConns)
}

// connClosed counts a connection gone; if that takes the server below its
// cap, the loops are woken to accept again.
func (s *evServer) connClosed() {
	if n := s.open.Add(-1); s.cfg.MaxConns > 0 && n == int64(s.cfg.MaxConns)-1 {
		s.wakeLoops()
	}
}

// openSockets binds count sockets on ep, the later ones on the port the
// first was given, all with SO_REUSEPORT when there are several.
func (s *evServer) openSockets(ctx context.Context, count int) error {
	ep := s.ep
	if count > 1 && !ep.Options.ReusePort {
		// SO_REUSEPORT would also let this server join another on the
		// same port: make sure no one holds it first.
		if err := ep.CheckFree(ctx); err != nil {
			return err
		}
		ep.Options.ReusePort = true
	}
	for i := range count {
		var sock any
		var addr net.Addr
		var err error
		if ep.Type() == socket.Datagram {
			var pc net.PacketConn
			pc, err = ep.ListenPacket(ctx)
			if err == nil {
				sock, addr = pc, pc.LocalAddr()
			}
		} else {
			var ln net.Listener
			ln, err = ep.Listen(ctx)
			if err == nil {
				sock, addr = ln, ln.Addr()
			}
		}
		if err != nil {
			return err
		}
		s.socks = append(s.socks, sock)
		s.cfg.Counters.countDropsOf(sock)
		if i == 0 {
			s.addr = addr
			ep.Address = endpoint.AddrString(addr) // the rest share its port
		}
	}
	return nil
}

func rawFD(sock any) (int, error) {
	sc, ok := sock.(syscall.Conn)
	if !ok {
		return -1, fmt.Errorf("socket %T has no descriptor", sock)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	if err := rc.Control(func(f uintptr) { fd = int(f) }); err != nil {
		return -1, err
	}
	return fd, nil
}

func (s *evServer) closeSockets() error {
	var errs []error
	for _, sock := range s.socks {
		errs = append(errs, sock.(interface{ Close() error }).Close())
	}
	return errors.Join(errs...)
}

func (s *evServer) closeLoops() {
	for _, l := range s.loops {
		l.poller.Close()
	}
}

func (s *evServer) Addr() net.Addr { return s.addr }

func (s *evServer) Sockets() []any { return s.socks }

func (s *evServer) Serve(ctx context.Context) error {
	end, ok := s.begin(ctx, s.Close)
	if !ok {
		return ErrServerClosed
	}
	defer end()
	errs := make([]error, len(s.loops))
	var wg sync.WaitGroup
	for i, l := range s.loops {
		wg.Go(func() { errs[i] = l.run() })
	}
	wg.Wait()
	s.closeLoops()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return ErrServerClosed
}

// stopTaking closes the bound sockets (removing a Unix file) and wakes the
// loops, which drop their own descriptors of them and serve on until their
// connections end.
func (s *evServer) stopTaking() error {
	return s.stop(s.addr, func() error {
		err := s.closeSockets()
		s.wakeLoops()
		return err
	})
}

func (s *evServer) wakeLoops() {
	for _, l := range s.loops {
		l.poller.Wake()
	}
}

// forceClose has every loop close its connections now.
func (s *evServer) forceClose() {
	s.forceOnce.Do(func() {
		close(s.force)
		s.wakeLoops()
	})
}

func (s *evServer) forcing() bool {
	select {
	case <-s.force:
		return true
	default:
		return false
	}
}

func (s *evServer) Shutdown(ctx context.Context) error {
	err := s.stopTaking()
	stop := context.AfterFunc(ctx, s.forceClose)
	defer stop()
	s.wg.Wait() // Serve returns when every loop has ended
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

func (s *evServer) Close() error {
	err := s.stopTaking()
	s.forceClose()
	s.wg.Wait()
	return err
}

// evLoop is one event loop: an epoll instance, the connections it owns, and
// one read buffer they all share.
type evLoop struct {
	s      *evServer
	id     int
	poller *poll.Poller
	sockFD int // this loop's descriptor of a bound socket, or -1
	conns  map[int]*evConn
	buf    []byte

	network string // the network of the endpoint's addresses: tcp, udp, unix...

	mu    sync.Mutex
	inbox []handoff // connections handed over by the accepting loop
	done  bool      // the loop has ended: hand it nothing more
	next  int       // the loop the next accepted connection goes to

	peers     *peerTable  // datagram peers
	batch     *poll.Batch // datagram reads and replies
	replyTo   []sentReply
	lingering []*evConn // connections waiting for their peer's close

	// Accept backs off after errors that pass (out of descriptors): the
	// listener is taken out of epoll, which would otherwise report it
	// ready again at once, and put back at acceptResume.
	acceptBackoff time.Duration
	acceptResume  time.Time
	listening     bool // the listener is in epoll
	capped        bool // not accepting: the server is at MaxConns

	nextIdleSweep time.Time
}

type handoff struct {
	fd   int
	peer net.Addr
}

func newEvLoop(s *evServer, id int) (*evLoop, error) {
	p, err := poll.New()
	if err != nil {
		return nil, err
	}
	size := streamBuffer
	if s.ep.IsUnix() && s.ep.Type() != socket.Stream {
		size = recordBuffer
	}
	network := strings.TrimRight(s.ep.Network, "46")
	return &evLoop{s: s, id: id, poller: p, sockFD: -1, conns: make(map[int]*evConn), buf: make([]byte, size), network: network}, nil
}

// run serves until the server stops and the loop's connections have ended.
// The loop is an ordinary goroutine: between events it parks on the Go
// runtime's poller (see poll.Poller.Run).
func (l *evLoop) run() error {
	s := l.s
	if l.sockFD >= 0 && !s.stopping() {
		if err := l.poller.Add(l.sockFD, poll.In); err != nil {
			return err
		}
		l.listening = true
	}
	if s.ep.Type() == socket.Datagram {
		l.peers = newPeerTable(s.addr, s.cfg.peerIdle(), s.log, s.cfg.Counters)
		defer l.peers.flush()
		// UDP's largest datagram fits 64 KiB; a Unix record may be larger,
		// so its batch has fewer, larger slots.
		if s.ep.IsUnix() {
			l.batch = poll.NewBatch(8, recordBuffer)
		} else {
			l.batch = poll.NewBatch(32, udpBuffer)
		}
	}
	handle := func(events []poll.Event) poll.After {
		for _, ev := range events {
			fd := int(ev.Fd)
			switch {
			case fd == l.poller.WakeFD():
				l.poller.Drain()
				l.takeInbox()
				if l.capped && !s.atCap() {
					l.capped = false
					if l.acceptResume.IsZero() {
						l.listen(true)
					}
				}
			case fd == l.sockFD && s.ep.Type() == socket.Datagram:
				l.serveDatagrams()
			case fd == l.sockFD:
				l.acceptAll()
			default:
				if c := l.conns[fd]; c != nil {
					l.handle(c, ev.Events)
				}
			}
		}
		if l.finished() {
			return poll.Stop
		}
		return poll.Recheck
	}
	idle := func() (time.Time, bool) {
		if l.finished() {
			return time.Time{}, true
		}
		now := time.Now()
		wait := l.timers(now)
		if wait < 0 {
			return time.Time{}, false
		}
		return now.Add(time.Duration(wait) * time.Millisecond), false
	}
	return l.poller.Run(make([]poll.Event, eventBatch), handle, idle)
}

// finished reports whether the loop is done: the server is closing every
// connection (which it does now), or stopping and this loop has none left.
func (l *evLoop) finished() bool {
	s := l.s
	if s.forcing() {
		l.dropSocket()
		l.closeAll(net.ErrClosed)
		l.mu.Lock()
		l.done = true
		in := l.inbox
		l.inbox = nil
		l.mu.Unlock()
		for _, h := range in {
			poll.Close(h.fd)
			s.connClosed()
		}
		return true
	}
	if s.stopping() {
		l.dropSocket()
		l.takeInbox()
		return len(l.conns) == 0 && l.end()
	}
	return false
}

// end marks the loop done if nothing was handed to it meanwhile, and
// reports whether it did.
func (l *evLoop) end() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.inbox) > 0 {
		return false
	}
	l.done = true
	return true
}

// dropSocket stops watching this loop's bound socket and closes the loop's
// descriptor of it.
func (l *evLoop) dropSocket() {
	if l.sockFD < 0 {
		return
	}
	l.poller.Del(l.sockFD)
	poll.Close(l.sockFD)
	l.sockFD = -1
	l.listening = false
}

// listen puts the loop's listener in epoll, or takes it out, so that the
// loop accepts or stops accepting.
func (l *evLoop) listen(on bool) {
	if l.sockFD < 0 || l.listening == on {
		return
	}
	if on {
		if l.poller.Add(l.sockFD, poll.In) == nil {
			l.listening = true
		}
		return
	}
	l.poller.Del(l.sockFD)
	l.listening = false
}

// timers runs what is due (lingering closes, idle timeouts, resuming
// accept) and says how long Wait may block until the next is (-1: no
// limit).
func (l *evLoop) timers(now time.Time) int {
	wait := l.expireLingering(now)
	sooner := func(t time.Time) {
		if t.IsZero() {
			return
		}
		ms := max(int(t.Sub(now)/time.Millisecond)+1, 0)
		if wait < 0 || ms < wait {
			wait = ms
		}
	}
	if !l.acceptResume.IsZero() && !now.Before(l.acceptResume) {
		l.acceptResume = time.Time{}
		if !l.capped {
			l.listen(true)
		}
	}
	sooner(l.acceptResume)
	if idle := l.s.cfg.IdleTimeout; idle > 0 && len(l.conns) > 0 {
		if !now.Before(l.nextIdleSweep) {
			l.expireIdle(now, idle)
			l.nextIdleSweep = now.Add(min(idle/2, time.Second))
		}
		sooner(l.nextIdleSweep)
	}
	return wait
}

// expireIdle closes connections that have had no input for idle.
func (l *evLoop) expireIdle(now time.Time, idle time.Duration) {
	cutoff := now.Add(-idle).UnixNano()
	for _, c := range l.conns {
		if c.active < cutoff && c.src == nil && c.linger.IsZero() {
			l.close(c, errIdle)
		}
	}
}

// acceptAll accepts what is queued and gives each connection to a loop.
func (l *evLoop) acceptAll() {
	s := l.s
	for range acceptBatch {
		if s.atCap() {
			l.capped = true // connClosed wakes the loop when one goes
			l.listen(false)
			return
		}
		fd, peer, err := poll.Accept(l.sockFD, l.network)
		if err == syscall.EAGAIN {
			return
		}
		if err != nil {
			var passes bool
			if l.acceptBackoff, passes = s.acceptBackoff(err, l.acceptBackoff); passes {
				l.listen(false)
				l.acceptResume = time.Now().Add(l.acceptBackoff)
			} else {
				s.log.Warn("accept failed", "err", err)
			}
			return
		}
		l.acceptBackoff = 0
		s.open.Add(1)
		if s.ep.Type() == socket.Stream && !s.ep.IsUnix() {
			nodelay := s.ep.Options.NoDelay == nil || *s.ep.Options.NoDelay
			poll.SetNoDelay(fd, nodelay)
		}
		target := l
		if len(s.socks) == 1 && len(s.loops) > 1 {
			target = s.loops[l.next]
			l.next = (l.next + 1) % len(s.loops)
		}
		if target == l {
			l.register(fd, peer)
			continue
		}
		target.mu.Lock()
		if target.done {
			target.mu.Unlock()
			poll.Close(fd) // the server is stopping: refuse it
			s.connClosed()
			continue
		}
		target.inbox = append(target.inbox, handoff{fd, peer})
		target.mu.Unlock()
		target.poller.Wake()
	}
}

func (l *evLoop) takeInbox() {
	l.mu.Lock()
	in := l.inbox
	l.inbox = nil
	l.mu.Unlock()
	for _, h := range in {
		if l.s.forcing() {
			poll.Close(h.fd)
			l.s.connClosed()
			continue
		}
		l.register(h.fd, h.peer)
	}
}
