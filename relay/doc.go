// Package relay joins two connections in both directions, as socat does.
//
// Bytes read on one side are written to the other. When one side ends its
// stream (the peer closed, or shut down its write side), the relay shuts
// down the write side of the other, so that each peer reads exactly what
// the other sent and then end-of-file, and the other direction goes on
// until it ends too. Between TCP connections, and between a TCP and a Unix
// stream connection, Go's io.Copy moves the bytes with splice(2): they go
// from socket to socket through a kernel pipe, never into user space.
package relay
