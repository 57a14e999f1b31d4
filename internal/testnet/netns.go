package testnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// commandTimeout bounds every command the helper runs.
const commandTimeout = 30 * time.Second

// netnsSeq numbers the namespaces and links this process makes, so that
// names never repeat within it; the pid keeps them apart across processes.
var netnsSeq atomic.Int64

// Net is a set of network namespaces built for one test and removed with
// it: hosts (each a namespace with its own interfaces, routes and
// sysctls) joined by links (veth pairs).
type Net struct {
	t      testing.TB
	prefix string

	mu    sync.Mutex
	hosts []*Host
}

// New returns an empty Net whose namespaces are deleted when the test
// ends. It skips the test, saying why, when this process cannot build
// namespaces: not root, no ip command (iproute2), or no netns support.
func New(t testing.TB) *Net {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root (CAP_SYS_ADMIN and CAP_NET_ADMIN); run the tests as root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("ip (iproute2) is not installed; install it to build test networks")
	}
	n := &Net{t: t, prefix: fmt.Sprintf("sk%d-%d", os.Getpid(), netnsSeq.Add(1))}
	probe := n.prefix + "-probe"
	if out, err := run("ip", "netns", "add", probe); err != nil {
		t.Skipf("cannot make a network namespace (ip netns add: %v: %s)", err, strings.TrimSpace(string(out)))
	}
	run("ip", "netns", "del", probe)
	t.Cleanup(n.teardown)
	return n
}

// run runs a command with the helper's timeout and returns its combined
// output.
func run(name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	return exec.CommandContext(ctx, name, args...).CombinedOutput()
}

// must runs a command and fails t if it fails.
func must(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := run(name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out)
}

// teardown deletes every namespace; their veth ends go with them.
func (n *Net) teardown() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, h := range n.hosts {
		if out, err := run("ip", "netns", "del", h.name); err != nil {
			n.t.Errorf("removing namespace %s: %v: %s", h.name, err, strings.TrimSpace(string(out)))
		}
	}
	n.hosts = nil
}

// Host is one network namespace of a Net: a host, or a router once
// Forward is called.
type Host struct {
	net  *Net
	name string
	nics atomic.Int64 // interfaces made here, for their names
}

// Host makes a namespace with its loopback interface up. name appears in
// the namespace's name and in messages.
func (n *Net) Host(name string) *Host {
	n.t.Helper()
	h := &Host{net: n, name: n.prefix + "-" + name}
	must(n.t, "ip", "netns", "add", h.name)
	n.mu.Lock()
	n.hosts = append(n.hosts, h)
	n.mu.Unlock()
	h.Run(n.t, "ip", "link", "set", "lo", "up")
	// Keep IPv6 addresses on an interface set down, as IPv4 keeps its
	// own, so that Link.Up restores the link as it was.
	h.Sysctl(n.t, "net.ipv6.conf.all.keep_addr_on_down", "1")
	h.Sysctl(n.t, "net.ipv6.conf.default.keep_addr_on_down", "1")
	// No duplicate address detection on the interfaces made here, for
	// link-local addresses too: until a link-local address has passed
	// it, neighbour discovery on its link sends nothing, and the first
	// IPv6 packets across a new link would be lost.
	h.Sysctl(n.t, "net.ipv6.conf.all.accept_dad", "0")
	h.Sysctl(n.t, "net.ipv6.conf.default.accept_dad", "0")
	return h
}

// Name returns the namespace's name, as `ip netns exec NAME` takes it.
func (h *Host) Name() string { return h.name }

// The methods that change a host or a link take the test (or subtest)
// that makes the change, which fails if the change cannot be made.

// Run runs a command inside the namespace (ip netns exec) and returns its
// combined output; t fails if the command does.
func (h *Host) Run(t testing.TB, args ...string) string {
	t.Helper()
	return must(t, "ip", append([]string{"netns", "exec", h.name}, args...)...)
}

// Command returns, not started, the command that runs name with args
// inside the namespace (ip netns exec).
func (h *Host) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", h.name, name}, args...)...)
}

// Sysctl sets a kernel parameter of the namespace, such as
// "net.ipv4.ping_group_range" to "0 2147483647". The net.* parameters
// are per namespace.
func (h *Host) Sysctl(t testing.TB, key, value string) {
	t.Helper()
	h.Run(t, "sysctl", "-q", "-w", key+"="+value)
}

// Forward makes the host a router: it forwards IPv4 and IPv6 packets
// between its interfaces. It also lifts the kernel's rate limit on the
// ICMP errors it sends (time exceeded, unreachable), so that every probe
// of a test gets its answer.
func (h *Host) Forward(t testing.TB) {
	t.Helper()
	h.Sysctl(t, "net.ipv4.ip_forward", "1")
	h.Sysctl(t, "net.ipv6.conf.all.forwarding", "1")
	h.NoICMPRateLimit(t)
}

// NoICMPRateLimit lifts the limit on the ICMP errors the host sends (by
// default one a second to each peer after a small burst).
func (h *Host) NoICMPRateLimit(t testing.TB) {
	t.Helper()
	h.Sysctl(t, "net.ipv4.icmp_ratelimit", "0")
	h.Sysctl(t, "net.ipv6.icmp.ratelimit", "0")
}

