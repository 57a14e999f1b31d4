package cli_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/sockit/sockit/internal/testnet"
)

// inNS runs sockit with args inside h's namespace.
func inNS(t *testing.T, h *testnet.Host, args ...string) result {
	t.Helper()
	return sockitCmd(t, h.Command(testnet.Context(t), sockitBin, args...), "")
}

// asNobody runs sockit inside h's namespace as user and group 65534, with
// no capabilities: the unprivileged path.
func asNobody(t *testing.T, h *testnet.Host, args ...string) result {
	t.Helper()
	argv := append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", "--", sockitBin}, args...)
	return sockitCmd(t, h.Command(testnet.Context(t), "setpriv", argv...), "")
}

// routedFamily is one address family of the routed network, for the CLI.
type routedFamily struct {
	name, server, a, b, bToC, cTo string
	exceeded                      string // how ping words a TTL that ran out
	noRoute                       string // and a router without a route
	absent                        string // an address on the server's link that no host has
	noHost                        string // how a router that finds no host there words it
}

var routedFamilies = []routedFamily{
	{"ipv4", testnet.ServerIP, testnet.AClientIP, testnet.BtoAIP, testnet.BtoCIP, testnet.CtoAIP, "Time to live exceeded", "Destination Net Unreachable",
		"203.0.113.9", "Destination Host Unreachable"},
	{"ipv6", testnet.ServerIP6, testnet.AClientIP6, testnet.BtoAIP6, testnet.BtoCIP6, testnet.CtoAIP6, "Time exceeded: Hop limit", "Destination unreachable: No route",
		"2001:db8:3::9", "Destination unreachable: Address unreachable"},
}

// hopRE matches a trace line of hop n whose probes were all answered by
// addr.
func hopRE(n int, addr string, probes int) *regexp.Regexp {
	return regexp.MustCompile(fmt.Sprintf(`^%2d  %s(  \d+\.\d{3} ms){%d}$`, n, regexp.QuoteMeta(addr), probes))
}

func checkTrace(t *testing.T, r result, path ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) != len(path)+1 {
		t.Fatalf("exit %d, stderr %q, output:\n%s\nwant hops %v", r.code, r.stderr, r.stdout, path)
	}
	for i, addr := range path {
		if !hopRE(i+1, addr, 3).MatchString(lines[i+1]) {
			t.Errorf("hop %d: %q, want three answers from %s", i+1, lines[i+1], addr)
		}
	}
}

