package socket

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// An Option is a socket option that takes an integer, for
// [FD.SetOption] and [FD.Option]. Booleans are 0 or 1.
type Option int

// The options. The zero Option is none of them.
const (
	ReuseAddr       Option = iota + 1 // SO_REUSEADDR: bind to a port with connections in TIME_WAIT
	ReusePort                         // SO_REUSEPORT: several sockets share one address
	RecvBuffer                        // SO_RCVBUF: receive buffer size; Linux reports double what was set
	SendBuffer                        // SO_SNDBUF: send buffer size; Linux reports double what was set
	KeepAlive                         // SO_KEEPALIVE: probe idle TCP connections
	Broadcast                         // SO_BROADCAST: allow sending to broadcast addresses
	Error                             // SO_ERROR: the pending error, cleared by reading it; read-only
	TTL                               // IP_TTL: time to live of IPv4 packets sent
	HopLimit                          // IPV6_UNICAST_HOPS: hop limit of IPv6 packets sent
	V6Only                            // IPV6_V6ONLY: an INET6 socket refuses IPv4
	NoDelay                           // TCP_NODELAY: send small segments without waiting (no Nagle)
	RecvTTL                           // IP_RECVTTL: each message received carries its IPv4 TTL ([Message.TTL])
	RecvHopLimit                      // IPV6_RECVHOPLIMIT: each message received carries its IPv6 hop limit ([Message.TTL])
	RecvErr                           // IP_RECVERR: ICMP errors about IPv4 packets sent are queued for [FD.RecvMsg]
	RecvErr6                          // IPV6_RECVERR: ICMPv6 errors about IPv6 packets sent are queued for [FD.RecvMsg]
	PktInfo                           // IP_PKTINFO: each message received carries its IPv4 destination ([Message.Dst])
	RecvPktInfo6                      // IPV6_RECVPKTINFO: each message received carries its IPv6 destination ([Message.Dst])
	TimestampNS                       // SO_TIMESTAMPNS: each message received carries the kernel's receive time ([Message.Time])
	TOS                               // IP_TOS: the type-of-service byte (DSCP and ECN) of IPv4 packets sent
	TClass                            // IPV6_TCLASS: the traffic class byte of IPv6 packets sent
	RecvTOS                           // IP_RECVTOS: each message received carries its IPv4 TOS byte ([Message.TOS])
	RecvTClass                        // IPV6_RECVTCLASS: each message received carries its IPv6 traffic class ([Message.TOS])
	Mark                              // SO_MARK: the firewall mark of packets sent (needs CAP_NET_ADMIN)
	Priority                          // SO_PRIORITY: the queueing priority of packets sent (above 6 needs CAP_NET_ADMIN)
	Debug                             // SO_DEBUG: the kernel's socket debugging flag (needs CAP_NET_ADMIN)
	FreeBind                          // IP_FREEBIND: bind to an IPv4 address not (yet) on this host
	FreeBind6                         // IPV6_FREEBIND: bind to an IPv6 address not (yet) on this host
	Transparent                       // IP_TRANSPARENT: bind to any address, for transparent proxies (needs CAP_NET_ADMIN)
	Transparent6                      // IPV6_TRANSPARENT: the same for IPv6
	RecvBufferForce                   // SO_RCVBUFFORCE: SO_RCVBUF above net.core.rmem_max (needs CAP_NET_ADMIN)
	SendBufferForce                   // SO_SNDBUFFORCE: SO_SNDBUF above net.core.wmem_max (needs CAP_NET_ADMIN)
	BusyPoll                          // SO_BUSY_POLL: microseconds to busy-poll the device queue on a blocking receive
	RxqOverflow                       // SO_RXQ_OVFL: each message received carries the count of datagrams dropped before it
	KeepIdle                          // TCP_KEEPIDLE: seconds idle before the first keepalive probe
	KeepInterval                      // TCP_KEEPINTVL: seconds between keepalive probes
	KeepCount                         // TCP_KEEPCNT: probes unanswered before the connection is dropped
	MaxSeg                            // TCP_MAXSEG: the largest segment TCP sends, in bytes
	UserTimeout                       // TCP_USER_TIMEOUT: milliseconds sent data may stay unacknowledged before the connection is dropped
	QuickAck                          // TCP_QUICKACK: acknowledge at once rather than delayed (the kernel turns it off again on its own)
	Cork                              // TCP_CORK: hold partial segments until uncorked
	FastOpen                          // TCP_FASTOPEN: a listener's queue of TCP Fast Open requests
	FastOpenConnect                   // TCP_FASTOPEN_CONNECT: a connect that carries data in its SYN
	MulticastTTL                      // IP_MULTICAST_TTL: the TTL of IPv4 multicast datagrams sent (1 by default)
	MulticastHops                     // IPV6_MULTICAST_HOPS: the hop limit of IPv6 multicast datagrams sent
	MulticastLoop                     // IP_MULTICAST_LOOP: this host's own members get the IPv4 multicast sent
	MulticastLoop6                    // IPV6_MULTICAST_LOOP: the same for IPv6
	MulticastIf6                      // IPV6_MULTICAST_IF: the interface index IPv6 multicast is sent through
	UDPSegment                        // UDP_SEGMENT: each send is cut into datagrams of this size by the kernel (GSO)
	UDPGRO                            // UDP_GRO: datagrams of one flow may be received coalesced
	RecvLowat                         // SO_RCVLOWAT: bytes queued before the socket counts as readable
	MaxPacingRate                     // SO_MAX_PACING_RATE: the most bytes a second the kernel paces the socket's sends to
	ZeroCopy                          // SO_ZEROCOPY: sends with MSG_ZEROCOPY go from the sender's pages (SendZeroCopyFD)
)

