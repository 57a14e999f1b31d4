package socket

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// A Domain is a socket's address family, the first argument of socket(2).
type Domain int

// The domains sockit opens.
const (
	UNIX  Domain = unix.AF_UNIX  // local, named by a path or an abstract name
	INET  Domain = unix.AF_INET  // IPv4
	INET6 Domain = unix.AF_INET6 // IPv6, and IPv4 through v4-mapped addresses
)

// String returns the C name of d, such as "AF_INET".
func (d Domain) String() string {
	switch d {
	case unix.AF_UNSPEC:
		return "AF_UNSPEC"
	case UNIX:
		return "AF_UNIX"
	case INET:
		return "AF_INET"
	case INET6:
		return "AF_INET6"
	}
	return "Domain(" + strconv.Itoa(int(d)) + ")"
}

// A Type is a socket's type, the second argument of socket(2).
type Type int

// The socket types.
const (
	Stream    Type = unix.SOCK_STREAM    // a reliable byte stream: TCP, unix
	Datagram  Type = unix.SOCK_DGRAM     // messages without connections: UDP, unixgram
	SeqPacket Type = unix.SOCK_SEQPACKET // reliable messages on a connection: unixpacket
	Raw       Type = unix.SOCK_RAW       // IP packets, such as ICMP
)

// String returns the C name of t, such as "SOCK_STREAM".
func (t Type) String() string {
	switch t {
	case Stream:
		return "SOCK_STREAM"
	case Datagram:
		return "SOCK_DGRAM"
	case SeqPacket:
		return "SOCK_SEQPACKET"
	case Raw:
		return "SOCK_RAW"
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// messages reports whether t keeps message boundaries, so that a message
// can be larger than the buffer it is read into.
func (t Type) messages() bool {
	return t == Datagram || t == SeqPacket || t == Raw
}

// How says which direction [FD.Shutdown] shuts down.
type How int

// The directions of shutdown(2).
const (
	ShutRead  How = unix.SHUT_RD   // no more receptions
	ShutWrite How = unix.SHUT_WR   // no more transmissions: the peer reads EOF
	ShutBoth  How = unix.SHUT_RDWR // neither
)

// String returns the C name of h, such as "SHUT_WR".
func (h How) String() string {
	switch h {
	case ShutRead:
		return "SHUT_RD"
	case ShutWrite:
		return "SHUT_WR"
	case ShutBoth:
		return "SHUT_RDWR"
	}
	return "How(" + strconv.Itoa(int(h)) + ")"
}

// protoString formats socket(2)'s protocol argument for domain d.
func protoString(d Domain, proto int) string {
	if d == INET || d == INET6 {
		switch proto {
		case unix.IPPROTO_ICMP:
			return "IPPROTO_ICMP"
		case unix.IPPROTO_TCP:
			return "IPPROTO_TCP"
		case unix.IPPROTO_UDP:
			return "IPPROTO_UDP"
		case unix.IPPROTO_ICMPV6:
			return "IPPROTO_ICMPV6"
		}
	}
	return strconv.Itoa(proto)
}
