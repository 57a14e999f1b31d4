package endpoint

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/sockit/sockit/socket"
)

// Stdio is the Network of the endpoint "-": standard input and output.
const Stdio = "-"

// Exec is the Network of "exec:COMMAND": a program whose standard input
// and output are the stream. Address is the command line, split into words
// as a shell would (spaces, 'single' and "double" quotes, backslashes) but
// with nothing expanded: write exec:sh -c '...' for a shell.
const Exec = "exec"

// File is the Network of "file:PATH": a file whose content is read and to
// which what arrives is appended. Address is the path, verbatim.
const File = "file"

// Endpoint is one parsed address. The zero Endpoint is not usable; get one
// from Parse.
type Endpoint struct {
	// Network is Go's network name: tcp, tcp4, tcp6, udp, udp4, udp6, unix,
	// unixgram or unixpacket; or tls, tls4 or tls6 (TLS over tcp, tcp4 or
	// tcp6); or icmp or icmp6 (a raw ICMP socket); or Stdio, Exec or File.
	Network string
	// Address is what net.Dial and net.Listen take for Network: "host:port"
	// (IPv6 hosts in brackets) for TCP and UDP, a path or "@name" (Linux
	// abstract namespace) for Unix sockets; the host alone (IPv6 without
	// brackets, "0.0.0.0" or "::" for all) for icmp and icmp6. Empty for
	// Stdio; the command line for Exec.
	Address string
	// Options are the socket options given after '?'.
	Options Options
}