// String returns the C name of o, such as "SO_REUSEADDR".
func (o Option) String() string {
	if _, _, name, ok := o.sockopt(); ok {
		return name
	}
	return "Option(" + strconv.Itoa(int(o)) + ")"
}

// sockopt returns the level and name that getsockopt(2) and setsockopt(2)
// take for o, and o's C name.
func (o Option) sockopt() (level, opt int, name string, ok bool) {
	switch o {
	case ReuseAddr:
		return unix.SOL_SOCKET, unix.SO_REUSEADDR, "SO_REUSEADDR", true
	case ReusePort:
		return unix.SOL_SOCKET, unix.SO_REUSEPORT, "SO_REUSEPORT", true
	case RecvBuffer:
		return unix.SOL_SOCKET, unix.SO_RCVBUF, "SO_RCVBUF", true
	case SendBuffer:
		return unix.SOL_SOCKET, unix.SO_SNDBUF, "SO_SNDBUF", true
	case KeepAlive:
		return unix.SOL_SOCKET, unix.SO_KEEPALIVE, "SO_KEEPALIVE", true
	case Broadcast:
		return unix.SOL_SOCKET, unix.SO_BROADCAST, "SO_BROADCAST", true
	case Error:
		return unix.SOL_SOCKET, unix.SO_ERROR, "SO_ERROR", true
	case TTL:
		return unix.IPPROTO_IP, unix.IP_TTL, "IP_TTL", true
	case HopLimit:
		return unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS, "IPV6_UNICAST_HOPS", true
	case V6Only:
		return unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, "IPV6_V6ONLY", true
	case NoDelay:
		return unix.IPPROTO_TCP, unix.TCP_NODELAY, "TCP_NODELAY", true
	case RecvTTL:
		return unix.IPPROTO_IP, unix.IP_RECVTTL, "IP_RECVTTL", true
	case RecvHopLimit:
		return unix.IPPROTO_IPV6, unix.IPV6_RECVHOPLIMIT, "IPV6_RECVHOPLIMIT", true
	case RecvErr:
		return unix.IPPROTO_IP, unix.IP_RECVERR, "IP_RECVERR", true
	case RecvErr6:
		return unix.IPPROTO_IPV6, unix.IPV6_RECVERR, "IPV6_RECVERR", true
	case PktInfo:
		return unix.IPPROTO_IP, unix.IP_PKTINFO, "IP_PKTINFO", true
	case RecvPktInfo6:
		return unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, "IPV6_RECVPKTINFO", true
	case TimestampNS:
		return unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, "SO_TIMESTAMPNS", true
	case TOS:
		return unix.IPPROTO_IP, unix.IP_TOS, "IP_TOS", true
	case TClass:
		return unix.IPPROTO_IPV6, unix.IPV6_TCLASS, "IPV6_TCLASS", true
	case RecvTOS:
		return unix.IPPROTO_IP, unix.IP_RECVTOS, "IP_RECVTOS", true
	case RecvTClass:
		return unix.IPPROTO_IPV6, unix.IPV6_RECVTCLASS, "IPV6_RECVTCLASS", true
	case Mark:
		return unix.SOL_SOCKET, unix.SO_MARK, "SO_MARK", true
	case Priority:
		return unix.SOL_SOCKET, unix.SO_PRIORITY, "SO_PRIORITY", true
	case Debug:
		return unix.SOL_SOCKET, unix.SO_DEBUG, "SO_DEBUG", true
	case FreeBind:
		return unix.IPPROTO_IP, unix.IP_FREEBIND, "IP_FREEBIND", true
	case FreeBind6:
		return unix.IPPROTO_IPV6, unix.IPV6_FREEBIND, "IPV6_FREEBIND", true
	case Transparent:
		return unix.IPPROTO_IP, unix.IP_TRANSPARENT, "IP_TRANSPARENT", true
	case Transparent6:
		return unix.IPPROTO_IPV6, unix.IPV6_TRANSPARENT, "IPV6_TRANSPARENT", true
	case RecvBufferForce:
		return unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, "SO_RCVBUFFORCE", true
	case SendBufferForce:
		return unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, "SO_SNDBUFFORCE", true
	case BusyPoll:
		return unix.SOL_SOCKET, unix.SO_BUSY_POLL, "SO_BUSY_POLL", true
	case RxqOverflow:
		return unix.SOL_SOCKET, unix.SO_RXQ_OVFL, "SO_RXQ_OVFL", true
	case KeepIdle:
		return unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, "TCP_KEEPIDLE", true
	case KeepInterval:
		return unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, "TCP_KEEPINTVL", true
	case KeepCount:
		return unix.IPPROTO_TCP, unix.TCP_KEEPCNT, "TCP_KEEPCNT", true
	case MaxSeg:
		return unix.IPPROTO_TCP, unix.TCP_MAXSEG, "TCP_MAXSEG", true
	case UserTimeout:
		return unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT", true
	case QuickAck:
		return unix.IPPROTO_TCP, unix.TCP_QUICKACK, "TCP_QUICKACK", true
	case Cork:
		return unix.IPPROTO_TCP, unix.TCP_CORK, "TCP_CORK", true
	case UDPSegment:
		return unix.SOL_UDP, unix.UDP_SEGMENT, "UDP_SEGMENT", true
	case UDPGRO:
		return unix.SOL_UDP, unix.UDP_GRO, "UDP_GRO", true
	case RecvLowat:
		return unix.SOL_SOCKET, unix.SO_RCVLOWAT, "SO_RCVLOWAT", true
	case MaxPacingRate:
		return unix.SOL_SOCKET, unix.SO_MAX_PACING_RATE, "SO_MAX_PACING_RATE", true
	case ZeroCopy:
		return unix.SOL_SOCKET, unix.SO_ZEROCOPY, "SO_ZEROCOPY", true
	case FastOpen:
		return unix.IPPROTO_TCP, unix.TCP_FASTOPEN, "TCP_FASTOPEN", true
	case FastOpenConnect:
		return unix.IPPROTO_TCP, unix.TCP_FASTOPEN_CONNECT, "TCP_FASTOPEN_CONNECT", true
	case MulticastTTL:
		return unix.IPPROTO_IP, unix.IP_MULTICAST_TTL, "IP_MULTICAST_TTL", true
	case MulticastHops:
		return unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS, "IPV6_MULTICAST_HOPS", true
	case MulticastLoop:
		return unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP, "IP_MULTICAST_LOOP", true
	case MulticastLoop6:
		return unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_LOOP, "IPV6_MULTICAST_LOOP", true
	case MulticastIf6:
		return unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_IF, "IPV6_MULTICAST_IF", true
	}
	return 0, 0, "", false
}

