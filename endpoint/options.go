package endpoint

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// optionNames lists the options in the order errors name them.
const optionNames = "reuseport, nodelay, rcvbuf, sndbuf, ttl, backlog, bind, listen, dial, cert, key, ca, insecure, servername"

// tlsExample is an example value of each TLS option that takes one.
var tlsExample = map[string]string{"cert": "server.pem", "key": "server.key", "ca": "ca.pem", "servername": "example.com"}

// maxBuffer bounds rcvbuf and sndbuf: the kernel caps them far lower
// (net.core.rmem_max, wmem_max), so anything larger is surely a typo.
const maxBuffer = 1 << 30

func parseOptions(network, query string) (Options, string) {
	var o Options
	seen := map[string]bool{}
	for _, item := range strings.Split(query, "&") {
		if item == "" {
			continue
		}
		name, value, hasValue := strings.Cut(item, "=")
		if seen[name] {
			return Options{}, fmt.Sprintf("option %q given twice", name)
		}
		seen[name] = true
		if reason := optionApplies(network, name); reason != "" {
			return Options{}, reason
		}
		var reason string
		switch name {
		case "reuseport":
			o.ReusePort, reason = parseBool(name, value, hasValue)
		case "nodelay":
			var on bool
			on, reason = parseBool(name, value, hasValue)
			o.NoDelay = &on
		case "rcvbuf":
			o.RecvBuffer, reason = parseSize(name, value)
		case "sndbuf":
			o.SendBuffer, reason = parseSize(name, value)
		case "ttl":
			o.TTL, reason = parseInt(name, value, 1, 255)
		case "backlog":
			o.Backlog, reason = parseInt(name, value, 1, 1<<20)
		case "bind":
			if !hasValue || value == "" {
				return Options{}, "option bind needs an address, as in bind=127.0.0.2"
			}
			if _, err := LocalAddr(network, value); err != nil {
				return Options{}, fmt.Sprintf("option bind=%s: %v", value, err)
			}
			o.Bind = value
		case "cert", "key", "ca", "servername":
			if !hasValue || value == "" {
				return Options{}, fmt.Sprintf("option %s needs a value, as in %s=%s", name, name, tlsExample[name])
			}
			switch name {
			case "cert":
				o.TLS.Cert = value
			case "key":
				o.TLS.Key = value
			case "ca":
				o.TLS.CA = value
			case "servername":
				o.TLS.ServerName = value
			}
		case "insecure":
			o.TLS.Insecure, reason = parseBool(name, value, hasValue)
		case "listen", "dial":
			if hasValue {
				return Options{}, fmt.Sprintf("option %s takes no value", name)
			}
			if o.Role != "" {
				return Options{}, "options listen and dial exclude each other"
			}
			o.Role = Role(name)
		}
		if reason != "" {
			return Options{}, reason
		}
	}
	if (o.TLS.Cert == "") != (o.TLS.Key == "") {
		return Options{}, "options cert and key go together: a certificate and its private key"
	}
	return o, ""
}

// optionApplies says why an option does not fit a network, or "" if it does.
func optionApplies(network, name string) string {
	inet := !isUnixNetwork(network)
	tcp := strings.HasPrefix(network, "tcp") || isTLSNetwork(network)
	switch name {
	case "cert", "key", "ca", "insecure", "servername":
		if isTLSNetwork(network) {
			return ""
		}
		return fmt.Sprintf("option %s applies to tls, not %s", name, network)
	case "rcvbuf", "sndbuf", "bind", "listen", "dial":
		return ""
	case "reuseport", "ttl":
		if inet {
			return ""
		}
		return fmt.Sprintf("option %s applies to tcp and udp, not %s", name, network)
	case "nodelay":
		if tcp {
			return ""
		}
		return fmt.Sprintf("option nodelay applies to tcp, not %s", network)
	case "backlog":
		if tcp || network == "unix" || network == "unixpacket" {
			return ""
		}
		return fmt.Sprintf("option backlog applies to listening tcp, unix and unixpacket sockets, not %s", network)
	}
	return fmt.Sprintf("unknown option %q (want one of %s)", name, optionNames)
}

func parseBool(name, value string, hasValue bool) (bool, string) {
	if !hasValue {
		return true, ""
	}
	switch strings.ToLower(value) {
	case "1", "true", "on", "yes":
		return true, ""
	case "0", "false", "off", "no":
		return false, ""
	}
	return false, fmt.Sprintf("option %s=%s: want 1 or 0 (true/false, on/off)", name, value)
}

func parseInt(name, value string, lo, hi int) (int, string) {
	n, err := strconv.Atoi(value)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Sprintf("option %s=%s: want a whole number from %d to %d", name, value, lo, hi)
	}
	return n, ""
}

// parseSize reads a byte count with an optional binary suffix: 4096, 256k, 4m.
func parseSize(name, value string) (int, string) {
	mult := 1
	digits := value
	if n := len(value); n > 0 {
		switch value[n-1] {
		case 'k', 'K':
			mult, digits = 1<<10, value[:n-1]
		case 'm', 'M':
			mult, digits = 1<<20, value[:n-1]
		case 'g', 'G':
			mult, digits = 1<<30, value[:n-1]
		}
	}
	n, err := strconv.Atoi(digits)
	if err != nil || !allDigits(digits) || n < 1 || n > maxBuffer/mult {
		return 0, fmt.Sprintf("option %s=%s: want a size in bytes from 1 to 1g, as in 4096, 256k or 4m", name, value)
	}
	return n * mult, ""
}

// LocalAddr resolves a bind= value for network into the address a dial
// binds: a *net.TCPAddr, *net.UDPAddr or *net.UnixAddr. TCP and UDP take
// "ip", "ip:port", ":port" or "[ipv6]:port" (no host names, so that binding
// never waits on DNS).
func LocalAddr(network, bind string) (net.Addr, error) {
	if isUnixNetwork(network) {
		name, reason := checkUnixName(bind)
		if reason != "" {
			return nil, fmt.Errorf("%s", reason)
		}
		return &net.UnixAddr{Name: name, Net: network}, nil
	}
	host, port := bind, "0"
	if strings.HasPrefix(bind, "[") || strings.Count(bind, ":") == 1 {
		h, p, reason := splitHostPort(bind)
		if reason != "" && strings.HasPrefix(bind, "[") && strings.HasSuffix(bind, "]") {
			h, p, reason = bind[1:len(bind)-1], "0", ""
		}
		if reason != "" {
			return nil, fmt.Errorf("%s", reason)
		}
		if reason := checkPort(p); reason != "" {
			return nil, fmt.Errorf("%s", reason)
		}
		host, port = h, p
	}
	var ip netip.Addr
	if host != "" {
		var err error
		if ip, err = netip.ParseAddr(host); err != nil {
			return nil, fmt.Errorf("%q is not an IP address", host)
		}
		if reason := checkHost(network, host); reason != "" {
			return nil, fmt.Errorf("%s", reason)
		}
	}
	p, _ := strconv.Atoi(port)
	ap := netip.AddrPortFrom(ip, uint16(p))
	if strings.HasPrefix(network, "udp") {
		return net.UDPAddrFromAddrPort(ap), nil
	}
	return net.TCPAddrFromAddrPort(ap), nil
}
