// Package service holds the protocols sockit serves, written without I/O so
// that every engine runs them the same way: a goroutine per connection, one
// connection at a time, or an epoll loop driving thousands of sockets.
//
// A [Service] answers datagrams with [Service.Datagram] and gives each
// stream or sequenced-packet connection a [Stream], which turns the bytes
// read from the peer into the bytes to send back. [Echo] (RFC 862) is the
// first service; [ByName] finds one by the name the CLI's --service takes.
package service
