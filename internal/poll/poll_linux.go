package poll

import (
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Event flags, as epoll reports and takes them.
const (
	In    = unix.EPOLLIN
	Out   = unix.EPOLLOUT
	RdHup = unix.EPOLLRDHUP
	Hup   = unix.EPOLLHUP
	Err   = unix.EPOLLERR
)

// Event is one ready descriptor.
type Event = unix.EpollEvent

// Poller is an epoll instance and an eventfd that wakes its Wait.
//
// Wake may be called from any goroutine, even after Close: mu makes Close
// wait for a Wake in progress and later ones do nothing, so a wake never
// writes to a descriptor number the kernel has given to another file.
type Poller struct {
	epfd int
	wake int
	file *os.File // epfd, registered with the Go runtime's poller

	// solo, when set, is a dup of the loop's one socket, soloFD, registered
	// with the runtime's poller: Run parks on it while soloOut is false
	// (see Solo). Only the goroutine running the loop changes these; Wake
	// reads solo under mu.
	solo    *os.File
	soloFD  int
	soloOut bool
	retired *os.File    // a solo file to close once Run is out of its read
	woken   atomic.Bool // Wake was called while solo was set

	mu     sync.RWMutex
	closed bool
}

// New makes a Poller.
func New() (*Poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	wake, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, os.NewSyscallError("eventfd", err)
	}
	p := &Poller{epfd: epfd, wake: wake}
	if err := p.Add(wake, In); err != nil {
		p.Close()
		return nil, err
	}
	// An epoll instance is itself pollable: it is readable when it has
	// events. Registered with the runtime's poller, a loop waiting on it
	// parks like any other goroutine blocked on I/O, rather than holding a
	// thread in epoll_wait.
	if err := unix.SetNonblock(epfd, true); err != nil {
		p.Close()
		return nil, os.NewSyscallError("fcntl", err)
	}
	p.file = os.NewFile(uintptr(epfd), "epoll")
	return p, nil
}

// After is a handler's word to Run on the batch of events it has served.
type After int

const (
	// Recheck: look for more events before parking. Always correct.
	Recheck After = iota
	// Settled: the handler served every descriptor in the batch until the
	// kernel had nothing more for it now (a read came up short of a byte
	// stream or would block, a write finished or would block). Anything
	// that becomes ready later raises a new event, so, unless the batch
	// filled the buffer, Run parks at once, saving an epoll_wait.
	Settled
	// Stop: Run returns.
	Stop
)

// Run hands ready events to handle until handle or idle says stop, or an
// error occurs. It fetches events without blocking while there are any;
// when there are none (or handle says the batch left nothing ready) it
// calls idle, which does what is due and says when to wake next (zero:
// only for an event), and parks on the Go runtime's poller until an event
// or that time. events must have room for two.
//
// Parking is safe only when no ready descriptor is left unserved: the
// runtime watches epfd edge-triggered, and epfd raises an edge for each
// new event, never again for one already pending. An empty epoll_wait
// proves that; a Settled handler vouches for it.
func (p *Poller) Run(events []Event, handle func([]Event) After, idle func() (wake time.Time, stop bool)) error {
	ep, err := newParking(p.file)
	if err != nil {
		return err
	}
	var solo *parking
	for {
		var stop bool
		var werr error
		if p.solo != nil && !p.soloOut && len(events) >= 2 {
			if solo == nil || solo.file != p.solo {
				if solo, err = newParking(p.solo); err != nil {
					return err
				}
			}
			err = solo.read(func() bool { return p.serveSolo(solo, events, handle, idle, &stop) })
		} else {
			err = ep.read(func() bool {
				for {
					n, err := unix.EpollWait(p.epfd, events, 0)
					if errors.Is(err, unix.EINTR) {
						continue
					}
					if err != nil {
						werr = os.NewSyscallError("epoll_wait", err)
						return true
					}
					if n > 0 {
						after := handle(events[:n])
						p.closeRetired()
						switch {
						case after == Stop:
							stop = true
							return true
						case p.solo != nil && !p.soloOut:
							return true // park on the solo socket from now on
						case after == Recheck || n == len(events):
							continue // more may be waiting
						}
					}
					var wake time.Time
					if wake, stop = idle(); stop {
						return true
					}
					ep.setWake(wake)
					return false
				}
			})
		}
		p.closeRetired()
		switch {
		case werr != nil:
			return werr
		case stop:
			return nil
		case err != nil:
			return err
		}
	}
}

