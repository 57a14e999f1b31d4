package proxy

import (
	"context"
	"net"

	xproxy "golang.org/x/net/proxy"
)

// socks5 asks a SOCKS5 proxy over conn to connect to addr, with
// x/net/proxy's client, offering username and password (RFC 1929) when
// the hop has a user. socks5 resolves a name here, socks5h leaves it to
// the proxy. It returns conn itself once the proxy has connected, so
// that the tunnel keeps the connection's CloseWrite and splice(2).
func socks5(ctx context.Context, h Hop, conn net.Conn, addr string) (net.Conn, error) {
	if h.Scheme == "socks5" {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if net.ParseIP(host) == nil {
			ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
			if err != nil {
				return nil, err
			}
			addr = net.JoinHostPort(ips[0].IP.String(), port)
		}
	}
	var auth *xproxy.Auth
	if h.User != "" {
		auth = &xproxy.Auth{User: h.User, Password: h.Password}
	}
	d, err := xproxy.SOCKS5("tcp", h.Addr, auth, connDialer{conn})
	if err != nil {
		return nil, err
	}
	if _, err := d.(xproxy.ContextDialer).DialContext(ctx, "tcp", addr); err != nil {
		return nil, err
	}
	return conn, nil
}

// connDialer hands x/net's SOCKS5 client the connection already open to
// the proxy, whichever address it asks for.
type connDialer struct{ c net.Conn }

func (d connDialer) Dial(string, string) (net.Conn, error) { return d.c, nil }

func (d connDialer) DialContext(context.Context, string, string) (net.Conn, error) {
	return d.c, nil
}
