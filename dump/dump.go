package dump

import (
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// Format is how a chunk's bytes are shown.
type Format int

const (
	// Hex shows 16 bytes a line: the stream offset, the bytes in hex, and
	// the printable ones as text, as hexdump -C does.
	Hex Format = iota
	// Text shows the bytes as text, each line ending in \n; a byte that
	// is not printable ASCII (other than tab) shows as \r or \xNN, and a
	// backslash as \\.
	Text
)

// Direction says which way a chunk went, seen from this side.
type Direction string

const (
	Received Direction = "<" // read from the peer
	Sent     Direction = ">" // written to the peer
)

// Dumper writes dumps to one writer, a record at a time, for any number
// of connections.
type Dumper struct {
	w      io.Writer
	format Format
	now    func() time.Time

	mu sync.Mutex
}

// New returns a Dumper writing to w in format.
func New(w io.Writer, format Format) *Dumper {
	return &Dumper{w: w, format: format, now: time.Now}
}

// Record writes one chunk: a header line, then its bytes. id names the
// connection ("#3") when several are open; empty, it is left out.
func (d *Dumper) Record(id string, dir Direction, offset int64, p []byte) {
	var b strings.Builder
	if id != "" {
		b.WriteString(id)
		b.WriteByte(' ')
	}
	verb := "received"
	if dir == Sent {
		verb = "sent"
	}
	fmt.Fprintf(&b, "%s %s %s %d bytes at offset %d\n", dir, d.now().Format("15:04:05.000000"), verb, len(p), offset)
	if d.format == Text {
		writeText(&b, p)
	} else {
		writeHex(&b, offset, p)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	io.WriteString(d.w, b.String())
}

// note writes one line about the connection.
func (d *Dumper) note(id, text string) {
	if id != "" {
		text = id + " " + text
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	io.WriteString(d.w, "! "+text+"\n")
}

// writeHex writes p in hexdump -C's layout, offsets counted from offset.
func writeHex(b *strings.Builder, offset int64, p []byte) {
	for i := 0; i < len(p); i += 16 {
		line := p[i:min(i+16, len(p))]
		fmt.Fprintf(b, "  %08x  ", offset+int64(i))
		for j := range 16 {
			switch {
			case j < len(line):
				fmt.Fprintf(b, "%02x ", line[j])
			default:
				b.WriteString("   ")
			}
			if j == 7 {
				b.WriteByte(' ')
			}
		}
		b.WriteString(" |")
		for _, c := range line {
			if c < 0x20 || c > 0x7e {
				c = '.'
			}
			b.WriteByte(c)
		}
		b.WriteString("|\n")
	}
}

// writeText writes p as indented text lines, escaping what is not
// printable.
func writeText(b *strings.Builder, p []byte) {
	b.WriteString("  ")
	for i, c := range p {
		switch {
		case c == '\n':
			b.WriteString("\\n\n")
			if i < len(p)-1 {
				b.WriteString("  ")
			}
			continue
		case c == '\t' || (c >= 0x20 && c <= 0x7e && c != '\\'):
			b.WriteByte(c)
		case c == '\\':
			b.WriteString(`\\`)
		case c == '\r':
			b.WriteString(`\r`)
		default:
			fmt.Fprintf(b, `\x%02x`, c)
		}
	}
	if len(p) == 0 || p[len(p)-1] != '\n' {
		b.WriteByte('\n')
	}
}

// Conn wraps c so that every chunk read from it or written to it is
// dumped. The wrapper keeps c's CloseWrite, if it has one.
func (d *Dumper) Conn(c net.Conn, id string) *Conn {
	return &Conn{Conn: c, d: d, id: id}
}

// Conn is a connection whose traffic is dumped.
type Conn struct {
	net.Conn
	d   *Dumper
	id  string
	mu  sync.Mutex // guards the offsets
	in  int64
	out int64
}

func (c *Conn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.mu.Lock()
		off := c.in
		c.in += int64(n)
		c.mu.Unlock()
		c.d.Record(c.id, Received, off, b[:n])
	}
	return n, err
}

// Write dumps b before it sends it, so that a reply never shows before
// what it answers; a write that fails, or sends less, adds a line saying
// so.
func (c *Conn) Write(b []byte) (int, error) {
	if len(b) == 0 {
		return c.Conn.Write(b)
	}
	c.mu.Lock()
	off := c.out
	c.mu.Unlock()
	c.d.Record(c.id, Sent, off, b)
	n, err := c.Conn.Write(b)
	c.mu.Lock()
	c.out += int64(n)
	c.mu.Unlock()
	if n < len(b) {
		c.d.note(c.id, fmt.Sprintf("only %d of those %d bytes were sent: %v", n, len(b), err))
	}
	return n, err
}

// CloseWrite shuts down the write side, if the connection has one.
func (c *Conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// NetConn is the wrapped connection.
func (c *Conn) NetConn() net.Conn { return c.Conn }
