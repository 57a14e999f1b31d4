package session

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sockit/sockit/socket"
)

// Config bounds a Listener. The zero Config means the defaults.
type Config struct {
	// Idle ends a session after this long without a datagram either way.
	// Zero: DefaultIdle. Negative: never.
	Idle time.Duration
	// MaxSessions bounds the sessions open at once; datagrams from new
	// peers past it are dropped. Zero: unlimited.
	MaxSessions int
	// Queue is how many datagrams a session holds for a Read before
	// further ones from its peer are dropped. Zero: DefaultQueue.
	Queue int
	// RecvBuffer is the receive buffer (SO_RCVBUF) Listen asks for on a
	// UDP socket, in bytes: a burst of datagrams from new peers waits
	// there while the sessions it opens start (programs, say), where the
	// kernel's default holds a few hundred small ones. Zero:
	// DefaultRecvBuffer, or as much of it as net.core.rmem_max allows, if
	// that is more than the socket has. Negative: the socket's is left as
	// it is, as for one set on purpose.
	RecvBuffer int
}

const (
	// DefaultIdle is how long a silent session lasts by default.
	DefaultIdle = 60 * time.Second
	// DefaultQueue is how many unread datagrams a session holds by default.
	DefaultQueue = 256
	// maxDatagram is the largest datagram read whole: more than UDP's
	// 65,535 and than a Unix datagram under the default SO_SNDBUF.
	maxDatagram = 256 << 10
	// acceptQueue is how many new sessions wait for Accept before the
	// datagrams of further new peers are dropped.
	acceptQueue = 128
	// DefaultRecvBuffer is the receive buffer Listen asks for by default:
	// some ten thousand small datagrams (Linux counts each at about 800
	// bytes, and doubles what is asked).
	DefaultRecvBuffer = 4 << 20
)

// ErrNoReturnAddress is the error writing to a session whose peer has no
// address to reply to: an unbound unixgram socket.
var ErrNoReturnAddress = errors.New("the peer's socket has no address to reply to (an unbound unixgram socket)")

// Listener hands out one Conn per peer of a datagram socket.
type Listener struct {
	pc  net.PacketConn
	cfg Config

	mu       sync.Mutex
	sessions map[string]*Conn
	closed   bool

	accept   chan *Conn
	done     chan struct{} // closed by Close
	readErr  error         // why the reading goroutine stopped, if not Close
	stopped  chan struct{} // closed when the reading goroutine has returned
	closeErr error
	once     sync.Once
	dropped  atomic.Int64 // by the listener itself

	udp    syscall.RawConn // a UDP socket's, to ask it for its drops; else nil
	kernel kernelCount
}

// kernelCount is the kernel's count of the datagrams it dropped on a
// socket, as last heard, unwrapped.
type kernelCount struct {
	mu    sync.Mutex
	last  uint32 // as the kernel has it: wrapping at 2^32
	total int64
}

// see takes a count from the kernel. It only grows, so one that is less
// than the last, from a datagram queued before the socket was last asked,
// is old news.
func (k *kernelCount) see(count uint32) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if d := count - k.last; d < 1<<31 {
		k.total += int64(d)
		k.last = count
	}
}

func (k *kernelCount) load() int64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.total
}

// Listen starts serving pc. The Listener owns pc from now on: closing the
// Listener closes it.
//
// On a UDP socket, Listen first raises the receive buffer (see
// Config.RecvBuffer) and turns on SO_RXQ_OVFL, so that the datagrams the
// kernel drops when that buffer is full are counted: see Dropped.
// (A unixgram socket drops nothing: its senders wait.)
func Listen(pc net.PacketConn, cfg Config) *Listener {
	if cfg.Idle == 0 {
		cfg.Idle = DefaultIdle
	}
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultQueue
	}
	l := &Listener{
		pc:       pc,
		cfg:      cfg,
		sessions: make(map[string]*Conn),
		accept:   make(chan *Conn, acceptQueue),
		done:     make(chan struct{}),
		stopped:  make(chan struct{}),
	}
	if udp, ok := pc.(*net.UDPConn); ok {
		l.udp = prepareUDP(udp, cfg.RecvBuffer)
		go l.readUDP(udp)
	} else {
		go l.read()
	}
	return l
}

