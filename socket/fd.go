package socket

import (
	"errors"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// An FD is an open socket descriptor. Its methods may be called from
// several goroutines at once; see the package documentation for how
// blocking calls, cancellation and Close interact.
//
// The zero FD is closed: its methods return errors that satisfy
// errors.Is(err, [net.ErrClosed]).
type FD struct {
	domain Domain
	typ    Type
	tr     Tracer
	sysfd  int // the descriptor's number, kept for traces after Close
	file   *os.File
	rc     syscall.RawConn
	closed atomic.Bool

	mu      sync.Mutex
	cancels [2]int // by direction: calls woken by their contexts, not yet returned

	// parking, if set, is called each time a call finds the descriptor
	// not ready and is about to park. Tests use it to know that a call
	// blocked.
	parking func()
}

// Socket opens a socket with socket(2): non-blocking, close-on-exec, and
// registered with the runtime's network poller. proto is usually 0; tr,
// if not nil, sees this call and every later call on the descriptor and on
// those it accepts.
func Socket(d Domain, t Type, proto int, tr Tracer) (*FD, error) {
	const op = "socket"
	start := time.Now()
	fd, err := unix.Socket(int(d), int(t)|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, proto)
	if tr != nil {
		c := Call{Op: op, FD: -1, Args: d.String() + ", " + t.String() + "|SOCK_NONBLOCK|SOCK_CLOEXEC, " + protoString(d, proto), Ret: fd, Err: err, Dur: time.Since(start)}
		if err != nil {
			c.Ret = -1
		}
		tr(c)
	}
	if err != nil {
		return nil, &OpError{Op: op, Err: err}
	}
	return newFD(fd, d, t, tr)
}

// newFD wraps fd, a new non-blocking socket of domain d and type t. On
// error fd is closed.
func newFD(fd int, d Domain, t Type, tr Tracer) (*FD, error) {
	file := os.NewFile(uintptr(fd), "socket:"+strconv.Itoa(fd))
	rc, err := file.SyscallConn()
	if err != nil {
		file.Close()
		return nil, err
	}
	return &FD{domain: d, typ: t, tr: tr, sysfd: fd, file: file, rc: rc}, nil
}

// Fd returns the descriptor's number, for printing; -1 once closed. Pass
// it to no system call: this package's methods keep the descriptor valid
// while they use it, and nothing else does.
func (f *FD) Fd() int {
	if !f.open() {
		return -1
	}
	return f.sysfd
}

// Domain returns the domain the socket was opened with.
func (f *FD) Domain() Domain {
	if f == nil {
		return 0
	}
	return f.domain
}

// Type returns the type the socket was opened with.
func (f *FD) Type() Type {
	if f == nil {
		return 0
	}
	return f.typ
}

// Close closes the descriptor with close(2), first waking every call
// blocked on it. Only the first Close does anything (and is traced);
// later ones return nil.
func (f *FD) Close() error {
	const op = "close"
	if f == nil || f.file == nil || f.closed.Swap(true) {
		return nil
	}
	start := time.Now()
	err := f.file.Close()
	var errno error
	if err != nil {
		var e syscall.Errno
		if errors.As(err, &e) {
			errno = e
		} else {
			errno = err
		}
	}
	f.trace(start, Call{Op: op, Err: errno})
	if errno != nil {
		return &OpError{Op: op, Err: errno}
	}
	return nil
}

// open reports whether f is usable: made by Socket or Accept and not
// closed.
func (f *FD) open() bool {
	return f != nil && f.rc != nil && !f.closed.Load()
}

// addr decodes sa, returned by a call on f.
func (f *FD) addr(sa *sockaddr) net.Addr {
	return sa.addr(f.domain, f.typ)
}