// parking is a file Run parks on, and the wake time set on it.
type parking struct {
	file     *os.File
	rc       syscall.RawConn
	deadline time.Time
}

func newParking(f *os.File) (*parking, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	return &parking{file: f, rc: rc}, nil
}

// setWake sets the file's read deadline to wake, if that is new.
func (k *parking) setWake(wake time.Time) {
	if !wake.Equal(k.deadline) {
		k.file.SetReadDeadline(wake)
		k.deadline = wake
	}
}

// read calls f, and again each time the file is readable, until f returns
// true or the wake time comes.
func (k *parking) read(f func() (done bool)) error {
	err := k.rc.Read(func(uintptr) bool { return f() })
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// The wake time came. Clear it here: while it stands, the runtime
		// returns at once without calling f, so idle would never get to
		// set the next one.
		k.file.SetReadDeadline(time.Time{})
		k.deadline = time.Time{}
		return nil
	}
	return err
}

// WakeFD is the descriptor whose readiness means Wake was called.
func (p *Poller) WakeFD() int { return p.wake }

// Add watches fd for events.
func (p *Poller) Add(fd int, events uint32) error {
	ev := unix.EpollEvent{Events: events, Fd: int32(fd)}
	return os.NewSyscallError("epoll_ctl", unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev))
}

// Mod changes the events watched on fd.
func (p *Poller) Mod(fd int, events uint32) error {
	if p.solo != nil && fd == p.soloFD {
		p.soloOut = events&Out != 0
	}
	ev := unix.EpollEvent{Events: events, Fd: int32(fd)}
	return os.NewSyscallError("epoll_ctl", unix.EpollCtl(p.epfd, unix.EPOLL_CTL_MOD, fd, &ev))
}

// Del stops watching fd.
func (p *Poller) Del(fd int) error {
	return os.NewSyscallError("epoll_ctl", unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, fd, nil))
}

// Wait fills events with ready descriptors, waiting up to msec
// milliseconds (-1: until one is ready). An interrupted wait returns 0.
func (p *Poller) Wait(events []Event, msec int) (int, error) {
	n, err := unix.EpollWait(p.epfd, events, msec)
	if errors.Is(err, unix.EINTR) {
		return 0, nil
	}
	if err != nil {
		return 0, os.NewSyscallError("epoll_wait", err)
	}
	return n, nil
}

// Wake makes a Wait in another goroutine return (now or at its next call).
func (p *Poller) Wake() error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return nil
	}
	if p.solo != nil {
		// Run may be parked on the solo socket: a deadline in the past
		// makes it return, and woken says why.
		p.woken.Store(true)
		p.solo.SetReadDeadline(time.Unix(1, 0))
	}
	var one = [8]byte{1}
	_, err := unix.Write(p.wake, one[:])
	if errors.Is(err, unix.EAGAIN) {
		return nil // the counter is full: a wake is pending already
	}
	return os.NewSyscallError("write", err)
}

// Drain consumes pending wakes; call it when WakeFD is ready.
func (p *Poller) Drain() {
	var buf [8]byte
	unix.Read(p.wake, buf[:])
}

// Close releases the epoll instance and the eventfd. Only the first Close
// does anything.
func (p *Poller) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	closeEpoll := func() error { return unix.Close(p.epfd) }
	if p.file != nil {
		closeEpoll = p.file.Close
	}
	for _, f := range []*os.File{p.solo, p.retired} {
		if f != nil {
			f.Close()
		}
	}
	p.solo, p.retired = nil, nil
	return errors.Join(unix.Close(p.wake), closeEpoll())
}

