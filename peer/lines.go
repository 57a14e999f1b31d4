package peer

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"syscall"
)

// SendLines sends each line of in to c as one message (a datagram or a
// record), newline included, and returns how many it sent; sent, if not
// nil, counts the bytes. A message too large for the socket is an error
// that says what the limit is.
func SendLines(c net.Conn, in io.Reader, sent *atomic.Int64) (int, error) {
	return ForEachLine(in, func(line []byte) error {
		n, err := c.Write(line)
		if sent != nil {
			sent.Add(int64(n))
		}
		if errors.Is(err, syscall.EMSGSIZE) {
			return fmt.Errorf("send %d-byte message: %w (%s)", len(line), err, sizeLimit(c.LocalAddr()))
		}
		if err != nil {
			return fmt.Errorf("send %d-byte message: %w", len(line), err)
		}
		return nil
	})
}

// ForEachLine calls f with each line of in, newline included (the last may
// have none), and returns how many lines f took. A line longer than
// MaxMessage is an error.
func ForEachLine(in io.Reader, f func(line []byte) error) (int, error) {
	r := bufio.NewReaderSize(in, MaxMessage)
	lines := 0
	for {
		line, rerr := r.ReadSlice('\n')
		if errors.Is(rerr, bufio.ErrBufferFull) {
			return lines, fmt.Errorf("line %d of the input is longer than %d bytes", lines+1, MaxMessage)
		}
		if len(line) > 0 {
			if err := f(line); err != nil {
				return lines, err
			}
			lines++
		}
		if rerr == io.EOF {
			return lines, nil
		}
		if rerr != nil {
			return lines, rerr
		}
	}
}

// sizeLimit says how large a message a socket with local address a takes.
func sizeLimit(a net.Addr) string {
	if u, ok := a.(*net.UDPAddr); ok {
		if u.IP.To4() != nil {
			return "a UDP datagram over IPv4 carries at most 65,507 bytes"
		}
		return "a UDP datagram over IPv6 carries at most 65,527 bytes"
	}
	return "a Unix datagram or record is at most the socket's SO_SNDBUF less 32 bytes; raise it with ?sndbuf="
}

// CRLF returns r with each line feed that no carriage return precedes
// sent as CR LF, as nc -C and ncat -C send their input: for the protocols
// (SMTP, HTTP, IRC) whose lines end so.
func CRLF(r io.Reader) io.Reader { return &crlfReader{r: r} }

type crlfReader struct {
	r       io.Reader
	lastCR  bool   // the last byte read was a CR
	pending []byte // converted bytes not yet returned
	buf     []byte
}

func (c *crlfReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(c.pending) == 0 {
		want := max(len(p)/2, 1)
		if cap(c.buf) < want {
			c.buf = make([]byte, want)
		}
		n, err := c.r.Read(c.buf[:want])
		out := c.pending[:0]
		for _, b := range c.buf[:n] {
			if b == '\n' && !c.lastCR {
				out = append(out, '\r')
			}
			out = append(out, b)
			c.lastCR = b == '\r'
		}
		c.pending = out
		if len(out) == 0 {
			return 0, err
		}
		// What was read goes first; a reader repeats its error, or its
		// end, on the next call.
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}
