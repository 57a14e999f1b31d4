package cli

import (
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sockit/sockit/endpoint"
)

// ncFlags are the netcat habits connect and listen accept: they build an
// address from nc's "HOST PORT" form and its -u, -U, -4, -6 and -n.
type ncFlags struct {
	listen  bool // -l
	udp     bool // -u
	unix    bool // -U
	ipv4    bool // -4
	ipv6    bool // -6
	numeric bool // -n

	// The socket's own: nc's -p, -s, -I, -O, -T, -M, -b, -D (apply).
	port      int    // -p: a dial's source port; listening, the port
	source    string // -s: a dial's source address; listening, the address
	recvBuf   int    // -I
	sendBuf   int    // -O
	tos       string // -T
	ttl       int    // -M
	broadcast bool   // -b
	debug     bool   // -D

	crlf     bool // -C: standard input's line ends are sent as CRLF
	shutdown bool // -N: the rule already; accepted
}

func (f *ncFlags) addFlags(cmd *cobra.Command, listening bool) {
	fs := cmd.Flags()
	if listening {
		fs.BoolVarP(&f.listen, "listen", "l", false, "accepted for nc's sake: listen always listens")
	} else {
		fs.BoolVarP(&f.listen, "listen", "l", false, "listen instead, as nc -l does (the same as sockit listen)")
	}
	fs.BoolVarP(&f.udp, "udp", "u", false, "nc's -u: HOST PORT or :PORT is udp (with -U: unixgram)")
	fs.BoolVarP(&f.unix, "unix", "U", false, "nc's -U: the argument is a Unix socket path")
	fs.BoolVarP(&f.ipv4, "ipv4", "4", false, "IPv4 only (tcp4, udp4)")
	fs.BoolVarP(&f.ipv6, "ipv6", "6", false, "IPv6 only (tcp6, udp6)")
	fs.BoolVarP(&f.numeric, "numeric", "n", false, "the host must be a numeric IP address: no name lookup")
	if listening {
		fs.IntVarP(&f.port, "source-port", "p", 0, "nc's -p: the port to listen on, when no argument gives one (-lvp 4444)")
		fs.StringVarP(&f.source, "source", "s", "", "nc's -s: the address to listen on, when no argument gives one")
	} else {
		fs.IntVarP(&f.port, "source-port", "p", 0, "nc's -p: the local port to connect from (with -l: the port to listen on)")
		fs.StringVarP(&f.source, "source", "s", "", "nc's -s: the local address to connect from (with -l: the address to listen on)")
	}
	fs.BoolVarP(&f.crlf, "crlf", "C", false, "send standard input's line ends as CRLF (\\r\\n), as nc -C and ncat -C do")
	fs.BoolVarP(&f.shutdown, "shutdown", "N", false, "nc's -N: shut down the write side when standard input ends; sockit always does (see --no-shutdown)")
	fs.VarP(sizeValue{&f.recvBuf}, "recv-buffer", "I", "nc's -I: the socket's receive buffer, bytes or with k or m (?rcvbuf=)")
	fs.VarP(sizeValue{&f.sendBuf}, "send-buffer", "O", "nc's -O: the socket's send buffer, bytes or with k or m (?sndbuf=)")
	fs.StringVarP(&f.tos, "tos", "T", "", "nc's -T: the TOS byte: lowdelay, throughput, reliability, mincost, ef, af11-af43, cs0-cs7, or a number (?tos=)")
	fs.IntVarP(&f.ttl, "ttl", "M", 0, "nc's -M: the TTL or hop limit of packets sent (?ttl=)")
	fs.BoolVarP(&f.broadcast, "broadcast", "b", false, "nc's -b: a udp socket may send to broadcast addresses (?broadcast)")
	fs.BoolVarP(&f.debug, "debug-socket", "D", false, "nc's -D: set SO_DEBUG on the socket (?debug; needs CAP_NET_ADMIN)")
	addNCRefusals(cmd, listening)
	cmd.MarkFlagsMutuallyExclusive("ipv4", "ipv6")
	cmd.MarkFlagsMutuallyExclusive("unix", "ipv4")
	cmd.MarkFlagsMutuallyExclusive("unix", "ipv6")
}

// set reports whether any flag that shapes the address is set.
func (f *ncFlags) set() bool { return f.udp || f.unix || f.ipv4 || f.ipv6 }

// scheme is the address scheme the flags ask for.
func (f *ncFlags) scheme() string {
	base := "tcp"
	switch {
	case f.unix && f.udp:
		return "unixgram"
	case f.unix:
		return "unix"
	case f.udp:
		base = "udp"
	}
	switch {
	case f.ipv4:
		return base + "4"
	case f.ipv6:
		return base + "6"
	}
	return base
}