// Accept takes a connection from listener fd: non-blocking and
// close-on-exec, with its peer's address as a net.Addr of network's kind.
func Accept(fd int, network string) (int, net.Addr, error) {
	nfd, sa, err := unix.Accept4(fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
	if err != nil {
		return -1, nil, err
	}
	return nfd, toAddr(sa, network), nil
}

// Read reads from fd.
func Read(fd int, p []byte) (int, error) { return unix.Read(fd, p) }

// Write writes to fd. A closed peer is EPIPE: Go's runtime ignores the
// SIGPIPE the kernel sends for descriptors other than 1 and 2.
func Write(fd int, p []byte) (int, error) {
	n, err := unix.Write(fd, p)
	if n < 0 {
		n = 0
	}
	return n, err
}

// ReadRecord reads one sequenced packet whole: truncated says it was
// longer than p.
func ReadRecord(fd int, p []byte) (n int, truncated bool, err error) {
	n, _, err = unix.Recvfrom(fd, p, unix.MSG_TRUNC)
	if err != nil {
		return 0, false, err
	}
	if n > len(p) {
		return len(p), true, nil
	}
	return n, false, nil
}

// Peer is a datagram's sender as the kernel gave it, so that a reply goes
// to exactly that address on the same socket.
type Peer struct{ sa unix.Sockaddr }

// Addr is the sender as a net.Addr of network's kind ("udp", "unixgram"),
// or nil for an unnamed Unix socket.
func (p Peer) Addr(network string) net.Addr {
	if !p.Named() {
		return nil
	}
	return toAddr(p.sa, network)
}

// Named reports whether the peer has an address a reply can go to.
// x/sys/unix reports an unnamed Unix socket as "@".
func (p Peer) Named() bool {
	if u, ok := p.sa.(*unix.SockaddrUnix); ok {
		return u.Name != "" && u.Name != "@"
	}
	return p.sa != nil
}

// RecvFrom reads one datagram whole and its sender: truncated says it was
// longer than p.
func RecvFrom(fd int, p []byte) (n int, from Peer, truncated bool, err error) {
	n, sa, err := unix.Recvfrom(fd, p, unix.MSG_TRUNC)
	if err != nil {
		return 0, Peer{}, false, err
	}
	if n > len(p) {
		return len(p), Peer{sa}, true, nil
	}
	return n, Peer{sa}, false, nil
}

// SendTo sends b as one datagram to to.
func SendTo(fd int, b []byte, to Peer) error {
	return unix.Sendto(fd, b, unix.MSG_NOSIGNAL, to.sa)
}

// ShutdownWrite shuts down fd's write side: the peer reads end-of-file.
func ShutdownWrite(fd int) error { return unix.Shutdown(fd, unix.SHUT_WR) }

// Close closes fd.
func Close(fd int) error { return unix.Close(fd) }

// SetNoDelay sets TCP_NODELAY on fd, as Go does for its own connections.
func SetNoDelay(fd int, on bool) error {
	v := 0
	if on {
		v = 1
	}
	return unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, v)
}

func toAddr(sa unix.Sockaddr, network string) net.Addr {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		if network == "udp" {
			return &net.UDPAddr{IP: net.IP(sa.Addr[:]).To16(), Port: sa.Port}
		}
		return &net.TCPAddr{IP: net.IP(sa.Addr[:]).To16(), Port: sa.Port}
	case *unix.SockaddrInet6:
		ip := make(net.IP, 16)
		copy(ip, sa.Addr[:])
		zone := ""
		if sa.ZoneId != 0 {
			if ifc, err := net.InterfaceByIndex(int(sa.ZoneId)); err == nil {
				zone = ifc.Name
			}
		}
		if network == "udp" {
			return &net.UDPAddr{IP: ip, Port: sa.Port, Zone: zone}
		}
		return &net.TCPAddr{IP: ip, Port: sa.Port, Zone: zone}
	case *unix.SockaddrUnix:
		return &net.UnixAddr{Name: sa.Name, Net: network}
	}
	return nil
}

// Dup duplicates fd (close-on-exec), so that a loop can hold and close its
// own reference to a socket another owner closes on its own schedule.
func Dup(fd int) (int, error) {
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	return nfd, os.NewSyscallError("fcntl", err)
}

// LocalAddr is fd's own address, as a net.Addr of network's kind.
func LocalAddr(fd int, network string) net.Addr {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return nil
	}
	return toAddr(sa, network)
}
