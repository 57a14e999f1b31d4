package icmp

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"time"

	xicmp "golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/sockit/sockit/socket"
)

// Kind is the kind of ICMP socket to open.
type Kind int

const (
	// Auto is Raw if the process may open one, else Datagram.
	Auto Kind = iota
	// Raw is a raw socket (SOCK_RAW): needs CAP_NET_RAW, sees every ICMP
	// packet the host receives.
	Raw
	// Datagram is an unprivileged ping socket (SOCK_DGRAM, IPPROTO_ICMP),
	// allowed by net.ipv4.ping_group_range.
	Datagram
)

// String returns "auto", "raw" or "datagram".
func (k Kind) String() string {
	switch k {
	case Raw:
		return "raw"
	case Datagram:
		return "datagram"
	}
	return "auto"
}

// ParseKind reads "auto", "raw" or "datagram" (also "dgram").
func ParseKind(s string) (Kind, error) {
	switch s {
	case "auto", "":
		return Auto, nil
	case "raw":
		return Raw, nil
	case "datagram", "dgram":
		return Datagram, nil
	}
	return Auto, fmt.Errorf("socket kind %q: want auto, raw or datagram", s)
}

// PermissionError is the error of [Open] when the process may open
// neither kind of ICMP socket it tried. Its message says what is missing
// and how to grant it.
type PermissionError struct {
	Tried      Kind   // Raw, Datagram, or Auto for both
	Gid        int    // the process's effective group
	GroupRange string // net.ipv4.ping_group_range, as the kernel prints it ("1 0": no group)
	Err        error  // the last socket(2) error
}

func (e *PermissionError) Error() string {
	raw := "a raw ICMP socket needs CAP_NET_RAW (run as root, or grant it: sudo setcap cap_net_raw+ep " + executable() + ")"
	dgram := fmt.Sprintf("an unprivileged ICMP socket needs group %d in net.ipv4.ping_group_range, which is %q (allow it: sudo sysctl -w net.ipv4.ping_group_range=\"%d %d\")",
		e.Gid, e.GroupRange, e.Gid, e.Gid)
	switch e.Tried {
	case Raw:
		return "cannot open an ICMP socket: " + raw
	case Datagram:
		return "cannot open an ICMP socket: " + dgram
	}
	return "cannot open an ICMP socket: " + raw + "; " + dgram
}

func (e *PermissionError) Unwrap() error { return e.Err }

func executable() string {
	if p, err := os.Executable(); err == nil {
		return p
	}
	return "PROGRAM"
}

// pingGroupRange reads the sysctl that allows unprivileged ICMP sockets.
func pingGroupRange() string {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ping_group_range")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b)), " ")
}

// Conn is an ICMP (or ICMPv6) socket that sends echo requests and
// receives packets.
type Conn struct {
	fd   *socket.FD
	v6   bool
	kind Kind
	id   int
	buf  []byte
}

// Open opens an ICMP socket of the given kind for IPv4, or ICMPv6 if v6
// is set. tr, if not nil, sees every system call made on it.
func Open(v6 bool, kind Kind, tr socket.Tracer) (*Conn, error) {
	switch kind {
	case Raw, Datagram:
		c, err := open(v6, kind, tr)
		if isPermission(err) {
			return nil, &PermissionError{Tried: kind, Gid: os.Getegid(), GroupRange: pingGroupRange(), Err: err}
		}
		return c, err
	}
	c, err := open(v6, Raw, tr)
	if !isPermission(err) {
		return c, err
	}
	c, err = open(v6, Datagram, tr)
	if isPermission(err) {
		return nil, &PermissionError{Tried: Auto, Gid: os.Getegid(), GroupRange: pingGroupRange(), Err: err}
	}
	return c, err
}

func isPermission(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES)
}

func open(v6 bool, kind Kind, tr socket.Tracer) (*Conn, error) {
	domain, proto := socket.INET, protoICMP
	if v6 {
		domain, proto = socket.INET6, protoICMPv6
	}
	typ := socket.Raw
	if kind == Datagram {
		typ = socket.Datagram
	}
	fd, err := socket.Socket(domain, typ, proto, tr)
	if err != nil {
		return nil, err
	}
	c := &Conn{fd: fd, v6: v6, kind: kind, buf: make([]byte, 64<<10)}
	if err := c.setup(); err != nil {
		fd.Close()
		return nil, err
	}
	return c, nil
}

