package cli_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/sockit/sockit/internal/testnet"
)

// needRaw skips a test when this process may not open raw sockets; CI
// runs as root, where it may.
func needRaw(t *testing.T) {
	t.Helper()
	if r := sockit(t, "", "ping", "--socket", "raw", "-c", "1", "127.0.0.1"); strings.Contains(r.stderr, "CAP_NET_RAW") {
		t.Skip("no raw sockets here")
	}
}

func loopbackHosts() []string {
	hosts := []string{"127.0.0.1"}
	if testnet.HasIPv6() {
		hosts = append(hosts, "::1")
	}
	return hosts
}

var (
	pingReplyLine = regexp.MustCompile(`^64 bytes from (\S+): icmp_seq=(\d+) ttl=64 time=\d+\.\d+ ms$`)
	pingStatsLine = regexp.MustCompile(`^3 packets transmitted, 3 received, 0% packet loss, time \d+ms$`)
	pingRTTLine   = regexp.MustCompile(`^rtt min/avg/max/mdev = [\d.]+/[\d.]+/[\d.]+/[\d.]+ ms$`)
)

func TestPingOutput(t *testing.T) {
	needRaw(t)
	for _, host := range loopbackHosts() {
		t.Run(host, func(t *testing.T) {
			r := sockit(t, "", "ping", "-c", "3", "-i", "0.05", host)
			if r.code != 0 {
				t.Fatalf("exit %d; stderr %q", r.code, r.stderr)
			}
			lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
			// As iputils prints them: for IPv6, no space before "(".
			header := fmt.Sprintf("PING %s (%s) 56(84) bytes of data.", host, host)
			if strings.Contains(host, ":") {
				header = fmt.Sprintf("PING %s(%s) 56 data bytes", host, host)
			}
			if len(lines) != 8 || lines[0] != header || lines[4] != "" || lines[5] != "--- "+host+" ping statistics ---" ||
				!pingStatsLine.MatchString(lines[6]) || !pingRTTLine.MatchString(lines[7]) {
				t.Fatalf("output:\n%s", r.stdout)
			}
			for i, l := range lines[1:4] {
				m := pingReplyLine.FindStringSubmatch(l)
				if m == nil || m[1] != host || m[2] != fmt.Sprint(i+1) {
					t.Errorf("reply line %q", l)
				}
			}
		})
	}
}

// TestPingTimeUnanswered checks the summary's time when no reply comes:
// iputils counts from the first request to the last, not the wait for
// replies after it, so one request makes "time 0ms".
func TestPingTimeUnanswered(t *testing.T) {
	needRaw(t)
	for _, host := range loopbackHosts() {
		t.Run(host, func(t *testing.T) {
			h := testnet.New(t).Host("silent")
			key := "net.ipv4.icmp_echo_ignore_all"
			if strings.Contains(host, ":") {
				key = "net.ipv6.icmp.echo_ignore_all"
			}
			h.Sysctl(t, key, "1")
			r := inNS(t, h, "ping", "-c", "1", "-W", "0.2", host)
			if want := "1 packets transmitted, 0 received, 100% packet loss, time 0ms\n"; r.code != 1 || !strings.Contains(r.stdout, want) {
				t.Errorf("exit %d, output:\n%s\nwant exit 1 and %q", r.code, r.stdout, want)
			}
		})
	}
}

