package endpoint

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sockit/sockit/socket"
)

// A Setting is one socket option an endpoint's options set, as the kernel
// holds it: for read-back (sockit -v), and for tests of what took effect.
type Setting struct {
	Name  string // the option as addresses name it: "rcvbuf"
	Asked string // what was asked, in the kernel's units: "106496"
	Got   string // what getsockopt(2) says now: "212992"; "?" if it could not be read
	Err   error  // why Got could not be read
}

// String is "rcvbuf=212992 (asked 106496)", or "ttl=7" when the kernel
// holds what was asked.
func (s Setting) String() string {
	if s.Got == s.Asked {
		return s.Name + "=" + s.Got
	}
	return s.Name + "=" + s.Got + " (asked " + s.Asked + ")"
}

// sockopt is one setsockopt(2) an endpoint's options make.
type sockopt struct {
	name  string // as addresses name it
	asked string // the value, as Setting.Asked shows it

	// One of: an integer option (opt on IPv4 and Unix sockets, opt6 on
	// IPv6 ones when it differs), a string option, or SO_LINGER.
	opt, opt6 socket.Option
	readOpt   socket.Option // what getsockopt reads, when it is not opt (SO_RCVBUFFORCE reads as SO_RCVBUF)
	v         int
	sopt      socket.StringOption
	s         string
	linger    *time.Duration
	iface     string // the multicast interface, by name

	// connected: set on each connection dialled or accepted
	// (ConfigureConn), not on the socket before bind: the kernel keeps it
	// per connection, or Go sets its own on every connection.
	connected bool
	// again: set before bind and again on each connection, as accepted
	// sockets do not inherit it (SO_PRIORITY).
	again bool
}