// levelString returns the name strace gives a socket option level.
func levelString(level int) string {
	switch level {
	case unix.SOL_SOCKET:
		return "SOL_SOCKET"
	case unix.IPPROTO_IP:
		return "SOL_IP"
	case unix.IPPROTO_IPV6:
		return "SOL_IPV6"
	case unix.IPPROTO_TCP:
		return "SOL_TCP"
	}
	return strconv.Itoa(level)
}

// unknownOption is the error for an Option this package does not know.
func unknownOption(o Option) error {
	return fmt.Errorf("%v: %w", o, errors.ErrUnsupported)
}

// SetOption sets o to v with setsockopt(2).
func (f *FD) SetOption(o Option, v int) error {
	const op = "setsockopt"
	level, opt, name, ok := o.sockopt()
	if !ok {
		return &OpError{Op: op, Err: unknownOption(o)}
	}
	start := time.Now()
	var errno error
	if err := f.control(func(fd int) { errno = unix.SetsockoptInt(fd, level, opt, v) }); err != nil {
		return &OpError{Op: op, Err: err}
	}
	if f.tr != nil {
		f.trace(start, Call{Op: op, Args: levelString(level) + ", " + name + ", " + strconv.Itoa(v), Err: errno})
	}
	if errno != nil {
		return &OpError{Op: op, Err: fmt.Errorf("%s: %w", name, errno)}
	}
	return nil
}

