// Package session serves a datagram socket the way a stream listener is
// served: one connection per peer.
//
// A UDP or unixgram socket has no connections; it has datagrams, each from
// some address. Listen reads them all and hands each new sender to Accept as
// a net.Conn of its own: reading it returns that peer's datagrams, one per
// Read, and writing it sends datagrams back to that peer only. The socket is
// never connect()ed to a first peer, so every sender is served. A session
// ends when its peer has been silent, and nothing has been sent to it, for
// Config.Idle: its Read returns io.EOF, and the peer's next datagram starts
// a new session.
package session