// sockopts lists the setsockopt(2) calls o asks for, in a fixed order.
// Keepalive is not among them: Go's Dialer and ListenConfig set it on
// every connection (KeepAliveConfig).
func (o Options) sockopts() []sockopt {
	var l []sockopt
	integer := func(name string, opt socket.Option, v int) {
		l = append(l, sockopt{name: name, asked: strconv.Itoa(v), opt: opt, v: v})
	}
	boolean := func(name string, opt socket.Option, on bool) {
		v := 0
		if on {
			v = 1
		}
		integer(name, opt, v)
	}
	if o.ReuseAddr != nil {
		boolean("reuseaddr", socket.ReuseAddr, *o.ReuseAddr)
	}
	if o.ReusePort {
		boolean("reuseport", socket.ReusePort, true)
	}
	if o.RecvBuffer > 0 {
		integer("rcvbuf", socket.RecvBuffer, o.RecvBuffer)
	}
	if o.SendBuffer > 0 {
		integer("sndbuf", socket.SendBuffer, o.SendBuffer)
	}
	if o.RecvBufferForce > 0 {
		l = append(l, sockopt{name: "rcvbufforce", asked: strconv.Itoa(o.RecvBufferForce), opt: socket.RecvBufferForce, readOpt: socket.RecvBuffer, v: o.RecvBufferForce})
	}
	if o.SendBufferForce > 0 {
		l = append(l, sockopt{name: "sndbufforce", asked: strconv.Itoa(o.SendBufferForce), opt: socket.SendBufferForce, readOpt: socket.SendBuffer, v: o.SendBufferForce})
	}
	if o.TTL > 0 {
		l = append(l, sockopt{name: "ttl", asked: strconv.Itoa(o.TTL), opt: socket.TTL, opt6: socket.HopLimit, v: o.TTL})
	}
	if o.TOS != nil {
		l = append(l, sockopt{name: "tos", asked: tosString(*o.TOS), opt: socket.TOS, opt6: socket.TClass, v: *o.TOS})
	}
	if o.V6Only != nil {
		s := sockopt{name: "v6only", asked: "0", opt6: socket.V6Only}
		if *o.V6Only {
			s.asked, s.v = "1", 1
		}
		l = append(l, s)
	}
	if o.FreeBind {
		l = append(l, sockopt{name: "freebind", asked: "1", opt: socket.FreeBind, opt6: socket.FreeBind6, v: 1})
	}
	if o.Transparent {
		l = append(l, sockopt{name: "transparent", asked: "1", opt: socket.Transparent, opt6: socket.Transparent6, v: 1})
	}
	if o.Mark != nil {
		l = append(l, sockopt{name: "mark", asked: strconv.FormatUint(uint64(*o.Mark), 10), opt: socket.Mark, v: int(*o.Mark)})
	}
	if o.Priority != nil {
		l = append(l, sockopt{name: "priority", asked: strconv.Itoa(*o.Priority), opt: socket.Priority, v: *o.Priority, again: true})
	}
	if o.BindToDevice != "" {
		l = append(l, sockopt{name: "bindtodevice", asked: o.BindToDevice, sopt: socket.BindToDevice, s: o.BindToDevice})
	}
	if o.Broadcast {
		boolean("broadcast", socket.Broadcast, true)
	}
	if o.BusyPoll > 0 {
		integer("busy-poll", socket.BusyPoll, int(o.BusyPoll.Microseconds()))
	}
	if o.Debug {
		boolean("debug", socket.Debug, true)
	}
	if o.Linger != nil {
		l = append(l, sockopt{name: "linger", asked: lingerString(*o.Linger), linger: o.Linger})
	}
	if o.Iface != "" { // before connect: a dial to a group then needs no route to it
		l = append(l, sockopt{name: "iface", asked: o.Iface, iface: o.Iface})
	}
	if o.MulticastTTL > 0 {
		l = append(l, sockopt{name: "mttl", asked: strconv.Itoa(o.MulticastTTL), opt: socket.MulticastTTL, opt6: socket.MulticastHops, v: o.MulticastTTL})
	}
	if o.MulticastLoop != nil {
		s := sockopt{name: "mloop", asked: "0", opt: socket.MulticastLoop, opt6: socket.MulticastLoop6}
		if *o.MulticastLoop {
			s.asked, s.v = "1", 1
		}
		l = append(l, s)
	}
	if o.Congestion != "" {
		l = append(l, sockopt{name: "congestion", asked: o.Congestion, sopt: socket.Congestion, s: o.Congestion})
	}
	if o.MaxSeg > 0 {
		integer("maxseg", socket.MaxSeg, o.MaxSeg)
	}
	if o.UserTimeout > 0 {
		integer("user-timeout", socket.UserTimeout, int(o.UserTimeout.Milliseconds()))
	}
	if o.FastOpen > 0 {
		// The listener's queue; a dial's socket takes the connect flag
		// instead (dialSockopts).
		integer("fastopen", socket.FastOpen, o.FastOpen)
	}
	if o.NoDelay != nil {
		s := sockopt{name: "nodelay", asked: "0", opt: socket.NoDelay, connected: true}
		if *o.NoDelay {
			s.asked, s.v = "1", 1
		}
		l = append(l, s)
	}
	if o.QuickAck {
		l = append(l, sockopt{name: "quickack", asked: "1", opt: socket.QuickAck, v: 1, connected: true})
	}
	if o.Cork {
		l = append(l, sockopt{name: "cork", asked: "1", opt: socket.Cork, v: 1, connected: true})
	}
	return l
}

// dialSockopts is sockopts for a socket that will connect: fast open is
// the connect flag there, not a listener's queue.
func (o Options) dialSockopts() []sockopt {
	l := o.sockopts()
	for i := range l {
		if l[i].opt == socket.FastOpen {
			l[i] = sockopt{name: "fastopen", asked: "1", opt: socket.FastOpenConnect, v: 1}
		}
	}
	return l
}

func tosString(tos int) string { return fmt.Sprintf("%#02x", tos) }