// Option returns the value of o, read with getsockopt(2).
func (f *FD) Option(o Option) (int, error) {
	const op = "getsockopt"
	level, opt, name, ok := o.sockopt()
	if !ok {
		return 0, &OpError{Op: op, Err: unknownOption(o)}
	}
	start := time.Now()
	var (
		v     int
		errno error
	)
	if err := f.control(func(fd int) { v, errno = unix.GetsockoptInt(fd, level, opt) }); err != nil {
		return 0, &OpError{Op: op, Err: err}
	}
	if f.tr != nil {
		args := levelString(level) + ", " + name
		if errno == nil {
			args += ", [" + strconv.Itoa(v) + "]"
		}
		f.trace(start, Call{Op: op, Args: args, Err: errno})
	}
	if errno != nil {
		return 0, &OpError{Op: op, Err: fmt.Errorf("%s: %w", name, errno)}
	}
	return v, nil
}

// SetOptionFD sets o to v on the socket fd with setsockopt(2), untraced.
// It is for the Control funcs of [net.ListenConfig] and [net.Dialer], and
// for [syscall.RawConn.Control].
func SetOptionFD(fd uintptr, o Option, v int) error {
	level, opt, _, ok := o.sockopt()
	if !ok {
		return os.NewSyscallError("setsockopt", unknownOption(o))
	}
	return os.NewSyscallError("setsockopt", unix.SetsockoptInt(int(fd), level, opt, v))
}

// OptionFD returns the value of o on the socket fd, read with
// getsockopt(2), untraced. Like [SetOptionFD], it is for Control funcs.
func OptionFD(fd uintptr, o Option) (int, error) {
	level, opt, _, ok := o.sockopt()
	if !ok {
		return 0, os.NewSyscallError("getsockopt", unknownOption(o))
	}
	v, err := unix.GetsockoptInt(int(fd), level, opt)
	if err != nil {
		return 0, os.NewSyscallError("getsockopt", err)
	}
	return v, nil
}

// ListenFD calls listen(2) on the socket fd with backlog, untraced.
//
// Linux lets a second listen(2) on a socket that is already listening
// change its backlog, up to net.core.somaxconn. Go's listeners always
// listen with that ceiling; calling ListenFD from
// [syscall.RawConn.Control] on one gives it a real backlog. (A Unix stream
// listener then admits backlog+1 connections that have not been accepted;
// further non-blocking connects fail with EAGAIN.)
func ListenFD(fd uintptr, backlog int) error {
	return os.NewSyscallError("listen", unix.Listen(int(fd), backlog))
}

// A StringOption is a socket option whose value is a name, for
// [SetStringOptionFD] and [StringOptionFD].
type StringOption int

// The options that take names.
const (
	BindToDevice StringOption = iota + 1 // SO_BINDTODEVICE: send and receive only through this interface ("" unbinds)
	Congestion                           // TCP_CONGESTION: the congestion control algorithm, as cubic, reno or bbr
)

func (o StringOption) sockopt() (level, opt int, name string, ok bool) {
	switch o {
	case BindToDevice:
		return unix.SOL_SOCKET, unix.SO_BINDTODEVICE, "SO_BINDTODEVICE", true
	case Congestion:
		return unix.IPPROTO_TCP, unix.TCP_CONGESTION, "TCP_CONGESTION", true
	}
	return 0, 0, "", false
}