// Route adds or replaces the route to dst ("default" or a CIDR prefix)
// through the gateway via; an IPv6 route if via is an IPv6 address.
func (h *Host) Route(t testing.TB, dst, via string) {
	t.Helper()
	args := []string{"ip"}
	if strings.Contains(via, ":") {
		args = append(args, "-6")
	}
	h.Run(t, append(args, "route", "replace", dst, "via", via)...)
}

// Do runs fn on an OS thread that has joined the host's namespace
// (setns(2)), so that sockets fn opens live there; a socket keeps its
// namespace for life, so fn may return it for use anywhere. Goroutines fn
// starts do not run in the namespace. The thread returns to its own
// namespace afterwards; if it cannot, the runtime discards it.
func (h *Host) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		back, err := os.Open(fmt.Sprintf("/proc/%d/task/%d/ns/net", os.Getpid(), syscall.Gettid()))
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer back.Close()
		target, err := os.Open("/run/netns/" + h.name)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer target.Close()
		if err := setns(target); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("setns %s: %w", h.name, err)
			return
		}
		ferr := fn()
		if err := setns(back); err != nil {
			// Leave the thread locked: it dies with this goroutine.
			errc <- errors.Join(ferr, fmt.Errorf("setns back from %s: %w", h.name, err))
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// setns moves the calling thread into the network namespace of f.
func setns(f *os.File) error {
	_, _, e := syscall.RawSyscall(sysSetns, f.Fd(), syscall.CLONE_NEWNET, 0)
	if e != 0 {
		return e
	}
	return nil
}

// Link is a veth pair: a cable between two hosts.
type Link struct {
	a, b         *Host
	aName, bName string
}

// Link joins a and b with a veth pair made directly in their namespaces,
// gives each end the addresses in CIDR form (such as "192.0.2.1/24",
// "2001:db8:1::1/64"; IPv6 ones without duplicate address detection, so
// they are usable at once), and brings both ends up.
func (n *Net) Link(a *Host, aAddrs []string, b *Host, bAddrs []string) *Link {
	n.t.Helper()
	l := &Link{a: a, b: b, aName: "v" + strconv.FormatInt(a.nics.Add(1), 10), bName: "v" + strconv.FormatInt(b.nics.Add(1), 10)}
	// A temporary name in the root namespace would collide with other
	// tests: create each end inside its namespace.
	must(n.t, "ip", "-n", a.name, "link", "add", l.aName, "type", "veth", "peer", "name", l.bName, "netns", b.name)
	for _, end := range []struct {
		h     *Host
		nic   string
		addrs []string
	}{{a, l.aName, aAddrs}, {b, l.bName, bAddrs}} {
		for _, addr := range end.addrs {
			args := []string{"-n", end.h.name, "addr", "add", addr, "dev", end.nic}
			if strings.Contains(addr, ":") {
				args = append(args, "nodad")
			}
			must(n.t, "ip", args...)
		}
	}
	l.Up(n.t)
	return l
}

// Names returns the interface names of the link's ends in a and in b.
func (l *Link) Names() (a, b string) { return l.aName, l.bName }

// Down sets both ends down: the cable is cut, and the routes through it
// go with it (Up does not bring back the ones Host.Route added).
func (l *Link) Down(t testing.TB) {
	t.Helper()
	must(t, "ip", "-n", l.a.name, "link", "set", l.aName, "down")
	must(t, "ip", "-n", l.b.name, "link", "set", l.bName, "down")
}

// Up sets both ends up.
func (l *Link) Up(t testing.TB) {
	t.Helper()
	must(t, "ip", "-n", l.a.name, "link", "set", l.aName, "up")
	must(t, "ip", "-n", l.b.name, "link", "set", l.bName, "up")
}

// WaitIPv6 returns once a UDP datagram sent from a's end reaches addr, an
// IPv6 address of b's end: a new link's IPv6 input drops what arrives
// (Ip6InNoRoutes) for about a second after both ends are up, although
// its addresses skip duplicate address detection. Each try waits 100 ms
// for its datagram; the whole wait is bounded by the test's deadline.
func (l *Link) WaitIPv6(t testing.TB, addr string) {
	t.Helper()
	ctx := Context(t)
	target := net.JoinHostPort(addr, "6000")
	var recv net.PacketConn
	if err := l.b.Do(func() error {
		var err error
		recv, err = net.ListenPacket("udp6", target)
		return err
	}); err != nil {
		t.Fatalf("waiting for IPv6 on %s: %v", l.bName, err)
	}
	defer recv.Close()
	var send net.Conn
	if err := l.a.Do(func() error {
		var err error
		send, err = net.Dial("udp6", target)
		return err
	}); err != nil {
		t.Fatalf("waiting for IPv6 on %s: %v", l.aName, err)
	}
	defer send.Close()
	buf := make([]byte, 16)
	for ctx.Err() == nil {
		send.Write([]byte("ready?"))
		recv.SetReadDeadline(time.Now().Add(100 * time.Millisecond)) // a wait for each try, not an assertion
		if _, _, err := recv.ReadFrom(buf); err == nil {
			return
		}
	}
	t.Fatalf("no IPv6 datagram got from %s to %s", l.aName, addr)
}