// Options are the socket options an address may carry. The zero value means
// the kernel's and Go's defaults.
type Options struct {
	// ReusePort sets SO_REUSEPORT so that several sockets can bind the same
	// TCP or UDP port and the kernel spreads load across them.
	ReusePort bool
	// NoDelay, if set, sets TCP_NODELAY to its value. Go turns Nagle's
	// algorithm off (nodelay on) for every TCP connection already, so
	// nodelay=0 is the form that changes something. Nil leaves Go's default.
	NoDelay *bool
	// RecvBuffer and SendBuffer set SO_RCVBUF and SO_SNDBUF, in bytes. Zero
	// leaves the kernel's default; the kernel doubles what it is given.
	RecvBuffer, SendBuffer int
	// TTL sets IP_TTL (IPv4) or IPV6_UNICAST_HOPS (IPv6) ("?ttl=",
	// "?hoplimit="). Zero leaves the kernel's default.
	TTL int
	// ReuseAddr, if set, sets SO_REUSEADDR to its value: "?reuseaddr=0"
	// turns off what Go sets on every TCP listener.
	ReuseAddr *bool
	// KeepAlive, if set, configures the keepalive probes of TCP
	// connections dialled or accepted ("?keepalive=30s,5s,4": idle time,
	// interval, count; "?keepalive=off"). Go enables them, every 15 s,
	// when it is nil.
	KeepAlive *net.KeepAliveConfig
	// Linger, if set, sets SO_LINGER: close waits up to this long for
	// unsent data to be acknowledged, and with 0 it discards the data and
	// resets the connection (RST). A negative value turns lingering off,
	// the kernel's default.
	Linger *time.Duration
	// TOS sets IP_TOS (IPv4) or IPV6_TCLASS (IPv6): DSCP in its upper six
	// bits, ECN in the lower two ("?tos=lowdelay", "?tos=0x10",
	// "?dscp=ef", "?tclass="). Nil leaves the kernel's default, 0.
	TOS *int
	// Mark sets SO_MARK, the firewall mark of packets sent (needs
	// CAP_NET_ADMIN). Nil leaves none.
	Mark *uint32
	// Priority sets SO_PRIORITY, the queueing discipline's band (0-6
	// without CAP_NET_ADMIN). Nil leaves the default, 0.
	Priority *int
	// BindToDevice sets SO_BINDTODEVICE: the socket sends and receives
	// only through this interface, as "lo" or "eth0".
	BindToDevice string
	// V6Only, if set, sets IPV6_V6ONLY on an IPv6 socket: true refuses
	// IPv4 (through v4-mapped addresses), false accepts it. Go sets it
	// from the network (tcp6: true, tcp: false) when nil.
	V6Only *bool
	// FreeBind sets IP_FREEBIND (IPV6_FREEBIND): bind to an address this
	// host does not have (yet).
	FreeBind bool
	// Transparent sets IP_TRANSPARENT (IPV6_TRANSPARENT), for transparent
	// proxies (needs CAP_NET_ADMIN).
	Transparent bool
	// FastOpen turns TCP Fast Open on: a listener accepts data in SYNs, up
	// to FastOpen of them pending (TCP_FASTOPEN); a dial sends its first
	// data in the SYN (TCP_FASTOPEN_CONNECT). Zero: off.
	FastOpen int
	// Congestion sets TCP_CONGESTION, the congestion control algorithm:
	// cubic, reno, bbr, as the kernel offers
	// (net.ipv4.tcp_available_congestion_control).
	Congestion string
	// MaxSeg sets TCP_MAXSEG, the largest segment TCP sends, in bytes.
	MaxSeg int
	// UserTimeout sets TCP_USER_TIMEOUT: how long sent data may stay
	// unacknowledged before the kernel drops the connection.
	UserTimeout time.Duration
	// QuickAck and Cork set TCP_QUICKACK and TCP_CORK on connections
	// dialled or accepted.
	QuickAck, Cork bool
	// RecvBufferForce and SendBufferForce set SO_RCVBUFFORCE and
	// SO_SNDBUFFORCE: buffer sizes above net.core.rmem_max and wmem_max
	// (needs CAP_NET_ADMIN).
	RecvBufferForce, SendBufferForce int
	// Broadcast sets SO_BROADCAST: a UDP socket may send to broadcast
	// addresses.
	Broadcast bool
	// BusyPoll sets SO_BUSY_POLL: how long a blocking receive busy-polls
	// the device queue (microseconds; raising it needs CAP_NET_ADMIN).
	BusyPoll time.Duration
	// Debug sets SO_DEBUG (needs CAP_NET_ADMIN), as nc -D does.
	Debug bool
	// Join makes a UDP socket bound to a multicast group's address join
	// the group ("udp://239.1.2.3:5000?join"), from Source only if that
	// is set ("?source=": a source-specific join), on the interface Iface
	// ("?iface=") or the one the kernel routes the group through.
	Join   bool
	Source string
	// Iface is the interface a multicast socket joins on, and sends
	// through ("?iface=eth0").
	Iface string
	// MulticastTTL sets the TTL or hop limit of multicast datagrams sent
	// ("?mttl=", 1 by default), and MulticastLoop, if set, whether this
	// host's own group members get them too ("?mloop=0").
	MulticastTTL  int
	MulticastLoop *bool
	// Backlog is the listen backlog of a stream listener: how many
	// connections the kernel queues before accept. Zero means Go's default,
	// the kernel's ceiling (net.core.somaxconn).
	Backlog int
	// Bind is the local address a dial binds before connecting: "host",
	// "host:port" or ":port" for TCP and UDP, a path or "@name" for Unix.
	Bind string
	// Role overrides the role a command gives the endpoint: RoleListen
	// ("?listen") or RoleDial ("?dial"). Empty: the command decides.
	Role Role
	// TLS: the options of tls, tls4 and tls6 endpoints (see TLS).
	TLS TLSOptions
}