// setup asks for the ancillary data Receive decodes and learns the echo
// identifier.
func (c *Conn) setup() error {
	opts := []socket.Option{socket.TimestampNS}
	switch {
	case c.v6:
		opts = append(opts, socket.RecvHopLimit, socket.RecvPktInfo6)
	case c.kind == Datagram:
		opts = append(opts, socket.RecvTTL, socket.PktInfo)
	}
	if c.kind == Datagram {
		opts = append(opts, c.recvErr())
	}
	for _, o := range opts {
		if err := c.fd.SetOption(o, 1); err != nil {
			return err
		}
	}
	// A raw socket sees all of the host's ICMP: a larger buffer keeps a
	// busy host from crowding out the replies.
	if c.kind == Raw {
		_ = c.fd.SetOption(socket.RecvBuffer, 1<<20) // a hint; the kernel may cap it
	}
	if c.kind == Raw {
		var b [2]byte
		if _, err := rand.Read(b[:]); err != nil {
			return err
		}
		c.id = int(binary.BigEndian.Uint16(b[:]))
		return nil
	}
	// The kernel gives a ping socket an identifier (its "port") at bind.
	var any net.Addr = &net.IPAddr{IP: net.IPv4zero}
	if c.v6 {
		any = &net.IPAddr{IP: net.IPv6unspecified}
	}
	if err := c.fd.Bind(any); err != nil {
		return err
	}
	local, err := c.fd.LocalAddr()
	if err != nil {
		return err
	}
	if a, ok := local.(*net.UDPAddr); ok {
		c.id = a.Port
	}
	return nil
}

func (c *Conn) recvErr() socket.Option {
	if c.v6 {
		return socket.RecvErr6
	}
	return socket.RecvErr
}

// Listen opens a raw ICMP socket (ICMPv6 for an IPv6 addr) that receives
// every ICMP packet sent to addr, or to any local address if addr is
// unspecified: a packet sniffer for one protocol. It needs CAP_NET_RAW.
func Listen(addr netip.Addr, tr socket.Tracer) (*Conn, error) {
	v6 := addr.Is6() && !addr.Is4In6()
	c, err := Open(v6, Raw, tr)
	if err != nil {
		return nil, err
	}
	if !addr.IsUnspecified() {
		if err := c.fd.Bind(&net.IPAddr{IP: net.IP(addr.Unmap().AsSlice()), Zone: addr.Zone()}); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// Kind returns Raw or Datagram: the kind of socket Open opened.
func (c *Conn) Kind() Kind { return c.kind }

// IPv6 reports whether c is an ICMPv6 socket.
func (c *Conn) IPv6() bool { return c.v6 }

// ID returns the echo identifier that c's echo requests carry: random
// for a raw socket, the kernel's choice for a datagram one.
func (c *Conn) ID() int { return c.id }

// SetTTL sets the TTL (IPv6: hop limit) of the packets c sends.
func (c *Conn) SetTTL(ttl int) error {
	if c.v6 {
		return c.fd.SetOption(socket.HopLimit, ttl)
	}
	return c.fd.SetOption(socket.TTL, ttl)
}

// Close closes the socket, waking a Receive blocked on it.
func (c *Conn) Close() error { return c.fd.Close() }

// SendEcho sends an echo request with sequence number seq and payload
// data to dst, and returns the time just before it was sent. Its
// identifier is c's ID. An ended ctx stops it before it sends; the send
// itself does not watch ctx, whose watch would cost microseconds between
// the timestamp and the system call (a full send buffer still ends with
// Close).
func (c *Conn) SendEcho(ctx context.Context, dst netip.Addr, seq int, data []byte) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	var typ xicmp.Type = ipv4.ICMPTypeEcho
	if c.v6 {
		typ = ipv6.ICMPTypeEchoRequest
	}
	msg := xicmp.Message{Type: typ, Body: &xicmp.Echo{ID: c.id, Seq: seq & 0xffff, Data: data}}
	// For ICMPv6 the kernel fills in the checksum, which covers a pseudo
	// header of addresses only it knows; for ICMP, Marshal computes it.
	b, err := msg.Marshal(nil)
	if err != nil {
		return time.Time{}, err
	}
	to := &net.IPAddr{IP: net.IP(dst.AsSlice()), Zone: dst.Zone()}
	var sent time.Time
	err = retryPending(func() error {
		sent = time.Now()
		_, err := c.fd.SendTo(context.Background(), b, to)
		return err
	})
	return sent, err
}

// retryPending calls send again when it fails with an error an earlier
// ICMP error left pending on the socket (with IP_RECVERR the kernel also
// reports it to the next call, which then sends nothing), a few times at
// most: a lasting error, such as no route, is returned.
func retryPending(send func() error) error {
	var err error
	for range 4 {
		if err = send(); !isPending(err) {
			return err
		}
	}
	return err
}

// isPending reports whether err is one an ICMP error leaves pending on a
// socket with IP_RECVERR, for the next call to report: the error itself
// is read from the error queue.
func isPending(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EPROTO)
}

