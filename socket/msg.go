package socket

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A Message is what [FD.RecvMsg] received: the data's length, where it
// came from, and what the kernel said about it in ancillary data (control
// messages), for the options that ask for them.
type Message struct {
	N         int      // bytes of data received into the buffer
	From      net.Addr // the sender; for an error-queue message, the address the failed packet was sent to
	Truncated bool     // the message was longer than the buffer (MSG_TRUNC); N is the buffer's length

	// TTL is the IPv4 TTL or IPv6 hop limit the message arrived with
	// ([RecvTTL], [RecvHopLimit]), or -1 if the kernel did not say.
	TTL int
	// TOS is the IPv4 TOS byte or the IPv6 traffic class the message
	// arrived with ([RecvTOS], [RecvTClass]), or -1 if the kernel did not
	// say.
	TOS int
	// Dst is the address the message was sent to ([PktInfo],
	// [RecvPktInfo6]), or nil.
	Dst net.IP
	// Time is when the kernel received the message ([TimestampNS]), or
	// the zero Time.
	Time time.Time

	// Err is set for a message from the socket's error queue ([RecvErr],
	// [RecvErr6]): the data is (the start of) the packet sent that failed,
	// and Err says why.
	Err *ExtendedError
}

// An ExtendedError is an entry of a socket's error queue: the kernel's
// struct sock_extended_err. For an ICMP error it names the ICMP type and
// code and the host that sent it.
type ExtendedError struct {
	Errno    syscall.Errno // what the error means to the socket, such as EHOSTUNREACH
	Origin   Origin        // who reported it
	Type     uint8         // the ICMP or ICMPv6 type, for OriginICMP and OriginICMP6
	Code     uint8         // the ICMP or ICMPv6 code
	Info     uint32        // for "fragmentation needed" and "packet too big", the next hop's MTU
	Offender net.IP        // the host that sent the ICMP error (SO_EE_OFFENDER), or nil
}

// Origin says where an [ExtendedError] comes from (SO_EE_ORIGIN_*).
type Origin uint8

// The origins of error-queue entries that sockit reads.
const (
	OriginLocal Origin = unix.SO_EE_ORIGIN_LOCAL // the local stack, such as a message too long for the path MTU
	OriginICMP  Origin = unix.SO_EE_ORIGIN_ICMP  // an ICMP error from the network
	OriginICMP6 Origin = unix.SO_EE_ORIGIN_ICMP6 // an ICMPv6 error from the network
)

func (e *ExtendedError) Error() string {
	s := e.Errno.Error()
	switch e.Origin {
	case OriginICMP:
		s += fmt.Sprintf(" (ICMP type %d code %d", e.Type, e.Code)
	case OriginICMP6:
		s += fmt.Sprintf(" (ICMPv6 type %d code %d", e.Type, e.Code)
	default:
		return s
	}
	if e.Offender != nil {
		s += " from " + e.Offender.String()
	}
	return s + ")"
}

// oobSize is room for every control message RecvMsg asks for: a
// timestamp, a TTL, packet info, and an extended error with its offender.
const oobSize = 256

// RecvMsg receives one message with recvmsg(2), waiting until there is
// one, and decodes its control messages. If errQueue is set it also
// returns entries of the socket's error queue (MSG_ERRQUEUE), which the
// kernel fills when [RecvErr] or [RecvErr6] is on: when there is no
// ordinary message, or when the socket reports a pending error such as
// EHOSTUNREACH (which the entry then explains), RecvMsg returns the entry
// with [Message.Err] set.
//
// As with [FD.Recv], a message longer than p fills p and is returned with
// Truncated set, and no error.
func (f *FD) RecvMsg(ctx context.Context, p []byte, errQueue bool) (Message, error) {
	var (
		start  = time.Now()
		called bool
		m      Message
		errno  error
		sa     sockaddr
		oob    [oobSize]byte
		flags  int
		oobn   int
		fromEQ bool
	)
	err := f.wait(ctx, reading, func(fd int) bool {
		called = true
		fromEQ = false
		errno = retryEINTR(func() error {
			var err error
			m.N, oobn, flags, err = sysRecvmsg(fd, p, oob[:], unix.MSG_TRUNC, &sa)
			return err
		})
		if errno != nil && errQueue {
			// Nothing ordinary to read, or a pending error: the error
			// queue may hold the reason.
			eqErr := retryEINTR(func() error {
				var err error
				m.N, oobn, flags, err = sysRecvmsg(fd, p, oob[:], unix.MSG_TRUNC|unix.MSG_ERRQUEUE, &sa)
				return err
			})
			if eqErr == nil {
				errno, fromEQ = nil, true
			}
		}
		return errno != unix.EAGAIN
	})
	if called && errno == nil {
		m.From = f.addr(&sa)
	}
	if called && f.tr != nil {
		args := strconv.Itoa(len(p))
		if fromEQ {
			args += ", MSG_ERRQUEUE"
		}
		f.trace(start, Call{Op: "recvmsg", Args: args, Ret: m.N, Addr: m.From, Err: errno})
	}
	if err == nil {
		err = errno
	}
	if err != nil {
		return Message{}, &OpError{Op: "recvmsg", Err: err}
	}
	if m.N > len(p) || flags&unix.MSG_TRUNC != 0 {
		m.N, m.Truncated = min(m.N, len(p)), true
	}
	parseControl(&m, oob[:oobn])
	if fromEQ && m.Err == nil {
		// Every error-queue entry carries an extended error; keep the
		// promise that Err is set for one even if the kernel's was cut.
		m.Err = &ExtendedError{Errno: unix.EIO}
	}
	return m, nil
}

