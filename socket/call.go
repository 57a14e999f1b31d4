package socket

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Call is one system call as a [Tracer] sees it.
type Call struct {
	// Op is the system call: "socket", "setsockopt", "getsockopt", "bind",
	// "listen", "accept4", "connect", "getsockname", "getpeername", "send",
	// "recv", "sendto", "recvfrom", "shutdown", "close" or "gethostname".
	Op string
	// FD is the descriptor the call acted on; -1 for socket and
	// gethostname.
	FD int
	// Args are the other arguments as strace would print them, such as
	// "AF_INET, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0", "SOL_SOCKET, SO_REUSEADDR, 1", "SHUT_WR"
	// or, for send and recv, the buffer's length. For gethostname it is
	// the quoted name the call returned.
	Args string
	// Ret is the return value: a new descriptor, a byte count, or 0; -1
	// on error. With MSG_TRUNC, which Recv and RecvFrom pass for message
	// sockets, it is the message's full length.
	Ret int
	// Addr is the address given (bind, connect, sendto) or learned
	// (accept4's peer, recvfrom's source, getsockname, getpeername); nil
	// otherwise.
	Addr net.Addr
	// Err is nil or the [syscall.Errno] the kernel returned, not wrapped.
	Err error
	// Dur is how long the call took, including time parked waiting for
	// the descriptor to become ready.
	Dur time.Duration
}

// String formats c the way strace does, without the duration:
//
//	socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0) = 3
//	connect(4, 127.0.0.1:1) = -1 ECONNREFUSED (connection refused)
//	accept4(3, SOCK_NONBLOCK|SOCK_CLOEXEC) = 5 (peer 127.0.0.1:41234)
//	recvfrom(6, 65536) = 5 (from 127.0.0.1:5555)
//	gethostname() = 0 ("myhost")
//
// An unnamed Unix address prints as "(unnamed)".
func (c Call) String() string {
	var b strings.Builder
	b.WriteString(c.Op)
	b.WriteByte('(')
	sep := ""
	if c.FD >= 0 {
		b.WriteString(strconv.Itoa(c.FD))
		sep = ", "
	}
	result := ""
	if c.Op == "gethostname" {
		result = c.Args
	} else if c.Args != "" {
		b.WriteString(sep)
		b.WriteString(c.Args)
		sep = ", "
	}
	if c.Addr != nil {
		switch c.Op {
		case "bind", "connect", "sendto":
			b.WriteString(sep)
			b.WriteString(addrString(c.Addr))
		case "accept4", "getpeername":
			result = "peer " + addrString(c.Addr)
		case "recvfrom":
			result = "from " + addrString(c.Addr)
		default:
			result = addrString(c.Addr)
		}
	}
	b.WriteString(") = ")
	b.WriteString(strconv.Itoa(c.Ret))
	if c.Err != nil {
		b.WriteByte(' ')
		b.WriteString(errString(c.Err))
		return b.String()
	}
	if result != "" {
		b.WriteString(" (")
		b.WriteString(result)
		b.WriteByte(')')
	}
	return b.String()
}

// errString formats err as strace does: "ECONNREFUSED (connection refused)".
func errString(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return "(" + err.Error() + ")"
	}
	name := unix.ErrnoName(errno)
	if name == "" {
		name = "errno " + strconv.Itoa(int(errno))
	}
	return name + " (" + errno.Error() + ")"
}

// addrString formats a for traces and errors: an unnamed Unix address is
// "(unnamed)".
func addrString(a net.Addr) string {
	if u, ok := a.(*net.UnixAddr); ok && u != nil && u.Name == "" {
		return "(unnamed)"
	}
	return a.String()
}

// A Tracer receives every call made on the descriptors created with it,
// as the call returns (so calls from different goroutines may arrive in an
// order other than the one in which they took effect). A nil Tracer traces nothing. It may be called
// from several goroutines at once, for different descriptors, and should
// return quickly: the call it reports waits for it.
type Tracer func(Call)

// trace reports c, made on f and begun at start, to f's tracer, filling
// in FD, Dur and, on error, Ret.
func (f *FD) trace(start time.Time, c Call) {
	if f.tr == nil {
		return
	}
	c.FD = f.sysfd
	c.Dur = time.Since(start)
	if c.Err != nil {
		c.Ret = -1
	}
	f.tr(c)
}
