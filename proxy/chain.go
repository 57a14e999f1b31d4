package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"
)

// A Chain dials through its hops in order: a connection to the first,
// through it to the second, and so on, and through the last to the
// destination.
type Chain struct {
	Hops []Hop
	// Forward opens the connection to the first hop; if nil, a
	// net.Dialer's DialContext.
	Forward func(ctx context.Context, network, addr string) (net.Conn, error)
	// Handshake bounds each hop's handshake when ctx has no sooner
	// deadline. If zero, 10 seconds.
	Handshake time.Duration
	// TLS is the configuration of the TLS to an https hop; its
	// ServerName is the hop's host when empty. If nil, the defaults:
	// the system's roots verify the proxy's certificate.
	TLS *tls.Config
}

// HopError is an error of one hop of a Chain.
type HopError struct {
	N   int // the hop, from 1
	Hop Hop
	Err error
}

func (e *HopError) Error() string {
	return fmt.Sprintf("proxy %d (%s): %v", e.N, e.Hop, e.Err)
}

func (e *HopError) Unwrap() error { return e.Err }

// ErrRefused is what a proxy's refusal to connect wraps (a SOCKS reply
// other than success, an HTTP status other than 200).
var ErrRefused = errors.New("the proxy refused")

// DialContext connects to addr, a host:port, through the chain. network
// must be tcp, tcp4 or tcp6: proxies carry streams.
func (c *Chain) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, fmt.Errorf("proxy: %s through a proxy: only tcp", network)
	}
	if len(c.Hops) == 0 {
		return nil, errors.New("proxy: no hops")
	}
	forward := c.Forward
	if forward == nil {
		var d net.Dialer
		forward = d.DialContext
	}
	conn, err := forward(ctx, "tcp", c.Hops[0].Addr)
	if err != nil {
		return nil, &HopError{N: 1, Hop: c.Hops[0], Err: err}
	}
	for i, h := range c.Hops {
		next := addr
		if i+1 < len(c.Hops) {
			next = c.Hops[i+1].Addr
		}
		conn, err = c.handshake(ctx, h, conn, next)
		if err != nil {
			return nil, &HopError{N: i + 1, Hop: h, Err: err}
		}
	}
	return conn, nil
}

// secure makes conn, to an https hop, a TLS connection to it.
func (c *Chain) secure(ctx context.Context, h Hop, conn net.Conn) (*tls.Conn, error) {
	cfg := &tls.Config{}
	if c.TLS != nil {
		cfg = c.TLS.Clone()
	}
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(h.Addr)
		if err != nil {
			return nil, err
		}
		cfg.ServerName = host
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("tls to the proxy: %w", err)
	}
	return tc, nil
}

// handshake asks h, reached over conn, to connect to addr; on failure it
// closes conn.
func (c *Chain) handshake(ctx context.Context, h Hop, conn net.Conn, addr string) (net.Conn, error) {
	limit := c.Handshake
	if limit == 0 {
		limit = 10 * time.Second
	}
	deadline := time.Now().Add(limit)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	var out net.Conn
	var err error
	switch h.Scheme {
	case "socks5", "socks5h":
		out, err = socks5(ctx, h, conn, addr)
	case "socks4", "socks4a":
		out, err = socks4(ctx, h, conn, addr)
	case "http":
		out, err = connect(h, conn, addr)
	case "https":
		var tc *tls.Conn
		if tc, err = c.secure(ctx, h, conn); err == nil {
			out, err = connect(h, tc, addr)
		}
	default:
		err = fmt.Errorf("scheme %q", h.Scheme)
	}
	stopped := stop()
	if err == nil && !stopped {
		err = ctx.Err()
	}
	if err != nil {
		conn.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	conn.SetDeadline(time.Time{})
	return out, nil
}
