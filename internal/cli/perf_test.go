package cli_test

import (
	"bufio"
	"encoding/json"
	"image/png"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sockit/sockit/internal/testnet"
)

// perfServer is a running sockit perf -s and its standard output's lines.
type perfServer struct {
	addr  string // as the banner names it: tcp://[::]:40123, unix:///tmp/...
	port  string
	lines chan string
}

var perfBanner = regexp.MustCompile(`^Server listening on (\S+) `)

// startPerfServer runs sockit perf -s with args and waits for its banner.
func startPerfServer(t *testing.T, args ...string) *perfServer {
	t.Helper()
	cmd := exec.CommandContext(testnet.Context(t), sockitBin, append([]string{"perf", "-s"}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ps := &perfServer{lines: make(chan string, 1000)}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := perfBanner.FindStringSubmatch(sc.Text()); m != nil {
			ps.addr = m[1]
			break
		}
	}
	if ps.addr == "" {
		t.Fatalf("perf -s %v: no banner", args)
	}
	if i := strings.LastIndex(ps.addr, ":"); i >= 0 && !strings.HasPrefix(ps.addr, "unix") {
		ps.port = ps.addr[i+1:]
	}
	go func() {
		defer close(ps.lines)
		for sc.Scan() {
			ps.lines <- sc.Text()
		}
	}()
	return ps
}

// waitLine returns the server's first line from now on that matches re.
func (ps *perfServer) waitLine(t *testing.T, re string) string {
	t.Helper()
	r := regexp.MustCompile(re)
	for line := range ps.lines {
		if r.MatchString(line) {
			return line
		}
	}
	t.Fatalf("perf -s ended without a line matching %q", re)
	return ""
}

// TestPerfCLI: a test in text, -J and --json-stream output, TCP and UDP,
// with the lines iperf3 users read.
func TestPerfCLI(t *testing.T) {
	ps := startPerfServer(t, "-p", "0")
	r := sockit(t, "", "perf", "-c", "127.0.0.1", "-p", ps.port, "-t", "1")
	if r.code != 0 {
		t.Fatalf("perf -c: exit %d: %s", r.code, r.stderr)
	}
	for _, re := range []string{
		`(?m)^Connecting to host 127\.0\.0\.1, port ` + ps.port + `$`,
		`(?m)^\[  1\] local 127\.0\.0\.1 port \d+ connected to 127\.0\.0\.1 port ` + ps.port + `$`,
		`(?m)^\[ ID\] Interval           Transfer     Bitrate         Retr  Cwnd$`,
		`(?m)^\[  1\]   0\.00-1\.00   sec  [ \d.]+ [KMG]Bytes  [ \d.]+ [KMG]bits/sec  +\d+ +[\d.]+ [KM]Bytes`,
		`(?m)^\[  1\]   0\.00-1\.0\d   sec  [ \d.]+ [KMG]Bytes  [ \d.]+ [KMG]bits/sec +\d+             sender$`,
		`(?m)^\[  1\]   0\.00-1\.0\d   sec  [ \d.]+ [KMG]Bytes  [ \d.]+ [KMG]bits/sec                  receiver$`,
		`(?m)^perf done\.$`,
	} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("perf -c output lacks %s:\n%s", re, r.stdout)
		}
	}
	ps.waitLine(t, `^#1 Accepted connection from 127\.0\.0\.1 port \d+ \(test #1, client sockit`)
	ps.waitLine(t, `^#1 \[  1\]   0\.00-1\.0\d   sec  .*receiver$`)

	r = sockit(t, "", "perf", "-c", "127.0.0.1", "-p", ps.port, "-n", "8M", "-R", "-J")
	var doc struct {
		Start struct {
			TestStart struct {
				Reverse int `json:"reverse"`
				Bytes   int `json:"bytes"`
			} `json:"test_start"`
		} `json:"start"`
	}
	var raw struct {
		End map[string]json.RawMessage `json:"end"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &raw); err != nil || r.code != 0 {
		t.Fatalf("perf -J: exit %d, %v:\n%s", r.code, err, r.stdout)
	}
	json.Unmarshal([]byte(r.stdout), &doc)
	var sent, received struct{ Bytes int }
	json.Unmarshal(raw.End["sum_sent"], &sent)
	json.Unmarshal(raw.End["sum_received"], &received)
	if doc.Start.TestStart.Reverse != 1 || doc.Start.TestStart.Bytes != 8<<20 || sent.Bytes < 8<<20 || received.Bytes != sent.Bytes {
		t.Errorf("perf -J -R -n 8M: test_start %+v, sum_sent %d, sum_received %d", doc.Start.TestStart, sent.Bytes, received.Bytes)
	}

	r = sockit(t, "", "perf", "-c", "127.0.0.1", "-p", ps.port, "-u", "-b", "2M", "-t", "1", "-i", "0.5", "--json-stream")
	var events []string
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var e struct {
			Event string          `json:"event"`
			Data  json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("--json-stream line %q: %v", line, err)
		}
		events = append(events, e.Event)
	}
	if got := strings.Join(events, " "); got != "start interval interval end" {
		t.Errorf("--json-stream events: %s", got)
	}
}

// TestPerfReport: --report and --png write the page and the charts after
// the test, and say where; a UDP client receiving (-R) gets jitter and
// loss charts too.
func TestPerfReport(t *testing.T) {
	ps := startPerfServer(t, "-B", "127.0.0.1", "-p", "0")
	for _, tt := range []struct {
		name  string
		args  []string
		files []string
	}{
		{"tcp", nil, []string{"throughput.png"}},
		{"udp reverse", []string{"-u", "-b", "10M", "-R"}, []string{"throughput.png", "jitter.png", "loss.png"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			report, charts := filepath.Join(dir, "perf.html"), filepath.Join(dir, "charts")
			args := append([]string{"perf", "-c", "127.0.0.1", "-p", ps.port, "-t", "1", "--report", report, "--png", charts}, tt.args...)
			r := sockit(t, "", args...)
			if r.code != 0 {
				t.Fatalf("perf %v: exit %d: %s", args, r.code, r.stderr)
			}
			var paths []string
			for _, f := range tt.files {
				paths = append(paths, filepath.Join(charts, f))
			}
			for _, want := range []string{"\nreport: " + report + "\n", "\ncharts: " + strings.Join(paths, " ") + "\n"} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
				}
			}
			page, err := os.ReadFile(report)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(page), "<!DOCTYPE html>") || !strings.Contains(string(page), `id="throughput-chart"`) {
				t.Errorf("%s: not the report: %.200q", report, page)
			}
			for _, p := range paths {
				f, err := os.Open(p)
				if err != nil {
					t.Fatal(err)
				}
				_, err = png.Decode(f)
				f.Close()
				if err != nil {
					t.Errorf("%s: %v", p, err)
				}
			}
		})
	}
}

// TestPerfUnix: a test over a Unix socket, which iperf3 cannot run.
func TestPerfUnix(t *testing.T) {
	path := filepath.Join(testnet.SocketDir(t), "perf.sock")
	startPerfServer(t, "unix:"+path)
	r := sockit(t, "", "perf", "-c", "unix:"+path, "-n", "4M", "--bidir")
	if r.code != 0 || !strings.Contains(r.stdout, "[TX-C]") || !strings.Contains(r.stdout, "Connecting to unix://"+path) {
		t.Fatalf("perf over unix: exit %d: %s\n%s", r.code, r.stderr, r.stdout)
	}
	// Unix datagrams: the streams go to the unixgram socket beside it.
	r = sockit(t, "", "perf", "-c", "unixgram:"+path, "-b", "10M", "-t", "1")
	if r.code != 0 || !regexp.MustCompile(`(?m)^\[  1\]   0\.00-1\.\d\d   sec .* ms  \d+/\d+ \(.*\)  receiver$`).MatchString(r.stdout) {
		t.Fatalf("perf over unixgram: exit %d: %s\n%s", r.code, r.stderr, r.stdout)
	}
}

// TestPerfErrors: bad flags are usage errors (exit 2), a busy port and a
// busy server network errors (exit 1), each one line.
func TestPerfErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{}, "give -s to serve, or -c HOST"},
		{[]string{"-s", "-c", "x"}, "-s and -c exclude each other"},
		{[]string{"-c", "127.0.0.1", "-P", "100000"}, "-P 100000: from 1 to 128"},
		{[]string{"-c", "127.0.0.1", "-l", "0"}, "--length 0: want 1 to"},
		{[]string{"-c", "127.0.0.1", "-b", "-1"}, `--bitrate -1: "-1": want a rate`},
		{[]string{"-c", "127.0.0.1", "-n", "1M", "-k", "5"}, "-n and -k exclude each other"},
		{[]string{"-c", "127.0.0.1", "-R", "--bidir"}, "-R and --bidir exclude each other"},
		{[]string{"-c", "127.0.0.1", "-D"}, "run sockit perf -s under a service manager"},
		{[]string{"-c", "127.0.0.1", "-f", "x"}, "-f x: want one of"},
		{[]string{"-c", "127.0.0.1", "-t", "-3"}, "--time -3: want seconds"},
		{[]string{"-s", "--report", "x.html"}, "--report and --png are the client's"},
		{[]string{"-c", "127.0.0.1", "-i", "0", "--png", "charts"}, "-i 0 makes none"},
	} {
		r := sockit(t, "", append([]string{"perf"}, tt.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("perf %v: exit %d, stderr %q; want 2 and %q", tt.args, r.code, r.stderr, tt.want)
		}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	r := sockit(t, "", "perf", "-s", "-B", "127.0.0.1", "-p", port)
	if r.code != 1 || !strings.Contains(r.stderr, "address already in use") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("perf -s on a busy port: exit %d, stderr %q", r.code, r.stderr)
	}

	ps := startPerfServer(t, "-B", "127.0.0.1", "-p", "0", "--max-tests", "1")
	holder, err := net.Dial("tcp", "127.0.0.1:"+ps.port)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	holder.Write(append([]byte(strings.Repeat("a", 36)), 0))
	if _, err := holder.Read(make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	r = sockit(t, "", "perf", "-c", "127.0.0.1", "-p", ps.port, "-t", "1")
	if r.code != 1 || !strings.Contains(r.stderr, "the server is busy") {
		t.Errorf("perf -c to a busy server: exit %d, stderr %q", r.code, r.stderr)
	}
}