// String returns the C name of o, such as "SO_BINDTODEVICE".
func (o StringOption) String() string {
	if _, _, name, ok := o.sockopt(); ok {
		return name
	}
	return "StringOption(" + strconv.Itoa(int(o)) + ")"
}

// SetStringOptionFD sets o to v on the socket fd with setsockopt(2),
// untraced, as [SetOptionFD] does for integers.
func SetStringOptionFD(fd uintptr, o StringOption, v string) error {
	level, opt, name, ok := o.sockopt()
	if !ok {
		return os.NewSyscallError("setsockopt", fmt.Errorf("%v: %w", o, errors.ErrUnsupported))
	}
	if err := unix.SetsockoptString(int(fd), level, opt, v); err != nil {
		return os.NewSyscallError("setsockopt", fmt.Errorf("%s: %w", name, err))
	}
	return nil
}

// StringOptionFD returns the value of o on the socket fd, read with
// getsockopt(2), untraced.
func StringOptionFD(fd uintptr, o StringOption) (string, error) {
	level, opt, name, ok := o.sockopt()
	if !ok {
		return "", os.NewSyscallError("getsockopt", fmt.Errorf("%v: %w", o, errors.ErrUnsupported))
	}
	v, err := unix.GetsockoptString(int(fd), level, opt)
	if err != nil {
		return "", os.NewSyscallError("getsockopt", fmt.Errorf("%s: %w", name, err))
	}
	return v, nil
}

// SetLingerFD sets SO_LINGER on the socket fd, untraced: with on, close(2)
// waits up to secs seconds for unsent data to be acknowledged, and with
// secs 0 it discards the data and resets the connection (RST). Off is the
// default: close returns at once and the kernel sends the data in the
// background.
func SetLingerFD(fd uintptr, on bool, secs int) error {
	l := unix.Linger{Linger: int32(secs)}
	if on {
		l.Onoff = 1
	}
	if err := unix.SetsockoptLinger(int(fd), unix.SOL_SOCKET, unix.SO_LINGER, &l); err != nil {
		return os.NewSyscallError("setsockopt", fmt.Errorf("SO_LINGER: %w", err))
	}
	return nil
}

// LingerFD returns SO_LINGER of the socket fd: whether it is on, and its
// time in seconds.
func LingerFD(fd uintptr) (on bool, secs int, err error) {
	l, err := unix.GetsockoptLinger(int(fd), unix.SOL_SOCKET, unix.SO_LINGER)
	if err != nil {
		return false, 0, os.NewSyscallError("getsockopt", fmt.Errorf("SO_LINGER: %w", err))
	}
	return l.Onoff != 0, int(l.Linger), nil
}

// DomainFD returns the domain of the socket fd (SO_DOMAIN): INET, INET6
// or UNIX.
func DomainFD(fd uintptr) (Domain, error) {
	v, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_DOMAIN)
	if err != nil {
		return 0, os.NewSyscallError("getsockopt", fmt.Errorf("SO_DOMAIN: %w", err))
	}
	return Domain(v), nil
}

// TCPInfo is the kernel's view of a TCP connection (getsockopt TCP_INFO,
// struct tcp_info), in Go's units.
type TCPInfo struct {
	State         string        // ESTABLISHED, CLOSE_WAIT, ...
	RTT, RTTVar   time.Duration // smoothed round-trip time and its variance
	MinRTT        time.Duration // the smallest round trip seen
	RTO           time.Duration // the retransmission timeout
	Retransmits   int           // unrecovered retransmits of the oldest segment now
	TotalRetrans  int           // segments retransmitted over the connection's life
	Lost          int           // segments the kernel counts as lost now
	Unacked       int           // segments sent and not yet acknowledged
	Cwnd          int           // the congestion window, in segments
	Ssthresh      int           // the slow-start threshold, in segments; 0: not yet set (infinite)
	PMTU          int           // the path MTU
	SndMSS        int           // the segment size sent
	RcvMSS        int           // the segment size received
	Reordering    int           // how far the kernel lets segments be reordered
	DeliveryRate  uint64        // bytes a second, as the kernel last measured delivery
	BytesAcked    uint64        // bytes sent and acknowledged
	BytesReceived uint64        // bytes received
	BytesRetrans  uint64        // bytes retransmitted
	SegsOut       int
	SegsIn        int
	SndWnd        int // the peer's receive window, bytes
	RcvWnd        int // ours, as advertised
}

