package cli

import (
	"net"
	"net/netip"
	"strings"

	"github.com/spf13/cobra"
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
