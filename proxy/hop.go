package proxy

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// A Hop is one proxy on the way, named by a URL:
//
//	socks5://[user:pass@]host:port   SOCKS5, the destination's name resolved here
//	socks5h://[user:pass@]host:port  SOCKS5, the name resolved by the proxy (curl's socks5h)
//	socks4://[user@]host:port        SOCKS4: IPv4 destinations, resolved here
//	socks4a://[user@]host:port       SOCKS4a: the name resolved by the proxy
//	http://[user:pass@]host:port     HTTP CONNECT (Proxy-Authorization: Basic)
//	https://[user:pass@]host:port    HTTP CONNECT over TLS to the proxy
type Hop struct {
	Scheme string // socks5, socks5h, socks4, socks4a, http, https
	Addr   string // host:port of the proxy
	User   string
	// Password, and whether one was given (socks4 takes none).
	Password    string
	HasPassword bool
}

// DefaultPorts are the ports a hop URL without one means.
var defaultPorts = map[string]string{"socks5": "1080", "socks5h": "1080", "socks4": "1080", "socks4a": "1080", "http": "8080", "https": "443"}

// Parse reads a hop's URL.
func Parse(s string) (Hop, error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return Hop{}, fmt.Errorf("proxy %q: want SCHEME://[USER[:PASS]@]HOST[:PORT], SCHEME one of socks5, socks5h, socks4, socks4a, http, https", s)
	}
	h := Hop{Scheme: strings.ToLower(u.Scheme), Addr: u.Host}
	port, ok := defaultPorts[h.Scheme]
	if !ok {
		return Hop{}, fmt.Errorf("proxy %q: scheme %q: want socks5, socks5h, socks4, socks4a, http or https", s, u.Scheme)
	}
	if u.Port() == "" {
		h.Addr = net.JoinHostPort(strings.Trim(u.Hostname(), "[]"), port)
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		return Hop{}, fmt.Errorf("proxy %q: a proxy URL has no path or query", s)
	}
	if u.User != nil {
		h.User = u.User.Username()
		h.Password, h.HasPassword = u.User.Password()
		if h.HasPassword && strings.HasPrefix(h.Scheme, "socks4") {
			return Hop{}, fmt.Errorf("proxy %q: SOCKS4 has a user id and no password", s)
		}
	}
	return h, nil
}

// String is the hop's URL with the password left out.
func (h Hop) String() string {
	u := url.URL{Scheme: h.Scheme, Host: h.Addr}
	if h.User != "" {
		u.User = url.User(h.User)
	}
	return u.String()
}

// ParseList reads hops given as a comma-separated list, or several
// values: "socks5://a:1080,http://b:3128".
func ParseList(values ...string) ([]Hop, error) {
	var hops []Hop
	for _, v := range values {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			h, err := Parse(s)
			if err != nil {
				return nil, err
			}
			hops = append(hops, h)
		}
	}
	return hops, nil
}