func lingerString(d time.Duration) string {
	if d < 0 {
		return "off"
	}
	return strconv.Itoa(int(d/time.Second)) + "s"
}

// option is the integer option s sets on a socket of domain d; 0 if none
// (v6only on an IPv4 socket).
func (s sockopt) option(d socket.Domain) socket.Option {
	if d == socket.INET6 && s.opt6 != 0 {
		return s.opt6
	}
	return s.opt
}

// set makes s's setsockopt(2) on fd, a socket of domain d. On an IPv6
// socket ttl and tos are set for IPv4 too, for the v4-mapped peers a
// dual-stack socket has.
func (s sockopt) set(fd uintptr, d socket.Domain) error {
	var err error
	switch {
	case s.iface != "":
		ifi, ierr := net.InterfaceByName(s.iface)
		switch {
		case ierr != nil:
			return fmt.Errorf("iface=%s: %w", s.iface, ierr)
		case d == socket.INET6:
			err = socket.SetOptionFD(fd, socket.MulticastIf6, ifi.Index)
		default:
			err = socket.SetMulticastIfFD(fd, ifi.Index)
		}
	case s.linger != nil:
		err = socket.SetLingerFD(fd, *s.linger >= 0, int(max(*s.linger, 0)/time.Second))
	case s.sopt != 0:
		err = socket.SetStringOptionFD(fd, s.sopt, s.s)
	default:
		opt := s.option(d)
		if opt == 0 {
			return nil // v6only on an IPv4 socket: nothing to refuse
		}
		err = socket.SetOptionFD(fd, opt, s.v)
		if err == nil && d == socket.INET6 && s.opt6 != 0 && (s.opt == socket.TTL || s.opt == socket.TOS) {
			socket.SetOptionFD(fd, s.opt, s.v) // v4-mapped traffic; refused only on a v6only socket, which has none
		}
	}
	if err != nil {
		return s.refused(err)
	}
	return nil
}

// refused is err, for the setsockopt of s the kernel refused, with what
// the user can do about it.
func (s sockopt) refused(err error) error {
	hint := ""
	switch {
	case errors.Is(err, syscall.EPERM):
		hint = " (needs CAP_NET_ADMIN: run as root, or grant it with setcap cap_net_admin+ep)"
	case s.name == "congestion" && errors.Is(err, syscall.ENOENT):
		hint = " (the kernel has no such algorithm"
		if b, rerr := os.ReadFile("/proc/sys/net/ipv4/tcp_available_congestion_control"); rerr == nil {
			hint += "; it offers " + strings.Join(strings.Fields(string(b)), ", ")
		}
		hint += ")"
	case s.name == "bindtodevice" && errors.Is(err, syscall.ENODEV):
		hint = " (no interface of that name here)"
	}
	return &SockoptError{Name: s.name, Value: s.asked, Err: err, Hint: hint}
}

// SockoptError is a socket option the kernel refused: a permission it
// needs, a value out of its range, an algorithm or interface it does not
// have.
type SockoptError struct {
	Name, Value string // the option and its value, as the address gave them
	Err         error  // the kernel's answer, an *os.SyscallError
	Hint        string // what to do about it, or ""
}

func (e *SockoptError) Error() string {
	msg := e.Err.Error()
	var errno syscall.Errno
	if errors.As(e.Err, &errno) {
		msg = errno.Error()
	}
	return fmt.Sprintf("setsockopt %s=%s: %s%s", e.Name, e.Value, msg, e.Hint)
}

func (e *SockoptError) Unwrap() error { return e.Err }

