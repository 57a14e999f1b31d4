package relay

import (
	"net"
	"sync/atomic"
	"time"
)

// IdleConn is a connection closed once no byte has moved either way for
// its timeout.
type IdleConn struct {
	net.Conn
	timeout time.Duration
	last    atomic.Int64 // unix nanoseconds of the last read or write
	timer   *time.Timer
	idled   atomic.Bool
}

// CloseWhenIdle wraps c so that it is closed after timeout without a byte
// read or written. A read or write waiting then fails as after Close.
func CloseWhenIdle(c net.Conn, timeout time.Duration) *IdleConn {
	ic := &IdleConn{Conn: c, timeout: timeout}
	ic.last.Store(time.Now().UnixNano())
	ic.timer = time.AfterFunc(timeout, ic.check)
	return ic
}

func (c *IdleConn) check() {
	quiet := time.Since(time.Unix(0, c.last.Load()))
	if left := c.timeout - quiet; left > 0 {
		c.timer.Reset(left)
		return
	}
	c.idled.Store(true)
	c.Conn.Close()
}

// Idled reports whether the connection was closed for being idle.
func (c *IdleConn) Idled() bool { return c.idled.Load() }

func (c *IdleConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.last.Store(time.Now().UnixNano())
	}
	return n, err
}

func (c *IdleConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	if n > 0 {
		c.last.Store(time.Now().UnixNano())
	}
	return n, err
}

// CloseWrite shuts down the connection's write side, if it has one.
func (c *IdleConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// Close stops the idle timer and closes the connection.
func (c *IdleConn) Close() error {
	c.timer.Stop()
	return c.Conn.Close()
}

// NetConn is the wrapped connection.
func (c *IdleConn) NetConn() net.Conn { return c.Conn }