// prepareUDP raises c's receive buffer to size (0: DefaultRecvBuffer;
// negative: not at all) and turns on SO_RXQ_OVFL, and returns c's raw
// connection, or nil. All best effort: without them the socket is served
// as before, and its losses go uncounted.
func prepareUDP(c *net.UDPConn, size int) syscall.RawConn {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil
	}
	if size == 0 {
		size = DefaultRecvBuffer
	}
	rc.Control(func(fd uintptr) {
		socket.SetOptionFD(fd, socket.RxqOverflow, 1)
		if size > 0 {
			raiseRecvBuffer(fd, size)
		}
	})
	return rc
}

// raiseRecvBuffer asks for a receive buffer of size on fd, within
// net.core.rmem_max, unless the socket has as much already. The kernel
// quietly caps SO_RCVBUF at rmem_max, which may be below the default the
// socket was made with (rmem_default): then asking would shrink it. If
// rmem_max cannot be read, the buffer is left as it is.
func raiseRecvBuffer(fd uintptr, size int) {
	limit, err := rmemMax()
	if err != nil {
		return
	}
	size = min(size, limit)
	have, err := socket.OptionFD(fd, socket.RecvBuffer)
	if err != nil || have >= 2*size { // Linux reports double what was set
		return
	}
	socket.SetOptionFD(fd, socket.RecvBuffer, size)
}

// rmemMax is net.core.rmem_max, the largest SO_RCVBUF a process may set.
func rmemMax() (int, error) {
	b, err := os.ReadFile("/proc/sys/net/core/rmem_max")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// Accept waits for the next peer's first datagram and returns its session.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.accept:
		return c, nil
	case <-l.stopped:
	}
	select { // sessions that arrived before the socket stopped still count
	case c := <-l.accept:
		return c, nil
	default:
	}
	if l.readErr != nil {
		return nil, &net.OpError{Op: "accept", Net: l.pc.LocalAddr().Network(), Addr: l.pc.LocalAddr(), Err: l.readErr}
	}
	return nil, &net.OpError{Op: "accept", Net: l.pc.LocalAddr().Network(), Addr: l.pc.LocalAddr(), Err: net.ErrClosed}
}

// Close closes the socket and ends every session: their Reads return
// net.ErrClosed.
func (l *Listener) Close() error {
	l.once.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		close(l.done)
		l.askKernel() // its last word: the socket goes with Close
		l.closeErr = l.pc.Close()
		<-l.stopped
	})
	return l.closeErr
}

// Addr is the socket's local address.
func (l *Listener) Addr() net.Addr { return l.pc.LocalAddr() }

// Dropped counts the datagrams dropped so far: by the listener (from new
// peers past MaxSessions or while Accept lagged, and for sessions whose
// Queue was full) and by the kernel (KernelDropped).
func (l *Listener) Dropped() int64 { return l.dropped.Load() + l.KernelDropped() }

// KernelDropped counts the datagrams the kernel dropped on a UDP socket
// before the listener could read them, its receive buffer being full, say;
// 0 for other sockets. It asks the socket (SO_MEMINFO), or after Close
// says what the socket said last; where the kernel cannot be asked, it
// has the count the last datagram read carried (SO_RXQ_OVFL), which lacks
// the drops since that one was queued.
func (l *Listener) KernelDropped() int64 {
	l.askKernel()
	return l.kernel.load()
}

// askKernel asks a UDP socket, while it is open, how many datagrams the
// kernel has dropped on it.
func (l *Listener) askKernel() {
	if l.udp == nil {
		return
	}
	var count uint32
	var err error
	if cerr := l.udp.Control(func(fd uintptr) { count, err = socket.DroppedFD(fd) }); cerr == nil && err == nil {
		l.kernel.see(count)
	}
}

// Sessions is how many sessions are open.
func (l *Listener) Sessions() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.sessions)
}

// read takes every datagram off the socket and gives it to its peer's
// session, opening one for a new peer. It never waits for a session's
// reader or for Accept: a datagram that finds either queue full is
// dropped (and counted), so that the socket is read as fast as it fills.
func (l *Listener) read() {
	buf := make([]byte, maxDatagram)
	l.readEach(func() (int, net.Addr, error) { return l.pc.ReadFrom(buf) }, buf)
}