// read returns the value s's option has on fd now, as Setting.Got shows it.
func (s sockopt) read(fd uintptr, d socket.Domain) (string, error) {
	switch {
	case s.iface != "" && d == socket.INET6:
		idx, err := socket.OptionFD(fd, socket.MulticastIf6)
		if err != nil {
			return "", err
		}
		if ifi, err := net.InterfaceByIndex(idx); err == nil {
			return ifi.Name, nil
		}
		return strconv.Itoa(idx), nil
	case s.iface != "":
		return s.asked, nil // IPv4's IP_MULTICAST_IF reads back an address, not the interface
	case s.linger != nil:
		on, secs, err := socket.LingerFD(fd)
		if err != nil {
			return "", err
		}
		if !on {
			return "off", nil
		}
		return strconv.Itoa(secs) + "s", nil
	case s.sopt != 0:
		return socket.StringOptionFD(fd, s.sopt)
	}
	opt := s.option(d)
	if opt == 0 {
		return "n/a (IPv4 socket)", nil
	}
	if s.readOpt != 0 {
		opt = s.readOpt
	}
	v, err := socket.OptionFD(fd, opt)
	if err != nil {
		return "", err
	}
	if s.name == "tos" {
		return tosString(v), nil
	}
	return strconv.Itoa(v), nil
}

// applySockopts sets every option of l that applies before bind (or, with
// connected, every one that applies to a connection) on fd.
func applySockopts(fd uintptr, l []sockopt, connected bool) error {
	d, err := socket.DomainFD(fd)
	if err != nil {
		return err
	}
	for _, s := range l {
		if s.connected != connected && !(connected && s.again) {
			continue
		}
		if err := s.set(fd, d); err != nil {
			return err
		}
	}
	return nil
}