var tcpStates = [...]string{"", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT",
	"CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV", "BOUND_INACTIVE"}

// TCPInfoFD reads TCP_INFO of the TCP socket fd, untraced.
func TCPInfoFD(fd uintptr) (TCPInfo, error) {
	ti, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return TCPInfo{}, os.NewSyscallError("getsockopt", fmt.Errorf("TCP_INFO: %w", err))
	}
	us := func(v uint32) time.Duration { return time.Duration(v) * time.Microsecond }
	i := TCPInfo{
		RTT: us(ti.Rtt), RTTVar: us(ti.Rttvar), MinRTT: us(ti.Min_rtt), RTO: us(ti.Rto),
		Retransmits: int(ti.Retransmits), TotalRetrans: int(ti.Total_retrans), Lost: int(ti.Lost), Unacked: int(ti.Unacked),
		Cwnd: int(ti.Snd_cwnd), PMTU: int(ti.Pmtu), SndMSS: int(ti.Snd_mss), RcvMSS: int(ti.Rcv_mss),
		Reordering: int(ti.Reordering), DeliveryRate: ti.Delivery_rate,
		BytesAcked: ti.Bytes_acked, BytesReceived: ti.Bytes_received, BytesRetrans: ti.Bytes_retrans,
		SegsOut: int(ti.Segs_out), SegsIn: int(ti.Segs_in), SndWnd: int(ti.Snd_wnd), RcvWnd: int(ti.Rcv_wnd),
	}
	if int(ti.State) < len(tcpStates) {
		i.State = tcpStates[ti.State]
	} else {
		i.State = strconv.Itoa(int(ti.State))
	}
	if ti.Snd_ssthresh < 0x7fffffff { // TCP_INFINITE_SSTHRESH until the first loss
		i.Ssthresh = int(ti.Snd_ssthresh)
	}
	return i, nil
}

// String is the kernel's view in a line: "ESTABLISHED rtt 0.05ms ±0.03
// (min 0.02), rto 204ms, retrans 0/0, lost 0, cwnd 10, ssthresh inf, pmtu
// 65535, mss 32768, delivery 1.2 Gbit/s, acked 6 B, received 6 B,
// reordering 3".
func (i TCPInfo) String() string {
	ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', -1, 64) }
	ssthresh := "inf"
	if i.Ssthresh > 0 {
		ssthresh = strconv.Itoa(i.Ssthresh)
	}
	return fmt.Sprintf("%s rtt %sms ±%s (min %s), rto %sms, retrans %d/%d, lost %d, unacked %d, cwnd %d, ssthresh %s, pmtu %d, mss %d, delivery %s, acked %d B, received %d B, retransmitted %d B, reordering %d",
		i.State, ms(i.RTT), ms(i.RTTVar), ms(i.MinRTT), ms(i.RTO), i.Retransmits, i.TotalRetrans, i.Lost, i.Unacked,
		i.Cwnd, ssthresh, i.PMTU, i.SndMSS, bitRate(i.DeliveryRate), i.BytesAcked, i.BytesReceived, i.BytesRetrans, i.Reordering)
}

// bitRate is bytes a second as bits: "1.2 Gbit/s".
func bitRate(bytesPerSec uint64) string {
	b := float64(bytesPerSec) * 8
	for _, u := range []struct {
		scale float64
		unit  string
	}{{1e9, "Gbit/s"}, {1e6, "Mbit/s"}, {1e3, "kbit/s"}} {
		if b >= u.scale {
			return strconv.FormatFloat(b/u.scale, 'f', 1, 64) + " " + u.unit
		}
	}
	return strconv.FormatFloat(b, 'f', 0, 64) + " bit/s"
}

// SetMulticastIfFD sets IP_MULTICAST_IF on the IPv4 socket fd: the
// interface, by index, that multicast datagrams go out of. A connect(2)
// to a group then needs no route to it.
func SetMulticastIfFD(fd uintptr, ifindex int) error {
	if err := unix.SetsockoptIPMreqn(int(fd), unix.IPPROTO_IP, unix.IP_MULTICAST_IF, &unix.IPMreqn{Ifindex: int32(ifindex)}); err != nil {
		return os.NewSyscallError("setsockopt", fmt.Errorf("IP_MULTICAST_IF: %w", err))
	}
	return nil
}
