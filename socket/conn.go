package socket

import (
	"context"
	"net"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// Bind gives the socket its local address with bind(2). addr is a
// [*net.TCPAddr], [*net.UDPAddr] or [*net.IPAddr] for INET and INET6
// sockets (an IPv4 address on an INET6 socket is v4-mapped), or a
// [*net.UnixAddr] for UNIX ones, whose empty Name autobinds an abstract
// name.
func (f *FD) Bind(addr net.Addr) error {
	const op = "bind"
	if !f.open() {
		return &OpError{Op: op, Addr: addr, Err: net.ErrClosed}
	}
	sa, err := sockaddrOf(f.Domain(), addr)
	if err != nil {
		return &OpError{Op: op, Addr: addr, Err: err}
	}
	start := time.Now()
	var errno error
	if err := f.control(func(fd int) { errno = sysBind(fd, sa) }); err != nil {
		return &OpError{Op: op, Addr: addr, Err: err}
	}
	f.trace(start, Call{Op: op, Addr: addr, Err: errno})
	if errno != nil {
		return &OpError{Op: op, Addr: addr, Err: errno}
	}
	return nil
}

// Listen marks a stream or sequenced-packet socket as accepting
// connections with listen(2). backlog bounds the connections the kernel
// completes before [FD.Accept] takes them; Linux caps it at
// net.core.somaxconn.
func (f *FD) Listen(backlog int) error {
	const op = "listen"
	start := time.Now()
	var errno error
	if err := f.control(func(fd int) { errno = unix.Listen(fd, backlog) }); err != nil {
		return &OpError{Op: op, Err: err}
	}
	if f.tr != nil {
		f.trace(start, Call{Op: op, Args: strconv.Itoa(backlog), Err: errno})
	}
	if errno != nil {
		return &OpError{Op: op, Err: errno}
	}
	return nil
}

// Accept takes the next connection from a listening socket with
// accept4(2), waiting for one if there is none, and returns it with the
// peer's address. The new FD is non-blocking and close-on-exec and has
// f's tracer.
func (f *FD) Accept(ctx context.Context) (*FD, net.Addr, error) {
	const op = "accept4"
	var (
		start  = time.Now()
		called bool
		nfd    int
		sa     sockaddr
		errno  error
	)
	err := f.wait(ctx, reading, func(fd int) bool {
		called = true
		for {
			nfd, errno = sysAccept4(fd, &sa, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
			// Like the net package, skip connections reset while queued.
			if errno != unix.EINTR && errno != unix.ECONNABORTED {
				return errno != unix.EAGAIN
			}
		}
	})
	var peer net.Addr
	if called && errno == nil {
		peer = f.addr(&sa)
	}
	if called {
		f.trace(start, Call{Op: op, Args: "SOCK_NONBLOCK|SOCK_CLOEXEC", Ret: nfd, Addr: peer, Err: errno})
	}
	if err == nil {
		err = errno
	}
	if err != nil {
		return nil, nil, &OpError{Op: op, Err: err}
	}
	nf, err := newFD(nfd, f.domain, f.typ, f.tr)
	if err != nil {
		return nil, nil, &OpError{Op: op, Err: err}
	}
	return nf, peer, nil
}

// Connect connects the socket to addr with connect(2). For a stream
// socket it waits until the connection is established or refused: the
// kernel's EINPROGRESS is followed by waiting for the descriptor to become
// writable and reading SO_ERROR, all of which the tracer sees as the one
// connect call. A Unix stream socket whose listener's backlog is full
// fails with EAGAIN at once. For a datagram socket Connect sets the only
// peer it sends to and receives from.
func (f *FD) Connect(ctx context.Context, addr net.Addr) error {
	const op = "connect"
	if !f.open() {
		return &OpError{Op: op, Addr: addr, Err: net.ErrClosed}
	}
	sa, err := sockaddrOf(f.Domain(), addr)
	if err != nil {
		return &OpError{Op: op, Addr: addr, Err: err}
	}
	var (
		start   = time.Now()
		started bool
		errno   error
	)
	err = f.wait(ctx, writing, func(fd int) bool {
		if !started {
			started = true
			errno = sysConnect(fd, sa)
			switch errno {
			case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
				errno = unix.EINPROGRESS
				return false
			}
			return true
		}
		return connected(fd, &errno)
	})
	if started {
		f.trace(start, Call{Op: op, Addr: addr, Err: errno})
	}
	if err == nil {
		err = errno
	}
	if err != nil {
		return &OpError{Op: op, Addr: addr, Err: err}
	}
	return nil
}

// connected reports whether a connect in progress on fd has finished,
// setting *errno to its result.
func connected(fd int, errno *error) bool {
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		*errno = err
		return true
	}
	switch e := unix.Errno(v); e {
	case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
		return false
	case 0, unix.EISCONN:
		// The poller can wake us before the connection is up; only
		// a peer name proves it is.
		var sa sockaddr
		if sysGetpeername(fd, &sa) != nil {
			return false
		}
		*errno = nil
		return true
	default:
		*errno = e
		return true
	}
}

// LocalAddr returns the socket's own address, from getsockname(2). An
// unbound Unix socket's address has an empty Name.
func (f *FD) LocalAddr() (net.Addr, error) {
	return f.name("getsockname", sysGetsockname)
}

// PeerAddr returns the address of the socket's peer, from getpeername(2).
func (f *FD) PeerAddr() (net.Addr, error) {
	return f.name("getpeername", sysGetpeername)
}

// name makes op, getsockname or getpeername, with call.
func (f *FD) name(op string, call func(int, *sockaddr) error) (net.Addr, error) {
	var (
		start = time.Now()
		sa    sockaddr
		errno error
	)
	if err := f.control(func(fd int) { errno = call(fd, &sa) }); err != nil {
		return nil, &OpError{Op: op, Err: err}
	}
	var addr net.Addr
	if errno == nil {
		addr = f.addr(&sa)
	}
	f.trace(start, Call{Op: op, Addr: addr, Err: errno})
	if errno != nil {
		return nil, &OpError{Op: op, Err: errno}
	}
	return addr, nil
}

// Shutdown shuts down one or both directions of a connection with
// shutdown(2). After ShutWrite the peer reads end of file once it has
// read everything sent before.
func (f *FD) Shutdown(how How) error {
	const op = "shutdown"
	start := time.Now()
	var errno error
	if err := f.control(func(fd int) { errno = unix.Shutdown(fd, int(how)) }); err != nil {
		return &OpError{Op: op, Err: err}
	}
	f.trace(start, Call{Op: op, Args: how.String(), Err: errno})
	if errno != nil {
		return &OpError{Op: op, Err: errno}
	}
	return nil
}