// readUDP is read for a UDP socket, with recvmsg(2), taking the kernel's
// count of drops from each datagram's SO_RXQ_OVFL message.
func (l *Listener) readUDP(c *net.UDPConn) {
	buf, oob := make([]byte, maxDatagram), make([]byte, socket.RxqOverflowSpace)
	l.readEach(func() (int, net.Addr, error) {
		n, oobn, _, from, err := c.ReadMsgUDP(buf, oob)
		if count, ok := socket.RxqOverflowCount(oob[:oobn]); ok {
			l.kernel.see(count) // before the datagram is delivered
		}
		if from == nil {
			return n, nil, err // not a nil *net.UDPAddr in a net.Addr
		}
		return n, from, err
	}, buf)
}

// readEach delivers what each call of next reads into buf until the
// socket fails or is closed.
func (l *Listener) readEach(next func() (int, net.Addr, error), buf []byte) {
	defer close(l.stopped)
	for {
		n, from, err := next()
		if err != nil {
			select {
			case <-l.done:
			default:
				if isTransient(err) {
					continue
				}
				l.readErr = err
			}
			l.endAll()
			return
		}
		l.deliver(append([]byte(nil), buf[:n]...), from)
	}
}

// isTransient reports whether a read error concerns one earlier datagram,
// not the socket: an ICMP error for a reply sent, say.
func isTransient(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EMSGSIZE)
}

func (l *Listener) deliver(p []byte, from net.Addr) {
	key := addrKey(from)
	l.mu.Lock()
	c := l.sessions[key]
	if c == nil {
		if l.closed || (l.cfg.MaxSessions > 0 && len(l.sessions) >= l.cfg.MaxSessions) {
			l.mu.Unlock()
			l.dropped.Add(1)
			return
		}
		c = l.newConn(key, from)
		select {
		case l.accept <- c:
			l.sessions[key] = c
		default: // Accept lags too far behind: drop rather than grow
			l.mu.Unlock()
			c.idle.Stop()
			l.dropped.Add(1)
			return
		}
	}
	l.mu.Unlock()
	c.touch()
	select {
	case c.in <- p:
	default:
		l.dropped.Add(1)
	}
}

func addrKey(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// endAll ends every session once the socket has stopped.
func (l *Listener) endAll() {
	l.mu.Lock()
	l.closed = true
	all := l.sessions
	l.sessions = map[string]*Conn{}
	l.mu.Unlock()
	for _, c := range all {
		c.end(net.ErrClosed)
	}
}

// forget removes c from the table if it is still there.
func (l *Listener) forget(c *Conn) {
	l.mu.Lock()
	if l.sessions[c.key] == c {
		delete(l.sessions, c.key)
	}
	l.mu.Unlock()
}

// Conn is one peer's session. Each Read returns one datagram (cut to the
// buffer's length if it is shorter, as a datagram socket does); each Write
// sends one.
type Conn struct {
	l    *Listener
	key  string
	peer net.Addr

	in   chan []byte
	last atomic.Int64 // unix nanoseconds of the last datagram either way
	idle *time.Timer

	mu       sync.Mutex
	endErr   error         // io.EOF (idle), net.ErrClosed (closed); nil while open
	ended    chan struct{} // closed with endErr set
	deadline time.Time
	wake     chan struct{} // closed and replaced when the deadline changes
	wdead    time.Time
}

func (l *Listener) newConn(key string, peer net.Addr) *Conn {
	c := &Conn{l: l, key: key, peer: peer, in: make(chan []byte, l.cfg.Queue), ended: make(chan struct{}), wake: make(chan struct{})}
	c.touch()
	if l.cfg.Idle > 0 {
		c.idle = time.AfterFunc(l.cfg.Idle, c.checkIdle)
	} else {
		c.idle = time.NewTimer(0)
		c.idle.Stop()
	}
	return c
}

func (c *Conn) touch() { c.last.Store(time.Now().UnixNano()) }

// checkIdle ends the session if it has been idle for Config.Idle, and
// looks again when it would be otherwise.
func (c *Conn) checkIdle() {
	quiet := time.Since(time.Unix(0, c.last.Load()))
	if left := c.l.cfg.Idle - quiet; left > 0 {
		c.idle.Reset(left)
		return
	}
	c.l.forget(c)
	c.end(io.EOF)
}

// end marks the session over with err, once.
func (c *Conn) end(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.endErr != nil {
		return
	}
	c.endErr = err
	close(c.ended)
	c.idle.Stop()
}

// Idled reports whether the session ended because its peer fell silent.
func (c *Conn) Idled() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.endErr == io.EOF
}