func TestPingQuietAndJSON(t *testing.T) {
	needRaw(t)
	r := sockit(t, "", "ping", "-q", "-c", "3", "-i", "0.01", "-s", "100", "127.0.0.1")
	if r.code != 0 || strings.Contains(r.stdout, "bytes from") || !strings.Contains(r.stdout, "3 packets transmitted, 3 received") {
		t.Fatalf("-q: exit %d, output:\n%s", r.code, r.stdout)
	}
	r = sockit(t, "", "ping", "--json", "-c", "4", "-i", "0.01", "-s", "16", "127.0.0.1")
	var rep struct {
		Address     string  `json:"address"`
		Socket      string  `json:"socket"`
		Transmitted int     `json:"transmitted"`
		Received    int     `json:"received"`
		Loss        float64 `json:"loss_percent"`
		RTT         struct{ Min, Avg, Max, Mdev float64 }
		Replies     []struct {
			Seq   int     `json:"seq"`
			Bytes int     `json:"bytes"`
			TTL   int     `json:"ttl"`
			RTT   float64 `json:"rtt_ms"`
		} `json:"replies"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("--json: %v in %q", err, r.stdout)
	}
	if rep.Address != "127.0.0.1" || rep.Socket != "raw" || rep.Transmitted != 4 || rep.Received != 4 || rep.Loss != 0 || len(rep.Replies) != 4 {
		t.Fatalf("--json: %+v", rep)
	}
	for i, reply := range rep.Replies {
		if reply.Seq != i+1 || reply.Bytes != 24 || reply.TTL != 64 || reply.RTT <= 0 {
			t.Errorf("reply %+v", reply)
		}
	}
}

func TestPingUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-4", "-6", "localhost"}, "-4 and -6 exclude each other"},
		{[]string{"-c", "-1", "127.0.0.1"}, "-c wants 0 or more"},
		{[]string{"-s", "70000", "127.0.0.1"}, "-s wants 0 to 65507 bytes"},
		{[]string{"-t", "300", "127.0.0.1"}, "-t wants a TTL of 1 to 255"},
		{[]string{"-i", "soon", "127.0.0.1"}, "neither seconds nor a duration"},
		{[]string{"--socket", "cooked", "127.0.0.1"}, `socket kind "cooked": want auto, raw or datagram`},
		{[]string{"-6", "127.0.0.1"}, "127.0.0.1 is not an IPv6 address (-6)"},
		{[]string{}, "wants 1 argument"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := sockit(t, "", append([]string{"ping"}, tt.args...)...)
			if r.code != 2 || !strings.Contains(r.stderr, tt.want) || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want exit 2 and one line with %q", r.code, r.stderr, tt.want)
			}
		})
	}
}

func TestTraceLoopbackCLI(t *testing.T) {
	needRaw(t)
	for _, host := range loopbackHosts() {
		for _, probe := range []string{"--icmp", "--udp"} {
			t.Run(host+probe, func(t *testing.T) {
				r := sockit(t, "", "trace", probe, "-w", "5", host)
				lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
				hop := regexp.MustCompile(`^ 1  ` + regexp.QuoteMeta(host) + `(  \d+\.\d{3} ms){3}$`)
				if r.code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], "trace to "+host+" ("+host+"), 30 hops max") || !hop.MatchString(lines[1]) {
					t.Fatalf("exit %d, stderr %q, output:\n%s", r.code, r.stderr, r.stdout)
				}
			})
		}
	}
	r := sockit(t, "", "trace", "--json", "-q", "1", "127.0.0.1")
	var rep struct {
		Reached bool `json:"reached"`
		Hops    []struct {
			TTL    int `json:"ttl"`
			Probes []struct {
				From    string `json:"from"`
				Reached bool   `json:"reached"`
			} `json:"probes"`
		} `json:"hops"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || !rep.Reached || len(rep.Hops) != 1 || len(rep.Hops[0].Probes) != 1 ||
		rep.Hops[0].Probes[0].From != "127.0.0.1" {
		t.Fatalf("--json: %v, %+v in %q", err, rep, r.stdout)
	}
}

func TestTraceUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--udp", "--icmp", "127.0.0.1"}, "--udp and --icmp exclude each other"},
		{[]string{"-q", "0", "127.0.0.1"}, "-q wants 1 to 10"},
		{[]string{"-f", "5", "-m", "3", "127.0.0.1"}, "want 1 <= -f <= -m <= 255"},
		{[]string{"-p", "0", "--udp", "127.0.0.1"}, "-p wants a port"},
	}
	for _, tt := range tests {
		r := sockit(t, "", append([]string{"trace"}, tt.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("trace %v: exit %d, stderr %q; want exit 2 and %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
}

// TestListenICMP prints the packets of a ping, decoded layer by layer.
func TestListenICMP(t *testing.T) {
	needRaw(t)
	for _, host := range loopbackHosts() {
		t.Run(host, func(t *testing.T) {
			addr, proto, ipLine := "icmp://"+host, "ICMP  ", "  IPv4  version 4, header 20 bytes, "
			if strings.Contains(host, ":") {
				addr, proto, ipLine = "icmp6://["+host+"]", "ICMPv6  ", "  IPv6  version 6, hop limit 64, next header 58 (ICMPv6), ::1 -> ::1"
			}
			l := startListen(t, addr)
			l.waitLine(t, "a raw socket: every ICMP")
			r := sockit(t, "", "ping", "-v", "-c", "1", "-s", "24", host)
			id := regexp.MustCompile(`echo identifier (\d+)`).FindStringSubmatch(r.stderr)
			if r.code != 0 || id == nil {
				t.Fatalf("ping: exit %d, stderr %q", r.code, r.stderr)
			}
			l.waitOutput(t, "(echo request), code 0, checksum", ", id "+id[1]+", seq 1, 24 bytes of data", "(echo reply), code 0")
			if code := l.interrupt(t); code != 0 {
				t.Errorf("listen exit %d", code)
			}
			out := l.stdout.String()
			for _, want := range []string{ipLine, proto + "type"} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

func TestListenICMPUsage(t *testing.T) {
	for _, args := range [][]string{{"-k", "icmp://127.0.0.1"}, {"--exec", "cat", "icmp://"}} {
		r := sockit(t, "", append([]string{"listen"}, args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, "does not apply: an icmp address has no peers") {
			t.Errorf("listen %v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
	r := sockit(t, "", "listen", "--count", "1", "tcp://127.0.0.1:0")
	if r.code != 2 || !strings.Contains(r.stderr, "--count and --json are for icmp:// addresses") {
		t.Errorf("--count on tcp: exit %d, stderr %q", r.code, r.stderr)
	}
	r = sockit(t, "", "connect", "icmp://127.0.0.1")
	if r.code == 0 || !strings.Contains(r.stderr, "icmp address is for raw receive") {
		t.Errorf("connect icmp: exit %d, stderr %q", r.code, r.stderr)
	}
}