// sysRecvmsg is recvmsg(2) of one buffer. It returns the data's length
// (the message's real length with MSG_TRUNC), the control data's length
// and the message flags.
func sysRecvmsg(fd int, p, oob []byte, flags int, from *sockaddr) (n, oobn, recvflags int, err error) {
	var iov unix.Iovec
	if len(p) > 0 {
		iov.Base = &p[0]
		iov.SetLen(len(p))
	}
	from.len = unix.SizeofSockaddrAny
	msg := unix.Msghdr{
		Name:    (*byte)(unsafe.Pointer(&from.raw)),
		Namelen: from.len,
		Iov:     &iov,
		Iovlen:  1,
	}
	if len(oob) > 0 {
		msg.Control = &oob[0]
		msg.SetControllen(len(oob))
	}
	r, _, e := unix.Syscall(unix.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(&msg)), uintptr(flags))
	if e != 0 {
		return -1, 0, 0, e
	}
	from.len = msg.Namelen
	return int(r), int(msg.Controllen), int(msg.Flags), nil
}

// parseControl fills m's fields from the control messages in oob.
// Messages it does not know, or cannot read, are skipped.
func parseControl(m *Message, oob []byte) {
	m.TTL, m.TOS = -1, -1
	cmsgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return
	}
	for _, c := range cmsgs {
		level, typ, data := c.Header.Level, c.Header.Type, c.Data
		switch {
		case level == unix.SOL_SOCKET && typ == unix.SO_TIMESTAMPNS && len(data) >= int(unsafe.Sizeof(unix.Timespec{})):
			ts := (*unix.Timespec)(unsafe.Pointer(&data[0]))
			m.Time = time.Unix(ts.Unix())
		case level == unix.IPPROTO_IP && typ == unix.IP_TTL && len(data) >= 4,
			level == unix.IPPROTO_IPV6 && typ == unix.IPV6_HOPLIMIT && len(data) >= 4:
			m.TTL = int(int32(binary.NativeEndian.Uint32(data)))
		case level == unix.IPPROTO_IP && typ == unix.IP_TOS && len(data) >= 1:
			m.TOS = int(data[0])
		case level == unix.IPPROTO_IPV6 && typ == unix.IPV6_TCLASS && len(data) >= 4:
			m.TOS = int(int32(binary.NativeEndian.Uint32(data)))
		case level == unix.IPPROTO_IP && typ == unix.IP_PKTINFO && len(data) >= unix.SizeofInet4Pktinfo:
			info := (*unix.Inet4Pktinfo)(unsafe.Pointer(&data[0]))
			m.Dst = net.IP(append([]byte(nil), info.Addr[:]...))
		case level == unix.IPPROTO_IPV6 && typ == unix.IPV6_PKTINFO && len(data) >= unix.SizeofInet6Pktinfo:
			info := (*unix.Inet6Pktinfo)(unsafe.Pointer(&data[0]))
			m.Dst = net.IP(append([]byte(nil), info.Addr[:]...))
		case level == unix.IPPROTO_IP && typ == unix.IP_RECVERR,
			level == unix.IPPROTO_IPV6 && typ == unix.IPV6_RECVERR:
			m.Err = parseExtendedError(data)
		}
	}
}