// hasScheme reports whether s names its network itself: "tcp://...",
// "unix:...", "exec:...".
func hasScheme(s string) bool {
	if strings.Contains(s, "://") {
		return true
	}
	for _, p := range []string{"unix:", "unixgram:", "unixpacket:", "exec:"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// address turns the arguments into one sockit address: ADDR as it is, or
// nc's [HOST] PORT and PATH forms shaped by the flags. A bare PORT means
// every interface when listening.
func (f *ncFlags) address(args []string, listening bool) (string, error) {
	cmdName := "connect"
	if listening {
		cmdName = "listen"
	}
	if f.port < 0 || f.port > 65535 {
		return "", usageErrorf("-p %d: a port is 0 to 65535", f.port)
	}
	if len(args) == 0 {
		// nc -l -p PORT [-s ADDR]: the listening address from the flags.
		if !listening || f.port == 0 {
			return "", usageErrorf("%s wants an address (or, listening, -p PORT)", cmdName)
		}
		host := strings.Trim(f.source, "[]")
		addr := f.scheme() + "://" + net.JoinHostPort(host, strconv.Itoa(f.port))
		return addr, f.checkNumeric(addr)
	}
	if listening && (f.port != 0 || f.source != "") {
		return "", usageErrorf("%s: give the address once: as arguments, or as -s and -p", cmdName)
	}
	if len(args) == 1 && !allDigits(args[0]) && (!f.set() || hasScheme(args[0])) {
		// A sockit address, as it is.
		if f.set() {
			return "", usageErrorf("%s %s: the address names its network; -u, -U, -4 and -6 are for nc's HOST PORT form", cmdName, args[0])
		}
		return args[0], f.checkNumeric(args[0])
	}
	if f.unix {
		if len(args) != 1 {
			return "", usageErrorf("%s -U wants one socket path, got %d arguments", cmdName, len(args))
		}
		return f.scheme() + ":" + args[0], nil
	}
	var hostPort string
	switch {
	case len(args) == 2:
		if !allDigits(args[1]) {
			return "", usageErrorf("%s %s %s: %q is not a port number", cmdName, args[0], args[1], args[1])
		}
		hostPort = net.JoinHostPort(strings.Trim(args[0], "[]"), args[1])
	case allDigits(args[0]) && listening:
		hostPort = ":" + args[0]
	case allDigits(args[0]):
		return "", usageErrorf("connect %s: connect to which host? (connect HOST %s, or connect :%s for this one)", args[0], args[0], args[0])
	default:
		hostPort = args[0]
	}
	addr := f.scheme() + "://" + hostPort
	return addr, f.checkNumeric(addr)
}

// checkNumeric enforces -n: a host that is a name is refused, not looked
// up.
func (f *ncFlags) checkNumeric(addr string) error {
	if !f.numeric {
		return nil
	}
	ep, err := parseEndpoint(addr)
	if err != nil || ep.IsUnix() || ep.Type() == 0 {
		return err
	}
	host, _, err := net.SplitHostPort(ep.Address)
	if err != nil || host == "" {
		return nil
	}
	if _, err := netip.ParseAddr(host); err != nil {
		return usageErrorf("-n: %q is a name, and -n says no name lookups: give a numeric address", host)
	}
	return nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// apply sets on ep the socket options nc's flags ask for. A dial's -s and
// -p are its ?bind= address; listening, they named the address (address).
func (f *ncFlags) apply(ep *endpoint.Endpoint, listening bool) error {
	o := &ep.Options
	query := func(name, value string) error {
		// The flags go through the address grammar, so that they are
		// checked, and refused for the wrong socket or when the address
		// gives the option too, as ?name= is.
		addr := ep.String()
		sep := "?"
		if strings.Contains(addr, "?") {
			sep = "&"
		}
		parsed, err := endpoint.Parse(addr + sep + name + "=" + value)
		if err != nil {
			var perr *endpoint.ParseError
			if errors.As(err, &perr) {
				return usageErrorf("%s", perr.Reason)
			}
			return &usageError{err}
		}
		*ep = parsed
		return nil
	}
	if !listening && (f.port != 0 || f.source != "") {
		if o.Bind != "" {
			return usageErrorf("-s and -p set the source address that ?bind= sets: give one")
		}
		bind := strings.Trim(f.source, "[]")
		if f.port != 0 {
			bind = net.JoinHostPort(bind, strconv.Itoa(f.port))
		} else if strings.Contains(bind, ":") {
			bind = "[" + bind + "]"
		}
		if err := query("bind", bind); err != nil {
			return err
		}
	}
	for _, q := range []struct {
		set         bool
		name, value string
	}{
		{f.recvBuf > 0, "rcvbuf", strconv.Itoa(f.recvBuf)},
		{f.sendBuf > 0, "sndbuf", strconv.Itoa(f.sendBuf)},
		{f.tos != "", "tos", f.tos},
		{f.ttl != 0, "ttl", strconv.Itoa(f.ttl)},
		{f.broadcast, "broadcast", "1"},
		{f.debug, "debug", "1"},
	} {
		if !q.set {
			continue
		}
		if err := query(q.name, q.value); err != nil {
			return err
		}
	}
	return nil
}

// ncPositional checks connect's and listen's arguments: one address, nc's HOST
// PORT, or none when -p gives the port to listen on.
func ncPositional(f *ncFlags) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 && f.port != 0 {
			return nil
		}
		return argsBetween(1, 2)(cmd, args)
	}
}