// Read returns the peer's next datagram. After the session has ended it
// returns what is still queued, then io.EOF if the peer went quiet or
// net.ErrClosed if the session or listener was closed.
func (c *Conn) Read(b []byte) (int, error) {
	for {
		c.mu.Lock()
		deadline, wake := c.deadline, c.wake
		c.mu.Unlock()
		var timer *time.Timer
		var timeout <-chan time.Time
		if !deadline.IsZero() {
			d := time.Until(deadline)
			if d <= 0 {
				return 0, c.opError("read", os.ErrDeadlineExceeded)
			}
			timer = time.NewTimer(d)
			timeout = timer.C
		}
		n, again, err := c.readOnce(b, timeout, wake)
		if timer != nil {
			timer.Stop()
		}
		if !again {
			return n, err
		}
	}
}

// readOnce waits for a datagram, the session's end, timeout or wake; again
// says the deadline fired or changed, so Read must look at it again.
func (c *Conn) readOnce(b []byte, timeout <-chan time.Time, wake chan struct{}) (n int, again bool, err error) {
	select {
	case p := <-c.in:
		return copy(b, p), false, nil
	case <-c.ended:
		select {
		case p := <-c.in:
			return copy(b, p), false, nil
		default:
		}
		if c.endErr == io.EOF {
			return 0, false, io.EOF
		}
		return 0, false, c.opError("read", c.endErr)
	case <-timeout:
	case <-wake:
	}
	return 0, true, nil
}

// Write sends b to the peer as one datagram.
func (c *Conn) Write(b []byte) (int, error) {
	select {
	case <-c.ended:
		return 0, c.opError("write", net.ErrClosed)
	default:
	}
	if c.peer == nil {
		return 0, c.opError("write", ErrNoReturnAddress)
	}
	c.mu.Lock()
	wdead := c.wdead
	c.mu.Unlock()
	if !wdead.IsZero() && !time.Now().Before(wdead) {
		return 0, c.opError("write", os.ErrDeadlineExceeded)
	}
	n, err := c.l.pc.WriteTo(b, c.peer)
	if err != nil {
		return n, err
	}
	c.touch()
	return n, nil
}

// CloseWrite does nothing: a datagram socket has no end of stream to send.
// The session goes on until its peer falls silent or it is closed.
func (c *Conn) CloseWrite() error { return nil }

// Close ends the session. Datagrams the peer sends afterwards start a new
// one.
func (c *Conn) Close() error {
	c.l.forget(c)
	c.end(net.ErrClosed)
	return nil
}

// LocalAddr is the listening socket's address.
func (c *Conn) LocalAddr() net.Addr { return c.l.pc.LocalAddr() }

// RemoteAddr is the peer's address; nil for an unbound unixgram peer.
func (c *Conn) RemoteAddr() net.Addr { return c.peer }

// SetDeadline sets the read and write deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	c.SetReadDeadline(t)
	return c.SetWriteDeadline(t)
}

// SetReadDeadline makes a Read waiting at t, or called after it, fail with
// os.ErrDeadlineExceeded. The zero time removes the deadline.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	close(c.wake)
	c.wake = make(chan struct{})
	c.mu.Unlock()
	return nil
}

// SetWriteDeadline makes Writes called at or after t fail with
// os.ErrDeadlineExceeded. A datagram send does not wait, so there is no
// Write in progress for it to interrupt.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.wdead = t
	c.mu.Unlock()
	return nil
}

func (c *Conn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: c.LocalAddr().Network(), Source: c.LocalAddr(), Addr: c.peer, Err: err}
}

// String names the session by its peer, for logs.
func (c *Conn) String() string {
	return fmt.Sprintf("session %s <- %s", c.LocalAddr(), addrKey(c.peer))
}