// parseExtendedError decodes struct sock_extended_err and the offender's
// address that follows it.
func parseExtendedError(data []byte) *ExtendedError {
	size := int(unsafe.Sizeof(unix.SockExtendedErr{}))
	if len(data) < size {
		return nil
	}
	ee := (*unix.SockExtendedErr)(unsafe.Pointer(&data[0]))
	e := &ExtendedError{
		Errno:  syscall.Errno(ee.Errno),
		Origin: Origin(ee.Origin),
		Type:   ee.Type,
		Code:   ee.Code,
		Info:   ee.Info,
	}
	if e.Origin != OriginICMP && e.Origin != OriginICMP6 {
		return e
	}
	// SO_EE_OFFENDER: the sockaddr right after the struct.
	var sa sockaddr
	n := copy((*[unix.SizeofSockaddrAny]byte)(unsafe.Pointer(&sa.raw))[:], data[size:])
	sa.len = uint32(n)
	if a, ok := sa.addr(INET6, Raw).(*net.IPAddr); ok && !a.IP.IsUnspecified() {
		e.Offender = a.IP
	}
	return e
}

// RxqOverflowSpace is room enough in an out-of-band buffer for the
// SO_RXQ_OVFL control message, with some to spare for others.
const RxqOverflowSpace = 64

// RxqOverflowCount returns the count the SO_RXQ_OVFL control message in
// oob carries, and whether there is one. oob is the ancillary data of one
// message received on a socket with [RxqOverflow] on, as
// [net.UDPConn.ReadMsgUDP] returns it. The count is of the datagrams the
// kernel has dropped on that socket since it was made (its receive buffer
// was full, say), up to when this message was queued; it wraps at 2^32.
// The kernel adds it only once there has been a drop.
func RxqOverflowCount(oob []byte) (dropped uint32, ok bool) {
	cmsgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, false
	}
	for _, c := range cmsgs {
		if c.Header.Level == unix.SOL_SOCKET && c.Header.Type == unix.SO_RXQ_OVFL && len(c.Data) >= 4 {
			return binary.NativeEndian.Uint32(c.Data), true
		}
	}
	return 0, false
}

// GROSegmentSize returns the size of the datagrams a coalesced message
// holds, from the cmsg the kernel adds to it on a socket with [UDPGRO]
// on, and whether there is one: without it the message is one datagram.
// The message is then its datagrams back to back, each of that size but
// the last, which may be shorter.
func GROSegmentSize(oob []byte) (int, bool) {
	cmsgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, false
	}
	for _, c := range cmsgs {
		if c.Header.Level == unix.SOL_UDP && c.Header.Type == unix.UDP_GRO && len(c.Data) >= 4 {
			return int(binary.NativeEndian.Uint32(c.Data)), true
		}
	}
	return 0, false
}

// DroppedFD returns how many datagrams the kernel has dropped on the
// socket fd since it was made (its receive buffer was full, say), the
// count [RxqOverflow] puts on each message, now: SK_MEMINFO_DROPS of
// getsockopt(SO_MEMINFO), Linux 4.12 on. It wraps at 2^32. Untraced, like
// [OptionFD], for [syscall.RawConn.Control]. Where the count a message
// carries is as of when it was queued, this one also has the drops since
// the last message, which no message will tell until another is queued.
func DroppedFD(fd uintptr) (uint32, error) {
	n, err := droppedCount(int(fd))
	if err != nil {
		return 0, os.NewSyscallError("getsockopt", fmt.Errorf("SO_MEMINFO: %w", err))
	}
	return n, nil
}

// Dropped is [DroppedFD] for f, traced.
func (f *FD) Dropped() (uint32, error) {
	const op = "getsockopt"
	start := time.Now()
	var (
		n     uint32
		errno error
	)
	if err := f.control(func(fd int) { n, errno = droppedCount(fd) }); err != nil {
		return 0, &OpError{Op: op, Err: err}
	}
	if f.tr != nil {
		args := "SOL_SOCKET, SO_MEMINFO"
		if errno == nil {
			args += ", [drops " + strconv.FormatUint(uint64(n), 10) + "]"
		}
		f.trace(start, Call{Op: op, Args: args, Err: errno})
	}
	if errno != nil {
		return 0, &OpError{Op: op, Err: fmt.Errorf("SO_MEMINFO: %w", errno)}
	}
	return n, nil
}

// droppedCount reads SK_MEMINFO_DROPS of fd's SO_MEMINFO.
func droppedCount(fd int) (uint32, error) {
	var info [unix.SK_MEMINFO_VARS]uint32
	size := uint32(unsafe.Sizeof(info))
	_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.SOL_SOCKET, unix.SO_MEMINFO,
		uintptr(unsafe.Pointer(&info[0])), uintptr(unsafe.Pointer(&size)), 0)
	if e != 0 {
		return 0, e
	}
	if size <= unix.SK_MEMINFO_DROPS*4 {
		return 0, fmt.Errorf("%d bytes, no drop count: %w", size, errors.ErrUnsupported)
	}
	return info[unix.SK_MEMINFO_DROPS], nil
}
