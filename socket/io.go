package socket

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// Send sends p on a connected socket with send(2), waiting until the
// socket can take some of it, and returns how many bytes it took: on a
// stream socket perhaps fewer than len(p) (see [FD.SendAll]), on a message
// socket all of them as one message. It passes MSG_NOSIGNAL, so that a
// closed peer is the error EPIPE rather than the signal SIGPIPE.
func (f *FD) Send(ctx context.Context, p []byte) (int, error) {
	return f.sendto(ctx, "send", p, nil, nil)
}

// SendAll sends all of p, calling [FD.Send] until it has (each call is
// traced), like Python's socket.sendall. On error, an unknown part of p
// has been sent.
func (f *FD) SendAll(ctx context.Context, p []byte) error {
	for {
		n, err := f.Send(ctx, p)
		if err != nil {
			return err
		}
		p = p[n:]
		if len(p) == 0 {
			return nil
		}
	}
}

// SendTo sends p to addr with sendto(2), waiting until the socket can take
// it, and returns how many bytes it took. It passes MSG_NOSIGNAL. A nil
// addr sends to the connected peer, as [FD.Send] does.
func (f *FD) SendTo(ctx context.Context, p []byte, addr net.Addr) (int, error) {
	if addr == nil || !f.open() {
		return f.sendto(ctx, "sendto", p, addr, nil)
	}
	sa, err := sockaddrOf(f.Domain(), addr)
	if err != nil {
		return 0, &OpError{Op: "sendto", Addr: addr, Err: err}
	}
	return f.sendto(ctx, "sendto", p, addr, sa)
}

// sendto makes op, send or sendto.
func (f *FD) sendto(ctx context.Context, op string, p []byte, addr net.Addr, sa *sockaddr) (int, error) {
	var (
		start  = time.Now()
		called bool
		n      int
		errno  error
	)
	err := f.wait(ctx, writing, func(fd int) bool {
		called = true
		errno = retryEINTR(func() error {
			var err error
			n, err = sysSendto(fd, p, unix.MSG_NOSIGNAL, sa)
			return err
		})
		return errno != unix.EAGAIN
	})
	if called && f.tr != nil {
		f.trace(start, Call{Op: op, Args: strconv.Itoa(len(p)), Ret: n, Addr: addr, Err: errno})
	}
	if err == nil {
		err = errno
	}
	if err != nil {
		return 0, &OpError{Op: op, Addr: addr, Err: err}
	}
	return n, nil
}

// Recv receives into p with recv(2), waiting until there is something to
// receive, and returns how many bytes it received. On a stream or
// sequenced-packet socket, 0 bytes (into a non-empty p) mean the peer shut
// down its sending side, and Recv returns [io.EOF]. On a message socket
// (datagram, sequenced packet, raw) Recv receives one message; if it was
// longer than p, Recv returns len(p) and an error wrapping [ErrTruncated].
func (f *FD) Recv(ctx context.Context, p []byte) (int, error) {
	n, _, err := f.recvfrom(ctx, "recv", p, nil)
	return n, err
}

// RecvFrom is [FD.Recv] with recvfrom(2): it also returns the address the
// message came from. That is nil on a connected INET or INET6 stream
// socket, for which the kernel reports none, and an unnamed
// [*net.UnixAddr] for a Unix peer that has no name.
func (f *FD) RecvFrom(ctx context.Context, p []byte) (int, net.Addr, error) {
	var sa sockaddr
	return f.recvfrom(ctx, "recvfrom", p, &sa)
}

// recvfrom makes op, recv (sa nil) or recvfrom.
func (f *FD) recvfrom(ctx context.Context, op string, p []byte, sa *sockaddr) (int, net.Addr, error) {
	flags := 0
	if f.Type().messages() {
		flags = unix.MSG_TRUNC // return the message's real length
	}
	var (
		start  = time.Now()
		called bool
		n      int
		errno  error
	)
	err := f.wait(ctx, reading, func(fd int) bool {
		called = true
		errno = retryEINTR(func() error {
			var err error
			n, err = sysRecvfrom(fd, p, flags, sa)
			return err
		})
		return errno != unix.EAGAIN
	})
	var from net.Addr
	if called && errno == nil && sa != nil {
		from = f.addr(sa)
	}
	if called && f.tr != nil {
		f.trace(start, Call{Op: op, Args: strconv.Itoa(len(p)), Ret: n, Addr: from, Err: errno})
	}
	if err == nil {
		err = errno
	}
	switch {
	case err != nil:
		return 0, nil, &OpError{Op: op, Err: err}
	case n > len(p):
		return len(p), from, fmt.Errorf("%w: %d-byte message, %d-byte buffer", ErrTruncated, n, len(p))
	case n == 0 && len(p) > 0 && (f.typ == Stream || f.typ == SeqPacket):
		return 0, from, io.EOF
	}
	return n, from, nil
}