// TestRoutedCLI runs ping, trace and listen icmp:// across the routed
// network client - A - B - server.
func TestRoutedCLI(t *testing.T) {
	r := testnet.NewRouted(t)
	for _, f := range routedFamilies {
		// First, while B has sent this client no ICMP error: an IPv4
		// router's "no route" errors share a per-host budget with the
		// errors it sent in the last seconds.
		t.Run(f.name+"/link-down", func(t *testing.T) {
			r.BServer.Down(t)
			defer func() {
				r.BServer.Up(t)
				r.ViaB(t)
			}()
			res := inNS(t, r.Client, "ping", "-c", "1", "-W", "2", f.server)
			want := fmt.Sprintf("From %s icmp_seq=1 %s\n", f.b, f.noRoute)
			if res.code != 1 || !strings.Contains(res.stdout, want) || !strings.Contains(res.stdout, "1 packets transmitted, 0 received, +1 errors, 100% packet loss") {
				t.Errorf("ping: exit %d, output:\n%s\nwant %q", res.code, res.stdout, want)
			}
			res = inNS(t, r.Client, "trace", "--udp", "-q", "1", "-w", "2", f.server)
			if res.code != 1 || !regexp.MustCompile(`(?m)^ 2  `+regexp.QuoteMeta(f.b)+`  \d+\.\d{3} ms !N$`).MatchString(res.stdout) ||
				!strings.Contains(res.stderr, "stopped at hop 2: "+f.noRoute+" from "+f.b) {
				t.Errorf("trace: exit %d, stderr %q, output:\n%s", res.code, res.stderr, res.stdout)
			}
		})
		t.Run(f.name+"/host-unreachable", func(t *testing.T) {
			// B answers "host unreachable" once it has looked for the
			// absent host for 3 s: with the default wait, the mark is on
			// the third hop, where traceroute prints it, and the trace
			// ends there.
			res := inNS(t, r.Client, "trace", "-q", "1", f.absent)
			lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
			hop3 := regexp.MustCompile(`^ 3  ` + regexp.QuoteMeta(f.b) + `  \d+\.\d{3} ms !H$`)
			if res.code != 1 || len(lines) != 4 || !hop3.MatchString(lines[3]) ||
				!strings.Contains(res.stderr, "stopped at hop 3: "+f.noHost+" from "+f.b) {
				t.Errorf("exit %d, stderr %q, output:\n%s\nwant hop 3 from %s with !H, and no more", res.code, res.stderr, res.stdout, f.b)
			}
		})
		t.Run(f.name+"/ping", func(t *testing.T) {
			res := inNS(t, r.Client, "ping", "-c", "3", "-i", "0.05", f.server)
			for seq := 1; seq <= 3; seq++ {
				// 64, lowered by B and by A on the way back.
				line := regexp.MustCompile(fmt.Sprintf(`(?m)^64 bytes from %s: icmp_seq=%d ttl=62 time=\d+(\.\d+)? ms$`, regexp.QuoteMeta(f.server), seq))
				if !line.MatchString(res.stdout) {
					t.Errorf("no reply line for icmp_seq=%d with ttl 62:\n%s", seq, res.stdout)
				}
			}
			if res.code != 0 {
				t.Errorf("exit %d, stderr %q", res.code, res.stderr)
			}
		})
		t.Run(f.name+"/ttl", func(t *testing.T) {
			res := inNS(t, r.Client, "ping", "-c", "2", "-i", "0.05", "-t", "2", "-W", "2", f.server)
			for seq := 1; seq <= 2; seq++ {
				if want := fmt.Sprintf("From %s icmp_seq=%d %s\n", f.b, seq, f.exceeded); !strings.Contains(res.stdout, want) {
					t.Errorf("output lacks %q:\n%s", want, res.stdout)
				}
			}
			if res.code != 1 || !strings.Contains(res.stdout, "2 packets transmitted, 0 received, +2 errors, 100% packet loss") ||
				!strings.Contains(res.stderr, "no reply to 2 requests") {
				t.Errorf("exit %d, stderr %q, output:\n%s", res.code, res.stderr, res.stdout)
			}
		})
		t.Run(f.name+"/trace", func(t *testing.T) {
			checkTrace(t, inNS(t, r.Client, "trace", "-w", "5", f.server), f.a, f.b, f.server)
			checkTrace(t, inNS(t, r.Client, "trace", "--udp", "-w", "5", f.server), f.a, f.b, f.server)
		})
		t.Run(f.name+"/via-c", func(t *testing.T) {
			r.ViaC(t)
			defer r.ViaB(t)
			checkTrace(t, inNS(t, r.Client, "trace", "-w", "5", f.server), f.a, f.cTo, f.bToC, f.server)
			checkTrace(t, inNS(t, r.Client, "trace", "--udp", "-w", "5", f.server), f.a, f.cTo, f.bToC, f.server)
		})
		t.Run(f.name+"/unprivileged", func(t *testing.T) {
			r.Client.Sysctl(t, "net.ipv4.ping_group_range", "65534 65534")
			defer r.Client.Sysctl(t, "net.ipv4.ping_group_range", "1 0")
			res := asNobody(t, r.Client, "ping", "-v", "-c", "2", "-i", "0.05", f.server)
			if res.code != 0 || !strings.Contains(res.stderr, "datagram socket") || strings.Count(res.stdout, "ttl=62") != 2 {
				t.Errorf("ping as nobody: exit %d, stderr %q, output:\n%s", res.code, res.stderr, res.stdout)
			}
			// The router's error reaches a datagram socket on its error
			// queue.
			res = asNobody(t, r.Client, "ping", "-c", "1", "-t", "1", "-W", "2", f.server)
			if want := fmt.Sprintf("From %s icmp_seq=1 %s\n", f.a, f.exceeded); !strings.Contains(res.stdout, want) {
				t.Errorf("ping -t 1 as nobody: exit %d, output:\n%s\nwant %q", res.code, res.stdout, want)
			}
			res = asNobody(t, r.Client, "trace", "-w", "5", f.server)
			checkTrace(t, res, f.a, f.b, f.server)
			if !strings.Contains(res.stdout, "ICMP probes (datagram socket)") {
				t.Errorf("trace as nobody: %s", res.stdout)
			}
			checkTrace(t, asNobody(t, r.Client, "trace", "--udp", "-w", "5", f.server), f.a, f.b, f.server)
		})
		t.Run(f.name+"/not-allowed", func(t *testing.T) {
			res := asNobody(t, r.Client, "ping", "-c", "1", f.server)
			if res.code != 1 || strings.Count(res.stderr, "\n") != 1 || !strings.Contains(res.stderr, "CAP_NET_RAW") ||
				!strings.Contains(res.stderr, `net.ipv4.ping_group_range, which is "1 0"`) {
				t.Errorf("exit %d, stderr %q", res.code, res.stderr)
			}
		})
		t.Run(f.name+"/listen", func(t *testing.T) {
			addr := "icmp://0.0.0.0"
			if f.name == "ipv6" {
				addr = "icmp6://[::]"
			}
			l := startCmd(t, r.Client.Command(testnet.Context(t), sockitBin, "listen", addr))
			res := inNS(t, r.Client, "trace", "--udp", "-q", "1", "-w", "5", f.server)
			if res.code != 0 {
				t.Fatalf("trace: exit %d, stderr %q", res.code, res.stderr)
			}
			exceeded, port := "ICMP  type 11 (time exceeded), code 0 (Time to live exceeded)", "(Destination Port Unreachable)"
			if f.name == "ipv6" {
				exceeded, port = "ICMPv6  type 3 (time exceeded), code 0 (Time exceeded: Hop limit)", "(Destination unreachable: Port unreachable)"
			}
			l.waitOutput(t, "bytes from "+f.a+"\n", "bytes from "+f.b+"\n", "bytes from "+f.server+"\n", exceeded, port, "UDP   port ", " -> 33434\n")
			if code := l.interrupt(t); code != 0 {
				t.Errorf("listen exit %d", code)
			}
		})
	}
}
