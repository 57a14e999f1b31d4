package socket

import (
	"errors"
	"net"
)

// ErrTruncated reports that a datagram or sequenced packet was larger than
// the buffer given to [FD.Recv] or [FD.RecvFrom]; the buffer holds the
// message's first bytes and the rest is lost. It is returned wrapped with
// both sizes:
//
//	socket: message truncated: 70000-byte message, 65536-byte buffer
var ErrTruncated = errors.New("socket: message truncated")

// errMissingAddress is the error for a nil address.
var errMissingAddress = errors.New("missing address")

// OpError is the error an [FD] method returns: the system call, the address
// it was given if any, and why it failed. Err is a [syscall.Errno],
// [net.ErrClosed], or a context's error, so errors.Is sees through it.
type OpError struct {
	Op   string   // the system call, as in [Call.Op]
	Addr net.Addr // the address given, or nil
	Err  error
}

// Error reads like the net package's errors:
// "connect 127.0.0.1:1: connection refused".
func (e *OpError) Error() string {
	if e.Addr != nil {
		return e.Op + " " + addrString(e.Addr) + ": " + e.Err.Error()
	}
	return e.Op + ": " + e.Err.Error()
}

// Unwrap returns e.Err.
func (e *OpError) Unwrap() error { return e.Err }

var _ error = (*OpError)(nil)