// TLSOptions configure a tls endpoint. Every path is a PEM file.
type TLSOptions struct {
	// Cert and Key are a listener's certificate chain and private key
	// ("?cert=&key="). Without them, Listen makes a self-signed
	// certificate on the spot.
	Cert, Key string
	// CA is the certificate authorities a dial trusts ("?ca="), instead of
	// the system's.
	CA string
	// Insecure skips a dial's verification of the server's certificate
	// and host name ("?insecure"): anyone in the middle can read the
	// traffic.
	Insecure bool
	// ServerName is the name a dial asks for (SNI) and verifies, instead
	// of the host of the address ("?servername=").
	ServerName string
	// ClientCA is the certificate authorities a listener verifies client
	// certificates against ("?clientca="): a client that presents one
	// must be signed by them. With VerifyClient ("?verifyclient"), every
	// client must present one (mutual TLS); without ClientCA the system's
	// authorities verify it.
	ClientCA     string
	VerifyClient bool
	// ALPN is the application protocols offered or accepted, in order of
	// preference, separated by commas ("?alpn=h2,http/1.1"). A string, so
	// that an Endpoint stays comparable.
	ALPN string
	// MinVersion is the oldest TLS version allowed ("?minversion=1.3"):
	// tls.VersionTLS12 (the default) or tls.VersionTLS13.
	MinVersion uint16
}

// Role is whether an endpoint listens or dials.
type Role string

const (
	RoleListen Role = "listen"
	RoleDial   Role = "dial"
)

// Type reports which kind of socket the endpoint opens: socket.Stream for
// tcp* and unix, socket.Datagram for udp* and unixgram, socket.SeqPacket for
// unixpacket, and 0 for Stdio, Exec and File.
func (e Endpoint) Type() socket.Type {
	switch e.Network {
	case "tcp", "tcp4", "tcp6", "unix", "tls", "tls4", "tls6":
		return socket.Stream
	case "udp", "udp4", "udp6", "unixgram":
		return socket.Datagram
	case "unixpacket":
		return socket.SeqPacket
	case "icmp", "icmp6":
		return socket.Raw
	}
	return 0
}

// Command is an exec: endpoint's program and arguments (see Exec).
func (e Endpoint) Command() []string {
	if e.Network != Exec {
		return nil
	}
	words, _ := splitWords(e.Address) // Parse has checked it
	return words
}

// IsTLS reports whether the endpoint is TLS over TCP: tls, tls4 or tls6.
func (e Endpoint) IsTLS() bool { return isTLSNetwork(e.Network) }

// IsICMP reports whether the endpoint is icmp or icmp6: ICMP packets on a
// raw socket, which package icmp opens (Dial and Listen refuse it).
func (e Endpoint) IsICMP() bool { return isICMPNetwork(e.Network) }

// IsUnix reports whether the endpoint is a Unix domain socket.
func (e Endpoint) IsUnix() bool { return isUnixNetwork(e.Network) }

// IsAbstract reports whether the endpoint is a Unix socket in Linux's
// abstract namespace, which has no file.
func (e Endpoint) IsAbstract() bool { return e.IsUnix() && strings.HasPrefix(e.Address, "@") }

// String returns the endpoint in the grammar's canonical form, which Parse
// reads back to an equal Endpoint.
func (e Endpoint) String() string {
	switch e.Network {
	case Stdio:
		return Stdio
	case Exec:
		return Exec + ":" + e.Address
	case File:
		return File + ":" + e.Address
	}
	var b strings.Builder
	b.WriteString(e.Network)
	if e.IsICMP() {
		if strings.Contains(e.Address, ":") {
			return e.Network + "://[" + e.Address + "]"
		}
		return e.Network + "://" + e.Address
	}
	switch {
	case !e.IsUnix():
		b.WriteString("://")
	case strings.HasPrefix(e.Address, "/"):
		b.WriteString("://")
	default:
		b.WriteString(":")
	}
	b.WriteString(e.Address)
	if q := e.Options.query(); q != "" {
		b.WriteString("?")
		b.WriteString(q)
	}
	return b.String()
}