// ReadBack reads, from c (a net.Conn, net.Listener or net.PacketConn from
// Dial, Listen, ListenPacket or Accept, TLS ones included), each socket
// option o sets, as the kernel holds it: the kernel doubles buffer sizes,
// clamps some values, and a listener's options are inherited by the
// connections it accepts. Keepalive shows as keepalive, keepidle,
// keepintvl and keepcnt, on connections only: Go sets it, and nodelay,
// quickack and cork, on each connection, not on the listener.
func (o Options) ReadBack(c any) ([]Setting, error) {
	_, listener := c.(net.Listener)
	switch v := c.(type) {
	case *tls.Conn:
		c = v.NetConn()
	case *TLSListener:
		c = v.tcp
	case *socket.FD:
		listener = v.Type() != socket.Datagram
		c = fdConn{v}
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil, fmt.Errorf("read back options: %T has no socket", c)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	l := o.sockopts()
	if !listener {
		l = o.dialSockopts() // fast open is the connect flag on a connection
	}
	var out []Setting
	cerr := rc.Control(func(fd uintptr) {
		d, derr := socket.DomainFD(fd)
		if derr != nil {
			err = derr
			return
		}
		for _, s := range l {
			if listener && s.connected {
				continue // set on each connection accepted, not on the listener
			}
			got, rerr := s.read(fd, d)
			st := Setting{Name: s.name, Asked: s.asked, Got: got, Err: rerr}
			if rerr != nil {
				st.Got = "?"
			}
			out = append(out, st)
		}
		if ka := o.KeepAlive; ka != nil && !listener {
			out = append(out, readKeepAlive(fd, ka)...)
		}
	})
	return out, errors.Join(cerr, err)
}

// readKeepAlive reads back what a KeepAliveConfig set.
func readKeepAlive(fd uintptr, ka *net.KeepAliveConfig) []Setting {
	read := func(name string, opt socket.Option, asked string) Setting {
		v, err := socket.OptionFD(fd, opt)
		if err != nil {
			return Setting{Name: name, Asked: asked, Got: "?", Err: err}
		}
		return Setting{Name: name, Asked: asked, Got: strconv.Itoa(v)}
	}
	asked := "0"
	if ka.Enable {
		asked = "1"
	}
	out := []Setting{read("keepalive", socket.KeepAlive, asked)}
	if !ka.Enable {
		return out
	}
	if ka.Idle > 0 {
		out = append(out, read("keepidle", socket.KeepIdle, strconv.Itoa(int(ka.Idle/time.Second))))
	}
	if ka.Interval > 0 {
		out = append(out, read("keepintvl", socket.KeepInterval, strconv.Itoa(int(ka.Interval/time.Second))))
	}
	if ka.Count > 0 {
		out = append(out, read("keepcnt", socket.KeepCount, strconv.Itoa(ka.Count)))
	}
	return out
}

// keepAlive returns what Go's Dialer and ListenConfig take for o's
// keepalive: KeepAlive (negative turns probes off) and KeepAliveConfig.
func (o Options) keepAlive() (time.Duration, net.KeepAliveConfig) {
	ka := o.KeepAlive
	switch {
	case ka == nil:
		return 0, net.KeepAliveConfig{}
	case !ka.Enable:
		return -1, net.KeepAliveConfig{}
	}
	return 0, *ka
}

// keepAliveSockopts are the setsockopt(2) calls of o's keepalive, for
// sockets that package socket opens (ListenFD), where no Go Dialer or
// ListenConfig sets it. Accepted connections inherit them.
func (o Options) keepAliveSockopts() []sockopt {
	ka := o.KeepAlive
	if ka == nil {
		return nil
	}
	if !ka.Enable {
		return []sockopt{{name: "keepalive", asked: "0", opt: socket.KeepAlive}}
	}
	l := []sockopt{{name: "keepalive", asked: "1", opt: socket.KeepAlive, v: 1}}
	for _, p := range []struct {
		name string
		opt  socket.Option
		v    int
	}{{"keepidle", socket.KeepIdle, int(ka.Idle / time.Second)}, {"keepintvl", socket.KeepInterval, int(ka.Interval / time.Second)}, {"keepcnt", socket.KeepCount, ka.Count}} {
		if p.v > 0 {
			l = append(l, sockopt{name: p.name, asked: strconv.Itoa(p.v), opt: p.opt, v: p.v})
		}
	}
	return l
}

// TCPInfo reads the kernel's view of c, a TCP connection (TCP_INFO): its
// round-trip times, retransmits, congestion window, bytes acknowledged.
// c may be wrapped, as a *tls.Conn and the wrappers with a NetConn method
// are (relay.IdleConn, dump.Conn).
func TCPInfo(c net.Conn) (socket.TCPInfo, error) {
	sc, ok := ConnAs[syscall.Conn](c)
	if !ok {
		return socket.TCPInfo{}, fmt.Errorf("tcp_info: %T is not a TCP socket", c)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return socket.TCPInfo{}, err
	}
	var info socket.TCPInfo
	var ierr error
	if err := rc.Control(func(fd uintptr) { info, ierr = socket.TCPInfoFD(fd) }); err != nil {
		return socket.TCPInfo{}, err
	}
	return info, ierr
}

// Congestion is the congestion control algorithm c, a TCP connection,
// uses (TCP_CONGESTION): "cubic", "bbr".
func Congestion(c net.Conn) (string, error) {
	sc, ok := ConnAs[syscall.Conn](c)
	if !ok {
		return "", fmt.Errorf("congestion: %T is not a TCP socket", c)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return "", err
	}
	var v string
	var gerr error
	if err := rc.Control(func(fd uintptr) { v, gerr = socket.StringOptionFD(fd, socket.Congestion) }); err != nil {
		return "", err
	}
	return v, gerr
}

// fdConn gives a *socket.FD the syscall.Conn that ReadBack reads through.
type fdConn struct{ fd *socket.FD }

func (c fdConn) SyscallConn() (syscall.RawConn, error) { return fdRaw(c), nil }

type fdRaw fdConn

func (r fdRaw) Control(f func(fd uintptr)) error {
	f(uintptr(r.fd.Fd()))
	return nil
}
func (r fdRaw) Read(func(fd uintptr) bool) error  { return errors.ErrUnsupported }
func (r fdRaw) Write(func(fd uintptr) bool) error { return errors.ErrUnsupported }
