package gateway

import (
	"net"
	"os"
	"syscall"
	"time"

	"github.com/sockit/sockit/internal/poll"
)

// Accepted connections are served with blocking reads, one thread parked
// in recv per connection, as a JVM serves Py4J. A Python client makes one
// call at a time per connection, so every command arrives on a socket
// nobody is reading yet. Through the runtime's poller that costs a failed
// read, an epoll wakeup and a goroutine switch per call; and as long as
// the socket stays in the poller's epoll set, its arrivals wake an idle
// thread of the runtime as well. A blocking read on a descriptor outside
// that set is woken by the kernel directly, once. Measured with Py4J's
// client calling addition(1, 2) from one thread, calls per second rise by
// about a fifth (docs/gateway.md).
//
// A blocked read ignores deadlines, and Close defers the real close until
// it returns, so a blocking connection is interrupted by shutting the
// socket down first (conn.interrupt).

// blockingConn is a socket moved out of the runtime's poller: its own
// descriptor, in blocking mode, with the addresses of the net.Conn it was.
type blockingConn struct {
	*os.File
	local, remote net.Addr
}

func (c *blockingConn) LocalAddr() net.Addr  { return c.local }
func (c *blockingConn) RemoteAddr() net.Addr { return c.remote }

// detach returns a blocking connection for nc's socket and closes nc
// (which takes the socket out of the poller), or returns nc itself,
// untouched, if it is not a socket that can be detached.
func detach(nc net.Conn) (net.Conn, bool) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nc, false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nc, false
	}
	nfd := -1
	err = rc.Control(func(fd uintptr) {
		d, err := poll.Dup(int(fd))
		if err != nil {
			return
		}
		// O_NONBLOCK belongs to the open file, which nc and the
		// duplicate share: nc is closed next, so that is fine.
		if syscall.SetNonblock(d, false) != nil {
			syscall.Close(d)
			return
		}
		nfd = d
	})
	if err != nil || nfd < 0 {
		return nc, false
	}
	// A blocking descriptor given to NewFile stays out of the poller.
	bc := &blockingConn{File: os.NewFile(uintptr(nfd), "gateway connection"), local: nc.LocalAddr(), remote: nc.RemoteAddr()}
	nc.Close()
	return bc, true
}

// interrupt makes the connection's pending and future reads and writes
// fail at once: a deadline in the past for a poller-driven socket, a
// shutdown for a blocking one. The connection cannot be used afterwards.
func (c *conn) interrupt() {
	if !c.blocking {
		c.nc.SetDeadline(time.Unix(1, 0))
		return
	}
	if sc, ok := c.nc.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			rc.Control(func(fd uintptr) { syscall.Shutdown(int(fd), syscall.SHUT_RDWR) })
		}
	}
}

// close interrupts the connection and closes it.
func (c *conn) close() {
	c.interrupt()
	c.nc.Close()
}
