// Package engine serves a [service.Service] on the endpoints a user names.
//
// An [Engine] is one concurrency model. It binds an endpoint
// ([Engine.Bind]) and returns a [Server] whose address is already final, so
// that a caller can print the port the kernel picked for ":0" before any
// client arrives; [Server.Serve] then runs until the context ends or
// [Server.Shutdown] drains it.
//
// There are three engines, as the socket tutorials teach them:
//   - [Threaded]: a goroutine per connection, on Go's net package;
//   - [Iterative]: one connection at a time, on package socket, so that
//     [Config.Tracer] sees every system call;
//   - [Evloop]: a few epoll event loops over many non-blocking sockets.
//
// Every engine serves stream listeners (tcp, unix), sequenced-packet
// listeners (unixpacket) and datagram sockets (udp, unixgram); datagram
// replies go to each datagram's sender and the socket is never connected to
// its first peer. All of them count into [Counters] and log each
// connection's [ConnStats]; one conformance suite (engine_test.go and its
// neighbours) runs every behaviour on every engine.
package engine
