package relay

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// DatagramConn makes a connected datagram socket (UDP, unixgram) a Conn.
// A datagram socket has no end of stream to send, so CloseWrite instead
// ends the reading: the other side's stream has ended, and this side's
// replies have nowhere to go. A Read waiting then returns io.EOF.
func DatagramConn(c net.Conn) Conn { return &datagramConn{Conn: c} }

type datagramConn struct {
	net.Conn
	ended atomic.Bool
}

func (c *datagramConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if err != nil && c.ended.Load() && errors.Is(err, os.ErrDeadlineExceeded) {
		return n, io.EOF
	}
	return n, err
}

func (c *datagramConn) CloseWrite() error {
	c.ended.Store(true)
	return c.Conn.SetReadDeadline(time.Now())
}

// Stdio is standard input and output as a Conn: reading takes standard
// input, writing goes to standard output, and CloseWrite closes output
// (if it can be closed), so that its reader sees the end.
//
// Input is read by a goroutine of its own, so that Close ends a Read at
// once even when input is a terminal, whose read cannot be interrupted:
// that goroutine ends with the next line typed, or with the process.
func Stdio(in io.Reader, out io.Writer) Conn {
	return &stdioConn{in: in, out: out, chunks: make(chan chunk), closed: make(chan struct{})}
}

type stdioConn struct {
	in     io.Reader
	out    io.Writer
	start  sync.Once
	chunks chan chunk
	closed chan struct{}
	close  sync.Once
	rest   []byte // of the last chunk, not yet read
}

type chunk struct {
	p   []byte
	err error
}

func (c *stdioConn) Read(b []byte) (int, error) {
	if len(c.rest) > 0 {
		n := copy(b, c.rest)
		c.rest = c.rest[n:]
		return n, nil
	}
	c.start.Do(func() { go c.readInput() })
	select {
	case ch := <-c.chunks:
		n := copy(b, ch.p)
		c.rest = ch.p[n:]
		return n, ch.err
	case <-c.closed:
		return 0, net.ErrClosed
	}
}

func (c *stdioConn) readInput() {
	for {
		buf := make([]byte, 32<<10)
		n, err := c.in.Read(buf)
		select {
		case c.chunks <- chunk{buf[:n], err}:
		case <-c.closed:
			return
		}
		if err != nil {
			return
		}
	}
}

func (c *stdioConn) Write(b []byte) (int, error) { return c.out.Write(b) }

func (c *stdioConn) CloseWrite() error {
	if cl, ok := c.out.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}

// Close stops reading input; it closes neither input nor output.
func (c *stdioConn) Close() error {
	c.close.Do(func() { close(c.closed) })
	return nil
}

// OpenFile opens path, creating it if need be, as a Conn: reading gives
// the content the file had when it was opened, and writing appends to it.
// The two use separate descriptors, so that appending does not move the
// reading, and what is appended is not read back.
func OpenFile(path string) (Conn, error) {
	w, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	r, err := os.Open(path)
	if err == nil {
		var fi os.FileInfo
		if fi, err = r.Stat(); err == nil {
			return &fileConn{r: r, w: w, content: &io.LimitedReader{R: r, N: fi.Size()}}, nil
		}
		r.Close()
	}
	w.Close()
	return nil, err
}

type fileConn struct {
	r, w    *os.File
	content *io.LimitedReader // r, up to its size at the start
}

func (f *fileConn) Read(b []byte) (int, error)  { return f.content.Read(b) }
func (f *fileConn) Write(b []byte) (int, error) { return f.w.Write(b) }

// WriteTo and ReadFrom let io.Copy use the paths of the net and os
// packages, which move the bytes with sendfile(2) and splice(2).
func (f *fileConn) WriteTo(dst io.Writer) (int64, error)  { return io.Copy(dst, f.content) }
func (f *fileConn) ReadFrom(src io.Reader) (int64, error) { return f.w.ReadFrom(src) }

// CloseWrite flushes what was written to stable storage.
func (f *fileConn) CloseWrite() error { return f.w.Sync() }

func (f *fileConn) Close() error { return errors.Join(f.r.Close(), f.w.Close()) }

// Lines makes each line written to c one Write of its own, newline
// included, and the rest after the last newline one more. On a datagram
// connection each line is then a datagram, whatever chunks a program's
// output pipe happens to deliver.
func Lines(c Conn) Conn { return lines{c} }

type lines struct{ Conn }

func (l lines) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		end := bytes.IndexByte(p, '\n') + 1
		if end == 0 {
			end = len(p)
		}
		n, err := l.Conn.Write(p[:end])
		written += n
		if err != nil {
			return written, err
		}
		p = p[end:]
	}
	return written, nil
}
