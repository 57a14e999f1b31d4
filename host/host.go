package host

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/sockit/sockit/socket"
)

// Info is what Inspect found.
type Info struct {
	Hostname       string      `json:"hostname"`
	Interfaces     []Interface `json:"interfaces"`
	EphemeralPorts PortRange   `json:"ephemeral_ports"` // net.ipv4.ip_local_port_range
	Somaxconn      int         `json:"somaxconn"`       // net.core.somaxconn: the listen backlog ceiling
	OpenFiles      Limit       `json:"open_files"`      // RLIMIT_NOFILE
	IPv6           Check       `json:"ipv6"`            // can bind [::1]
	Raw            Check       `json:"raw"`             // can open a raw ICMP socket (CAP_NET_RAW)
	PingSocket     Check       `json:"ping_socket"`     // can open an unprivileged ICMP datagram socket
}

// Interface is one network interface and its addresses.
type Interface struct {
	Name  string   `json:"name"`
	Index int      `json:"index"`
	MTU   int      `json:"mtu"`
	Flags string   `json:"flags"`
	Addrs []string `json:"addrs"` // CIDR form, e.g. 127.0.0.1/8
}

// PortRange is an inclusive range of ports.
type PortRange struct {
	First int `json:"first"`
	Last  int `json:"last"`
}

// Limit is a resource limit's soft and hard values.
type Limit struct {
	Soft uint64 `json:"soft"`
	Hard uint64 `json:"hard"`
}

// Check is whether something works here and, if not, why.
type Check struct {
	OK     bool   `json:"ok"`
	Reason string `json:"reason,omitempty"`
}

// procRoot holds the kernel's tunables.
const procRoot = "/proc/sys/net"

// Inspect reads what this host offers. It fails only when the host name
// cannot be read; a figure that cannot be read is left zero.
func Inspect() (Info, error) {
	var info Info
	var err error
	if info.Hostname, err = socket.Gethostname(nil); err != nil {
		return Info{}, fmt.Errorf("host name: %w", err)
	}
	info.Interfaces, _ = interfaces()
	if b, err := os.ReadFile(procRoot + "/ipv4/ip_local_port_range"); err == nil {
		info.EphemeralPorts, _ = ParsePortRange(string(b))
	}
	if b, err := os.ReadFile(procRoot + "/core/somaxconn"); err == nil {
		info.Somaxconn, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil {
		info.OpenFiles = Limit{Soft: rl.Cur, Hard: rl.Max}
	}
	info.IPv6 = IPv6()
	info.Raw = checkSocket(socket.INET, socket.Raw, "CAP_NET_RAW (run as root, or setcap cap_net_raw+ep on the binary)")
	info.PingSocket = checkSocket(socket.INET, socket.Datagram, "a group in net.ipv4.ping_group_range (sysctl -w net.ipv4.ping_group_range='0 2147483647')")
	return info, nil
}

func interfaces() ([]Interface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	out := make([]Interface, 0, len(ifs))
	for _, ifc := range ifs {
		i := Interface{Name: ifc.Name, Index: ifc.Index, MTU: ifc.MTU, Flags: ifc.Flags.String()}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			i.Addrs = append(i.Addrs, a.String())
		}
		out = append(out, i)
	}
	return out, nil
}

// ParsePortRange reads the two numbers of ip_local_port_range.
func ParsePortRange(s string) (PortRange, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return PortRange{}, fmt.Errorf("port range %q: want two numbers", s)
	}
	first, err1 := strconv.ParseUint(f[0], 10, 16)
	last, err2 := strconv.ParseUint(f[1], 10, 16)
	if err := errors.Join(err1, err2); err != nil || first > last {
		return PortRange{}, fmt.Errorf("port range %q: want two ports, the first not above the second", s)
	}
	return PortRange{First: int(first), Last: int(last)}, nil
}

// IPv6 reports whether this host's IPv6 loopback can be bound, and if not
// why: a kernel without IPv6, or with it disabled, refuses [::1].
func IPv6() Check {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return Check{Reason: fmt.Sprintf("cannot bind [::1]: %v", errors.Unwrap(err))}
	}
	ln.Close()
	return Check{OK: true}
}

// checkSocket opens an ICMP socket of type t and reports what is missing
// when the kernel refuses it.
func checkSocket(d socket.Domain, t socket.Type, need string) Check {
	const ipprotoICMP = 1
	fd, err := socket.Socket(d, t, ipprotoICMP, nil)
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return Check{Reason: "needs " + need}
		}
		return Check{Reason: err.Error()}
	}
	fd.Close()
	return Check{OK: true}
}
