package endpoint

import (
	"encoding/json"
	"net"
)

// Tuple is the 5-tuple of an open socket: its protocol and the two
// addresses (each an address and, for TCP and UDP, a port), seen from one
// side. A client's tuple shows the ephemeral port the kernel picked for it.
type Tuple struct {
	Proto  string   // "tcp", "udp", "unix", "unixgram" or "unixpacket"
	Local  net.Addr // this side's address
	Remote net.Addr // the peer's address
}

// TupleOf returns c's tuple.
func TupleOf(c net.Conn) Tuple {
	return Tuple{Proto: c.LocalAddr().Network(), Local: c.LocalAddr(), Remote: c.RemoteAddr()}
}

// String formats t as "proto local -> remote", e.g.
// "tcp 127.0.0.1:41234 -> 127.0.0.1:7777". An unnamed Unix socket (a client
// that never bound a path) prints as "(unnamed)".
func (t Tuple) String() string {
	return t.Proto + " " + AddrString(t.Local) + " -> " + AddrString(t.Remote)
}

// MarshalJSON encodes t as {"proto":..., "local":..., "remote":...}.
func (t Tuple) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Proto  string `json:"proto"`
		Local  string `json:"local"`
		Remote string `json:"remote"`
	}{t.Proto, AddrString(t.Local), AddrString(t.Remote)})
}

// FromAddr returns the endpoint of a socket bound or connected to a on
// network: what a client dials to reach a server at a, printed in the
// grammar. It carries no options.
func FromAddr(network string, a net.Addr) Endpoint {
	return Endpoint{Network: network, Address: AddrString(a)}
}

// AddrString formats a socket address as sockit prints it: "ip:port" for
// TCP and UDP, the path or "@name" for Unix sockets, "(unnamed)" for a Unix
// socket without a name, and "-" for none.
func AddrString(a net.Addr) string {
	switch a := a.(type) {
	case nil:
		return "-"
	case *net.UnixAddr:
		if a == nil {
			return "-"
		}
		if a.Name == "" || a.Name == "@" { // Go reports an unnamed socket as "@"
			return "(unnamed)"
		}
		return a.Name
	case *net.TCPAddr:
		if a == nil {
			return "-"
		}
	case *net.UDPAddr:
		if a == nil {
			return "-"
		}
	}
	return a.String()
}

// ConnAs finds, in c or in the connections it wraps, the first that is a
// T: a *tls.Conn, a syscall.Conn for the socket itself. Wrappers are
// followed through their NetConn method, as tls.Conn, relay.IdleConn and
// dump.Conn have.
func ConnAs[T any](c net.Conn) (T, bool) {
	for range 8 { // wrappers of wrappers, not loops
		if t, ok := c.(T); ok {
			return t, true
		}
		w, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		c = w.NetConn()
	}
	var zero T
	return zero, false
}
