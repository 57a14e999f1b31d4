package endpoint

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// optionNames lists the options in the order errors name them.
const optionNames = "reuseport, reuseaddr, nodelay, rcvbuf, sndbuf, rcvbufforce, sndbufforce, ttl (hoplimit), tos (dscp, tclass), " +
	"keepalive, linger, mark, priority, bindtodevice, v6only, freebind, transparent, fastopen, congestion, maxseg, " +
	"user-timeout, quickack, cork, broadcast, busy-poll, debug, backlog, bind, listen, dial, cert, key, ca, insecure, servername"

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
		case "ttl", "hoplimit":
			if seen["ttl"] && seen["hoplimit"] {
				return Options{}, "options ttl and hoplimit are one option: give one"
			}
			o.TTL, reason = parseInt(name, value, 1, 255)
		case "tos", "dscp", "tclass":
			if seen["tos"] && seen["dscp"] || seen["tos"] && seen["tclass"] || seen["dscp"] && seen["tclass"] {
				return Options{}, "options tos, dscp and tclass set one byte: give one"
			}
			var tos int
			tos, reason = parseTOS(name, value)
			o.TOS = &tos
		case "reuseaddr":
			var on bool
			on, reason = parseBool(name, value, hasValue)
			o.ReuseAddr = &on
		case "v6only":
			var on bool
			on, reason = parseBool(name, value, hasValue)
			o.V6Only = &on
		case "freebind":
			o.FreeBind, reason = parseBool(name, value, hasValue)
		case "transparent":
			o.Transparent, reason = parseBool(name, value, hasValue)
		case "quickack":
			o.QuickAck, reason = parseBool(name, value, hasValue)
		case "cork":
			o.Cork, reason = parseBool(name, value, hasValue)
		case "broadcast":
			o.Broadcast, reason = parseBool(name, value, hasValue)
		case "debug":
			o.Debug, reason = parseBool(name, value, hasValue)
		case "keepalive":
			o.KeepAlive, reason = parseKeepAlive(value, hasValue)
		case "linger":
			var d time.Duration
			if strings.EqualFold(value, "off") {
				d = -1
			} else if d, reason = parseSeconds(name, value, time.Second); reason == "" && d%time.Second != 0 {
				reason = fmt.Sprintf("option linger=%s: the kernel lingers whole seconds", value)
			}
			o.Linger = &d
		case "mark":
			var n uint64
			n, reason = parseUint(name, value, 1<<32-1)
			m := uint32(n)
			o.Mark = &m
		case "priority":
			var n uint64
			n, reason = parseUint(name, value, 1<<31-1)
			p := int(n)
			o.Priority = &p
		case "bindtodevice":
			if value == "" || len(value) > 15 || strings.ContainsAny(value, "/ \t") {
				return Options{}, fmt.Sprintf("option bindtodevice=%s: want an interface name of 1 to 15 characters, as in bindtodevice=lo", value)
			}
			o.BindToDevice = value
		case "fastopen":
			o.FastOpen = 256 // the queue a listener keeps when the user gives none
			if hasValue {
				o.FastOpen, reason = parseInt(name, value, 1, 1<<20)
			}
		case "congestion":
			if value == "" || len(value) > 15 || !isWord(value) {
				return Options{}, fmt.Sprintf("option congestion=%s: want an algorithm's name, as in congestion=reno", value)
			}
			o.Congestion = value
		case "maxseg":
			o.MaxSeg, reason = parseInt(name, value, 88, 65535)
		case "user-timeout":
			o.UserTimeout, reason = parseSeconds(name, value, time.Second)
			if reason == "" && (o.UserTimeout < time.Millisecond || o.UserTimeout%time.Millisecond != 0) {
				reason = fmt.Sprintf("option user-timeout=%s: want whole milliseconds, at least 1ms", value)
			}
		case "busy-poll":
			o.BusyPoll, reason = parseSeconds(name, value, time.Microsecond)
			if reason == "" && (o.BusyPoll < time.Microsecond || o.BusyPoll%time.Microsecond != 0) {
				reason = fmt.Sprintf("option busy-poll=%s: want whole microseconds, as in busy-poll=50 or busy-poll=50us", value)
			}
		case "join":
			o.Join, reason = parseBool(name, value, hasValue)
		case "source":
			a, err := netip.ParseAddr(value)
			if err != nil || a.Zone() != "" {
				return Options{}, fmt.Sprintf("option source=%s: want the sender's IP address, as in source=192.0.2.1", value)
			}
			o.Source = value
		case "iface":
			if value == "" || len(value) > 15 || strings.ContainsAny(value, "/ \t") {
				return Options{}, fmt.Sprintf("option iface=%s: want an interface name of 1 to 15 characters, as in iface=eth0", value)
			}
			o.Iface = value
		case "mttl":
			o.MulticastTTL, reason = parseInt(name, value, 1, 255)
		case "mloop":
			var on bool
			on, reason = parseBool(name, value, hasValue)
			o.MulticastLoop = &on
		case "rcvbufforce":
			o.RecvBufferForce, reason = parseSize(name, value)
		case "sndbufforce":
			o.SendBufferForce, reason = parseSize(name, value)
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
		case "clientca":
			if value == "" {
				return Options{}, "option clientca needs a value, as in clientca=ca.pem"
			}
			o.TLS.ClientCA = value
		case "verifyclient":
			o.TLS.VerifyClient, reason = parseBool(name, value, hasValue)
		case "alpn":
			for _, p := range strings.Split(value, ",") {
				if p == "" || len(p) > 255 {
					return Options{}, fmt.Sprintf("option alpn=%s: want protocol names separated by commas, as in alpn=h2,http/1.1", value)
				}
			}
			o.TLS.ALPN = value
		case "minversion":
			switch value {
			case "1.2":
				o.TLS.MinVersion = 0x0303 // tls.VersionTLS12
			case "1.3":
				o.TLS.MinVersion = 0x0304 // tls.VersionTLS13
			default:
				return Options{}, fmt.Sprintf("option minversion=%s: want 1.2 or 1.3", value)
			}
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
	if o.Source != "" && !o.Join {
		return Options{}, "option source is the sender a join takes: give join too"
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
	case "cert", "key", "ca", "insecure", "servername", "clientca", "verifyclient", "alpn", "minversion":
		if isTLSNetwork(network) {
			return ""
		}
		return fmt.Sprintf("option %s applies to tls, not %s", name, network)
	case "rcvbuf", "sndbuf", "rcvbufforce", "sndbufforce", "priority", "debug", "bind", "listen", "dial":
		return ""
	case "reuseport", "reuseaddr", "ttl", "hoplimit", "tos", "dscp", "tclass", "mark", "bindtodevice", "freebind", "transparent", "busy-poll":
		if inet {
			return ""
		}
		return fmt.Sprintf("option %s applies to tcp and udp, not %s", name, network)
	case "v6only":
		if inet && !strings.HasSuffix(network, "4") {
			return ""
		}
		return fmt.Sprintf("option v6only applies to IPv6 sockets (tcp, tcp6, udp, udp6), not %s", network)
	case "nodelay", "keepalive", "fastopen", "congestion", "maxseg", "user-timeout", "quickack", "cork":
		if tcp {
			return ""
		}
		return fmt.Sprintf("option %s applies to tcp, not %s", name, network)
	case "linger":
		if tcp || network == "unix" || network == "unixpacket" {
			return ""
		}
		return fmt.Sprintf("option linger applies to tcp, unix and unixpacket sockets, not %s", network)
	case "broadcast", "join", "source", "iface", "mttl", "mloop":
		if strings.HasPrefix(network, "udp") {
			return ""
		}
		return fmt.Sprintf("option %s applies to udp, not %s", name, network)
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

// parseSeconds reads a duration: a Go duration (30s, 1m30s, 250ms), or a
// plain number in unit (seconds, or what the option counts in).
func parseSeconds(name, value string, unit time.Duration) (time.Duration, string) {
	if f, err := strconv.ParseFloat(value, 64); err == nil && allDigitsOrDot(value) {
		d := time.Duration(f * float64(unit))
		if d < 0 || f*float64(unit) > float64(365*24*time.Hour) {
			return 0, fmt.Sprintf("option %s=%s: want a duration from 0 to a year", name, value)
		}
		return d, ""
	}
	d, err := time.ParseDuration(value)
	if err != nil || d < 0 || d > 365*24*time.Hour {
		return 0, fmt.Sprintf("option %s=%s: want a duration, as in %s=30s (a plain number counts %s)", name, value, name, unitName(unit))
	}
	return d, ""
}

func unitName(unit time.Duration) string {
	switch unit {
	case time.Microsecond:
		return "microseconds"
	case time.Millisecond:
		return "milliseconds"
	}
	return "seconds"
}

func allDigitsOrDot(s string) bool {
	return s != "" && strings.Trim(s, "0123456789.") == ""
}

// parseKeepAlive reads keepalive's value: on or off, or the idle time,
// then the interval and the count, each optional: 30s, 30s,5s, 30s,5s,4.
func parseKeepAlive(value string, hasValue bool) (*net.KeepAliveConfig, string) {
	const usage = "want on, off, or IDLE[,INTERVAL[,COUNT]] as in keepalive=30s,5s,4"
	if on, reason := parseBool("keepalive", value, hasValue); reason == "" {
		return &net.KeepAliveConfig{Enable: on}, ""
	}
	parts := strings.Split(value, ",")
	if len(parts) > 3 {
		return nil, fmt.Sprintf("option keepalive=%s: %s", value, usage)
	}
	ka := &net.KeepAliveConfig{Enable: true}
	for i, p := range parts {
		if i == 2 {
			n, reason := parseInt("keepalive", p, 1, 127)
			if reason != "" {
				return nil, fmt.Sprintf("option keepalive=%s: the count %q is not a whole number from 1 to 127", value, p)
			}
			ka.Count = n
			break
		}
		d, reason := parseSeconds("keepalive", p, time.Second)
		if reason != "" || d < time.Second || d%time.Second != 0 {
			return nil, fmt.Sprintf("option keepalive=%s: %q is not whole seconds, at least 1 (%s)", value, p, usage)
		}
		if i == 0 {
			ka.Idle = d
		} else {
			ka.Interval = d
		}
	}
	return ka, ""
}

// tosNames are OpenBSD nc's -T keywords: the RFC 791 TOS bits, and DSCP
// code points (RFC 2474, 2597, 3246) shifted into the TOS byte.
var tosNames = map[string]int{
	"lowdelay": 0x10, "throughput": 0x08, "reliability": 0x04, "mincost": 0x02,
	"critical": 0xa0, "inetcontrol": 0xc0, "netcontrol": 0xe0,
	"ef": 46 << 2, "va": 44 << 2,
	"af11": 10 << 2, "af12": 12 << 2, "af13": 14 << 2, "af21": 18 << 2, "af22": 20 << 2, "af23": 22 << 2,
	"af31": 26 << 2, "af32": 28 << 2, "af33": 30 << 2, "af41": 34 << 2, "af42": 36 << 2, "af43": 38 << 2,
	"cs0": 0, "cs1": 8 << 2, "cs2": 16 << 2, "cs3": 24 << 2, "cs4": 32 << 2, "cs5": 40 << 2, "cs6": 48 << 2, "cs7": 56 << 2,
}

// parseTOS reads tos, tclass (the byte: 0-255, 0x10, or a keyword) and
// dscp (the six-bit code point: 0-63, or a DSCP keyword), as a TOS byte.
func parseTOS(name, value string) (int, string) {
	v := strings.ToLower(value)
	if b, ok := tosNames[v]; ok && (name != "dscp" || strings.HasPrefix(v, "af") || strings.HasPrefix(v, "cs") || v == "ef" || v == "va") {
		return b, ""
	}
	hi := uint64(255)
	if name == "dscp" {
		hi = 63
	}
	n, err := strconv.ParseUint(v, 0, 8)
	if err != nil || n > hi {
		if name == "dscp" {
			return 0, fmt.Sprintf("option dscp=%s: want a code point from 0 to 63, or ef, af11-af43, cs0-cs7", value)
		}
		return 0, fmt.Sprintf("option %s=%s: want a byte (0-255, 0x10) or lowdelay, throughput, reliability, mincost, ef, af11-af43, cs0-cs7", name, value)
	}
	if name == "dscp" {
		return int(n) << 2, ""
	}
	return int(n), ""
}

// parseUint reads a whole number from 0 to hi, in decimal or 0x hex.
func parseUint(name, value string, hi uint64) (uint64, string) {
	n, err := strconv.ParseUint(value, 0, 64)
	if err != nil || n > hi {
		return 0, fmt.Sprintf("option %s=%s: want a whole number from 0 to %d (or 0x hex)", name, value, hi)
	}
	return n, ""
}

func isWord(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
