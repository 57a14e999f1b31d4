package cli_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/sockit/sockit/internal/testnet"
)

func TestDemo(t *testing.T) {
	r := sockit(t, "", "demo")
	if r.code != 0 {
		t.Fatalf("demo exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n")[1:] {
		rows[strings.Fields(line)[0]] = line
	}
	// A TCP row shows the server's port and the client's own ephemeral one.
	tcpRow := regexp.MustCompile(`^tcp4\s+SOCK_STREAM\s+AF_INET\s+tcp\s+127\.0\.0\.1:(\d+)\s+127\.0\.0\.1:(\d+)\s+\d+\s+\S+\s+verified$`)
	if m := tcpRow.FindStringSubmatch(rows["tcp4"]); m == nil || m[1] == m[2] {
		t.Errorf("tcp4 row %q does not show server and client ports", rows["tcp4"])
	}
	for _, name := range []string{"tcp4", "tcp6", "udp4", "udp6", "unix", "unixgram", "unixpacket", "abstract"} {
		row, ok := rows[name]
		switch {
		case !ok:
			t.Errorf("demo has no %s row:\n%s", name, r.stdout)
		case strings.HasSuffix(name, "6") && !testnet.HasIPv6():
			if !strings.Contains(row, "skipped: no IPv6") {
				t.Errorf("%s row without IPv6: %q", name, row)
			}
		case !strings.HasSuffix(row, "verified"):
			t.Errorf("%s row not verified: %q", name, row)
		}
	}
	if !strings.Contains(rows["unixgram"], " @") {
		t.Errorf("unixgram row should show the client's autobound abstract name: %q", rows["unixgram"])
	}
}

func TestDemoJSON(t *testing.T) {
	r := sockit(t, "", "demo", "--json")
	var rows []struct {
		Name, Socket, Family, Proto, Server, Client string
		Bytes                                       int
		RTT                                         int64 `json:"rtt_ns"`
		Verified                                    bool
		Skipped                                     string
	}
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || r.code != 0 {
		t.Fatalf("demo --json: %v, exit %d\n%s", err, r.code, r.stdout)
	}
	if len(rows) != 8 {
		t.Fatalf("%d rows, want 8", len(rows))
	}
	for _, row := range rows {
		if row.Skipped == "" && (!row.Verified || row.Bytes == 0 || row.RTT <= 0 || row.Server == "" || row.Client == "") {
			t.Errorf("incomplete row %+v", row)
		}
	}
}

// TestDemoTrace checks that the trace shows the real lifecycle: the listener
// that socket() created is the one accept4 is called on, and accept4's new
// descriptor is the one the server receives on.
func TestDemoTrace(t *testing.T) {
	r := sockit(t, "", "demo", "--trace")
	if r.code != 0 {
		t.Fatalf("demo --trace exit %d: %s", r.code, r.stderr)
	}
	out := r.stdout
	for _, want := range []string{
		"host   gethostname(",
		"server socket(AF_INET, SOCK_STREAM",
		"SOL_SOCKET, SO_REUSEADDR, 1) = 0",
		"server listen(",
		"client connect(",
		"client send(",
		"server recv(",
		"client shutdown(",
		"SHUT_WR) = 0",
		"server socket(AF_INET, SOCK_DGRAM",
		"client sendto(",
		"server recvfrom(",
		"server sendto(",
		"client recvfrom(",
		"client close(",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q", want)
		}
	}
	listener := regexp.MustCompile(`server socket\(AF_INET, SOCK_STREAM[^)]*\) = (\d+)`).FindStringSubmatch(out)
	if listener == nil {
		t.Fatalf("no server stream socket in trace:\n%s", out)
	}
	accept := regexp.MustCompile(`server accept4\((\d+), SOCK_NONBLOCK\|SOCK_CLOEXEC\) = (\d+)`).FindStringSubmatch(out)
	if accept == nil || accept[1] != listener[1] {
		t.Fatalf("accept4 not on the listening descriptor %s:\n%s", listener[1], out)
	}
	if !strings.Contains(out, "server recv("+accept[2]+", ") {
		t.Errorf("the server does not receive on accept4's descriptor %s:\n%s", accept[2], out)
	}
}

// TestDemoWithoutIPv6 runs the demo in a network namespace of its own with
// IPv6 turned off: tcp6 and udp6 are skipped with the reason, the rest
// still verify, and demo exits 0.
func TestDemoWithoutIPv6(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a network namespace")
	}
	for _, tool := range []string{"unshare", "ip", "sysctl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (util-linux, iproute2, procps): %v", tool, err)
		}
	}
	script := `ip link set lo up &&
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 &&
sysctl -qw net.ipv6.conf.lo.disable_ipv6=1 &&
exec "$0" demo`
	r := sockitCmd(t, exec.CommandContext(testnet.Context(t), "unshare", "--net", "sh", "-c", script, sockitBin), "")
	if r.code != 0 {
		t.Fatalf("demo without IPv6: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n")[1:] {
		name := strings.Fields(line)[0]
		want := "verified"
		if strings.HasSuffix(name, "6") {
			want = "skipped: no IPv6 on this host"
		}
		if !strings.HasSuffix(line, want) {
			t.Errorf("%s row %q, want it to end %q", name, line, want)
		}
	}
}
