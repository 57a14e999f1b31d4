package proxy

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
)

// maxResponseHeader bounds an HTTP proxy's answer to CONNECT.
const maxResponseHeader = 64 << 10

// connect asks an HTTP proxy over conn to open a tunnel to addr with
// CONNECT, and reads its answer: 200 opens the tunnel; anything else is
// the status line, as the proxy gave it (407 Proxy Authentication
// Required, 403 Forbidden, 502 Bad Gateway).
func connect(h Hop, conn net.Conn, addr string) (net.Conn, error) {
	req := "CONNECT " + addr + " HTTP/1.1\r\nHost: " + addr + "\r\n"
	if h.User != "" {
		req += "Proxy-Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(h.User+":"+h.Password)) + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(conn, 4096)
	status, err := readHeader(br)
	if err != nil {
		return nil, err
	}
	f := strings.Fields(status)
	if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/1.") {
		return nil, fmt.Errorf("the answer %q is no HTTP status line (not an HTTP proxy?)", clip(status))
	}
	if f[1] != "200" {
		return nil, fmt.Errorf("%w: %s", ErrRefused, strings.Join(f[1:], " "))
	}
	if br.Buffered() > 0 {
		// The proxy sent the tunnel's first bytes with its answer.
		return &bufferedConn{Conn: conn, r: br}, nil
	}
	return conn, nil
}

// readHeader reads an HTTP response's header and returns its status line.
func readHeader(br *bufio.Reader) (string, error) {
	var status string
	total := 0
	for {
		line, err := br.ReadString('\n')
		total += len(line)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return "", errors.New("the proxy closed the connection before the end of its answer")
			}
			return "", err
		}
		if total > maxResponseHeader {
			return "", fmt.Errorf("the proxy's answer runs past %d bytes without ending", maxResponseHeader)
		}
		line = strings.TrimRight(line, "\r\n")
		if status == "" {
			if line == "" {
				continue
			}
			status = line
			continue
		}
		if line == "" {
			return status, nil
		}
	}
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// bufferedConn is a tunnel whose first bytes came with the proxy's
// answer and wait in r.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(b []byte) (int, error) {
	if c.r.Buffered() > 0 {
		return c.r.Read(b)
	}
	return c.Conn.Read(b)
}

// CloseWrite shuts the tunnel's write side down, if the connection
// underneath can.
func (c *bufferedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// NetConn is the connection underneath.
func (c *bufferedConn) NetConn() net.Conn { return c.Conn }
