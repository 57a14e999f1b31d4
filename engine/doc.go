// Package engine serves a [service.Service] on the endpoints a user names.
//
// An [Engine] is one concurrency model. It binds an endpoint
// ([Engine.Bind]) and returns a [Server] whose address is already final, so
// that a caller can print the port the kernel picked for ":0" before any
// client arrives; [Server.Serve] then runs until the context ends or
// [Server.Shutdown] drains it.
//
// [Threaded] runs a goroutine per connection. Every engine serves stream
// listeners (tcp, unix), sequenced-packet listeners (unixpacket) and
// datagram sockets (udp, unixgram); datagram replies go to each datagram's
// sender and the socket is never connected to its first peer.
package engine