// Receive waits for the next packet and decodes it. A packet that cannot
// be decoded is skipped. On a datagram socket, an ICMP error about an echo
// c sent is returned as a Packet whose Message is the error (from the
// socket's error queue): IP.Src is the host that sent it and
// Message.Quoted the echo it is about.
func (c *Conn) Receive(ctx context.Context) (Packet, error) {
	for {
		m, err := c.fd.RecvMsg(ctx, c.buf, c.kind == Datagram)
		if err != nil && isPending(err) && ctx.Err() == nil {
			continue // its error-queue entry, if any, comes next
		}
		if err != nil {
			return Packet{}, err
		}
		p, err := c.decode(m, c.buf[:m.N])
		if err != nil {
			continue
		}
		p.Bytes = c.buf[:m.N]
		return p, nil
	}
}

// decode turns what recvmsg returned into a Packet.
func (c *Conn) decode(m socket.Message, b []byte) (Packet, error) {
	p := Packet{Time: m.Time}
	if p.Time.IsZero() {
		p.Time = time.Now()
	}
	if m.Err != nil {
		return c.decodeQueuedError(p, m, b)
	}
	var err error
	if !c.v6 && c.kind == Raw {
		p.IP, p.ICMP, err = parseRawIPv4(b)
		return p, err
	}
	p.IP = IPHeader{Version: 4, FromSocket: true, TTL: m.TTL, Protocol: protoICMP, Src: addrFrom(m.From), Dst: addrOf(m.Dst)}
	if c.v6 {
		p.IP.Version, p.IP.Protocol = 6, protoICMPv6
	}
	p.ICMP, err = ParseMessage(c.v6, b)
	return p, err
}

// decodeQueuedError turns an error-queue entry of a datagram socket into
// the ICMP error it stands for. The data is the echo request that failed,
// as the error quoted it.
func (c *Conn) decodeQueuedError(p Packet, m socket.Message, b []byte) (Packet, error) {
	ee := m.Err
	if ee.Origin != socket.OriginICMP && ee.Origin != socket.OriginICMP6 {
		return p, fmt.Errorf("local error: %w", ee.Errno)
	}
	p.IP = IPHeader{Version: 4, FromSocket: true, TTL: m.TTL, Protocol: protoICMP, Src: addrOf(ee.Offender)}
	if c.v6 {
		p.IP.Version, p.IP.Protocol = 6, protoICMPv6
	}
	p.ICMP = Message{V6: c.v6, Type: int(ee.Type), Code: int(ee.Code), MTU: int(ee.Info)}
	q := &Quoted{IP: IPHeader{Version: p.IP.Version, FromSocket: true, TTL: -1, Protocol: p.IP.Protocol, Dst: addrFrom(m.From)}}
	if err := q.parseEcho(c.v6, b); err != nil {
		return p, err
	}
	p.ICMP.Quoted = q
	return p, nil
}

// addrFrom returns the IP address of a, a net.IPAddr or net.UDPAddr.
func addrFrom(a net.Addr) netip.Addr {
	switch a := a.(type) {
	case *net.IPAddr:
		return addrOf(a.IP)
	case *net.UDPAddr:
		return addrOf(a.IP)
	}
	return netip.Addr{}
}