// query renders the options in a fixed order.
func (o Options) query() string {
	var parts []string
	if o.ReusePort {
		parts = append(parts, "reuseport")
	}
	if o.NoDelay != nil {
		if *o.NoDelay {
			parts = append(parts, "nodelay")
		} else {
			parts = append(parts, "nodelay=0")
		}
	}
	for _, kv := range []struct {
		name string
		v    int
	}{{"rcvbuf", o.RecvBuffer}, {"sndbuf", o.SendBuffer}, {"ttl", o.TTL}, {"backlog", o.Backlog}} {
		if kv.v != 0 {
			parts = append(parts, kv.name+"="+strconv.Itoa(kv.v))
		}
	}
	flag := func(name string, on bool) {
		if on {
			parts = append(parts, name)
		}
	}
	boolPtr := func(name string, p *bool) {
		switch {
		case p == nil:
		case *p:
			parts = append(parts, name)
		default:
			parts = append(parts, name+"=0")
		}
	}
	value := func(name, v string) {
		if v != "" {
			parts = append(parts, name+"="+v)
		}
	}
	boolPtr("reuseaddr", o.ReuseAddr)
	if o.TOS != nil {
		value("tos", fmt.Sprintf("%#02x", *o.TOS))
	}
	if ka := o.KeepAlive; ka != nil {
		switch {
		case !ka.Enable:
			parts = append(parts, "keepalive=off")
		case ka.Idle == 0 && ka.Interval == 0 && ka.Count == 0:
			parts = append(parts, "keepalive")
		default:
			v := ka.Idle.String()
			if ka.Interval != 0 || ka.Count != 0 {
				v += "," + ka.Interval.String()
			}
			if ka.Count != 0 {
				v += "," + strconv.Itoa(ka.Count)
			}
			value("keepalive", v)
		}
	}
	if o.Linger != nil {
		if *o.Linger < 0 {
			value("linger", "off")
		} else {
			value("linger", o.Linger.String())
		}
	}
	if o.Mark != nil {
		value("mark", strconv.FormatUint(uint64(*o.Mark), 10))
	}
	if o.Priority != nil {
		value("priority", strconv.Itoa(*o.Priority))
	}
	value("bindtodevice", o.BindToDevice)
	boolPtr("v6only", o.V6Only)
	flag("freebind", o.FreeBind)
	flag("transparent", o.Transparent)
	if o.FastOpen != 0 {
		value("fastopen", strconv.Itoa(o.FastOpen))
	}
	value("congestion", o.Congestion)
	if o.MaxSeg != 0 {
		value("maxseg", strconv.Itoa(o.MaxSeg))
	}
	if o.UserTimeout != 0 {
		value("user-timeout", o.UserTimeout.String())
	}
	flag("quickack", o.QuickAck)
	flag("cork", o.Cork)
	if o.RecvBufferForce != 0 {
		value("rcvbufforce", strconv.Itoa(o.RecvBufferForce))
	}
	if o.SendBufferForce != 0 {
		value("sndbufforce", strconv.Itoa(o.SendBufferForce))
	}
	flag("broadcast", o.Broadcast)
	if o.BusyPoll != 0 {
		value("busy-poll", strconv.FormatInt(o.BusyPoll.Microseconds(), 10))
	}
	flag("debug", o.Debug)
	flag("join", o.Join)
	value("source", o.Source)
	value("iface", o.Iface)
	if o.MulticastTTL != 0 {
		value("mttl", strconv.Itoa(o.MulticastTTL))
	}
	boolPtr("mloop", o.MulticastLoop)
	if o.Bind != "" {
		parts = append(parts, "bind="+o.Bind)
	}
	if o.Role != "" {
		parts = append(parts, string(o.Role))
	}
	for _, kv := range [][2]string{{"cert", o.TLS.Cert}, {"key", o.TLS.Key}, {"ca", o.TLS.CA}, {"servername", o.TLS.ServerName}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	if o.TLS.Insecure {
		parts = append(parts, "insecure")
	}
	if o.TLS.ClientCA != "" {
		parts = append(parts, "clientca="+o.TLS.ClientCA)
	}
	if o.TLS.VerifyClient {
		parts = append(parts, "verifyclient")
	}
	if o.TLS.ALPN != "" {
		parts = append(parts, "alpn="+o.TLS.ALPN)
	}
	switch o.TLS.MinVersion {
	case 0x0303:
		parts = append(parts, "minversion=1.2")
	case 0x0304:
		parts = append(parts, "minversion=1.3")
	}
	return strings.Join(parts, "&")
}
