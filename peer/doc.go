// Package peer joins network peers to what serves them, as netcat does:
// a connection to a reader and a writer (standard input and output, say)
// under netcat's half-close and exit rule, and a listener's peers to one
// such pair, to each other, or each to its own run of a program.
//
// [Join] is the rule for one connection: the input goes to the peer and
// the peer's bytes to the output; when the input ends the write side is
// shut down and reading goes on until the peer closes; when the peer ends
// first the rest of the input is still sent, since it may only have shut
// down its own write side. Options keep the write side open, bound the
// wait, send line by line as datagrams, and end on an idle timeout.
//
// [Server] serves a listener's peers in netcat's four ways: the first peer
// only (nc -l), every peer at once around one input and output (ncat -k),
// a program per peer (ncat --exec), and a broker relaying each peer's
// bytes to the others (ncat --broker). [Gate] decides which peers are let
// in: allowed and denied prefixes, and a bound on the peers served at
// once. Datagram sockets are served as sessions (package session), one
// per peer address.
//
// [Relay] joins two endpoints both ways, as socat does: one accepts, the
// other is dialled, accepted, or opened (a program, a file, standard
// input and output) for each connection, and the two are joined by
// package relay's Join.
//
// sockit connect, listen and relay are this package with flags and output
// around it.
package peer
