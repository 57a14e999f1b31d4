package cli_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sockit/sockit/bench"
	"github.com/sockit/sockit/internal/testnet"
)

// benchRate finds the table row labelled label in a bench table and
// returns its first figure (msgs/s, conns/s or dgrams/s), or false if
// there is no such row or its first field is not a number.
func benchRate(table, label string) (int64, bool) {
	row := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(label) + `\s+([\d,]+)\s`).FindStringSubmatch(table)
	if row == nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(row[1], ",", ""), 10, 64)
	return n, err == nil
}

// readBench parses what bench --json wrote.
func readBench(t *testing.T, out string) *bench.File {
	t.Helper()
	f, err := bench.ReadJSON(strings.NewReader(out))
	if err != nil {
		t.Fatalf("bench --json output: %v\n%s", err, out)
	}
	return f
}

// TestBenchEmbedded runs bench without ADDR: it serves echo itself with
// the evloop engine and measures that.
func TestBenchEmbedded(t *testing.T) {
	r := sockit(t, "", "bench", "-d", "300ms")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("bench -d 300ms: exit %d, stderr %q\n%s", r.code, r.stderr, r.stdout)
	}
	first, table, _ := strings.Cut(r.stdout, "\n")
	describe := regexp.MustCompile(`^bench tcp://127\.0\.0\.1:\d+: pingpong, 1 conn, 64-byte messages, 300ms \(evloop\)$`)
	if !describe.MatchString(first) {
		t.Errorf("first line %q does not match %v", first, describe)
	}
	if !regexp.MustCompile(`(?m)^\s*run\s+msgs/s\s+MB/s\s+p50\s+p90\s+p99\s+p99\.9\s+max\s+errors\s*$`).MatchString(table) {
		t.Errorf("no table header:\n%s", r.stdout)
	}
	if n, ok := benchRate(table, "evloop"); !ok || n <= 0 {
		t.Errorf("evloop row has no positive msgs/s (%d, %v):\n%s", n, ok, r.stdout)
	}
}

// TestBenchEngineAll runs every engine in turn; iterative takes part only
// with one connection.
func TestBenchEngineAll(t *testing.T) {
	const skipped = "bench: skipping iterative: it serves one connection at a time (use -c 1)\n"
	tests := []struct {
		name      string
		args      []string
		engines   []string
		iterative bool
	}{
		{"two conns", []string{"-c", "2", "-n", "200"}, []string{"threaded", "evloop"}, false},
		{"one conn", []string{"-c", "1", "-n", "100"}, []string{"threaded", "iterative", "evloop"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sockit(t, "", append([]string{"bench", "--engine", "all"}, tt.args...)...)
			if r.code != 0 {
				t.Fatalf("exit %d, stderr %q\n%s", r.code, r.stderr, r.stdout)
			}
			for _, e := range tt.engines {
				if n, ok := benchRate(r.stdout, e); !ok || n <= 0 {
					t.Errorf("no %s row with a positive msgs/s:\n%s", e, r.stdout)
				}
				if !strings.Contains(r.stdout, "messages ("+e+")\n") {
					t.Errorf("no describing line for %s:\n%s", e, r.stdout)
				}
			}
			if _, ok := benchRate(r.stdout, "iterative"); ok != tt.iterative {
				t.Errorf("iterative row present: %v, want %v:\n%s", ok, tt.iterative, r.stdout)
			}
			wantErr := ""
			if !tt.iterative {
				wantErr = skipped
			}
			if r.stderr != wantErr {
				t.Errorf("stderr %q, want %q", r.stderr, wantErr)
			}
		})
	}
}

// TestBenchModes loads a sockit serve process in every mode over TCP, a
// Unix path and UDP.
func TestBenchModes(t *testing.T) {
	dir := testnet.SocketDir(t)
	srv := startServe(t, 3, "tcp://127.0.0.1:0", "unix:"+dir+"/s.sock", "udp://127.0.0.1:0")
	addrs := map[string]string{"tcp": srv.addrs[0], "unix": srv.addrs[1], "udp": srv.addrs[2]}
	tests := []struct {
		mode, on string // on: tcp, unix or udp
		flags    []string
		describe string // how the describing line goes on after the mode
		head     string // the table's first column after run
	}{
		{"pingpong", "tcp", nil, ", 1 conn, 64-byte messages, 50 messages\n", "msgs/s"},
		{"pingpong", "unix", nil, ", 1 conn, 64-byte messages, 50 messages\n", "msgs/s"},
		{"pingpong", "tcp", []string{"-c", "2", "--pipeline", "4"}, ", 2 conns, 64-byte messages, pipeline 4, 50 messages\n", "msgs/s"},
		{"pingpong", "tcp", []string{"-c", "2", "--rate", "5000"}, ", 2 conns, 64-byte messages, 5,000 msgs/s open loop, 50 messages\n", "msgs/s"},
		{"stream", "tcp", nil, ", 1 conn, 16384-byte messages, 50 messages\n", "msgs/s"},
		{"stream", "unix", nil, ", 1 conn, 16384-byte messages, 50 messages\n", "msgs/s"},
		{"connect", "tcp", nil, ", 1 conn, 50 connections\n", "conns/s"},
		{"connect", "unix", nil, ", 1 conn, 50 connections\n", "conns/s"},
		{"datagram", "udp", nil, ", 1 conn, 64-byte messages, 50 messages\n", "dgrams/s"},
		{"datagram", "udp", []string{"-c", "2", "--rate", "5000"}, ", 2 conns, 64-byte messages, 5,000 msgs/s open loop, 50 messages\n", "dgrams/s"},
	}
	for _, tt := range tests {
		addr := addrs[tt.on]
		t.Run(strings.Join(append([]string{tt.mode, tt.on}, tt.flags...), " "), func(t *testing.T) {
			args := append([]string{"bench", "--mode", tt.mode, "-n", "50"}, tt.flags...)
			r := sockit(t, "", append(args, addr)...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q\n%s", r.code, r.stderr, r.stdout)
			}
			if want := "bench " + addr + ": " + tt.mode + tt.describe; !strings.HasPrefix(r.stdout, want) {
				t.Errorf("output does not start with %q:\n%s", want, r.stdout)
			}
			if !regexp.MustCompile(`(?m)^\s*run\s+` + regexp.QuoteMeta(tt.head) + `\s`).MatchString(r.stdout) {
				t.Errorf("table header lacks %s:\n%s", tt.head, r.stdout)
			}
			if n, ok := benchRate(r.stdout, addr); !ok || n <= 0 {
				t.Errorf("row %s has no positive %s:\n%s", addr, tt.head, r.stdout)
			}
		})
	}
	if code := srv.stop(t); code != 0 {
		t.Errorf("serve exit %d; stderr:\n%s", code, srv.stderr)
	}
}

// TestBenchJSONMerge writes two runs as JSON and merges them.
func TestBenchJSONMerge(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for _, name := range []string{"a.json", "b.json"} {
		r := sockit(t, "", "bench", "--json", "-n", "100")
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("bench --json: exit %d, stderr %q", r.code, r.stderr)
		}
		f := readBench(t, r.stdout)
		if f.Schema != "sockit.bench/v1" || len(f.Runs) != 1 {
			t.Fatalf("bench --json: schema %q, %d runs; want sockit.bench/v1, 1", f.Schema, len(f.Runs))
		}
		run := f.Runs[0]
		if run.Label != "evloop" || run.Mode != bench.Pingpong || run.Messages != 100 || run.Load.Messages != 100 || run.Failed() {
			t.Errorf("run: label %q, mode %q, %d messages (load %d), failed %v; want evloop, pingpong, 100, 100, false",
				run.Label, run.Mode, run.Messages, run.Load.Messages, run.Failed())
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(r.stdout), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
	}

	r := sockit(t, "", append([]string{"bench", "merge"}, files...)...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("merge: exit %d, stderr %q\n%s", r.code, r.stderr, r.stdout)
	}
	if n, ok := benchRate(r.stdout, "evloop"); !ok || n <= 0 {
		t.Errorf("merge table has no evloop row with a positive msgs/s:\n%s", r.stdout)
	}

	r = sockit(t, "", append([]string{"bench", "merge", "--json"}, files...)...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("merge --json: exit %d, stderr %q", r.code, r.stderr)
	}
	merged := readBench(t, r.stdout)
	if len(merged.Runs) != 1 {
		t.Fatalf("merge --json: %d runs, want 1", len(merged.Runs))
	}
	if m := merged.Runs[0]; m.Label != "evloop" || m.Messages != 200 || m.Load.Conns != 2 {
		t.Errorf("merge --json: run %q with %d messages and %d conns; want evloop, 200, 2", m.Label, m.Messages, m.Load.Conns)
	}
	if l := merged.Runs[0].Latency; l == nil || l.Count != 200 {
		t.Errorf("merged latency %+v: want a histogram of 200", l)
	}

	notJSON := filepath.Join(dir, "notes.txt")
	otherSchema := filepath.Join(dir, "other.json")
	if err := os.WriteFile(notJSON, []byte("run 1: fast\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(otherSchema, []byte(`{"schema":"sockit.bench/v9","runs":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, file, want string
	}{
		{"not JSON", notJSON, "not a sockit bench file"},
		{"other schema", otherSchema, `schema "sockit.bench/v9" is not "sockit.bench/v1"`},
		{"missing", filepath.Join(dir, "missing.json"), "no such file or directory"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := sockit(t, "", "bench", "merge", files[0], tt.file)
			if r.code != 1 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 ||
				!strings.HasPrefix(r.stderr, "sockit: ") || !strings.Contains(r.stderr, tt.file) || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("merge %s: exit %d, stdout %q, stderr %q; want 1, nothing, one line naming the file and %q",
					tt.file, r.code, r.stdout, r.stderr, tt.want)
			}
		})
	}
}

// TestBenchReport writes the HTML report and the PNG charts.
func TestBenchReport(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "bench.html")
	charts := filepath.Join(dir, "charts")
	r := sockit(t, "", "bench", "-n", "200", "--report", page, "--png", charts)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q\n%s", r.code, r.stderr, r.stdout)
	}
	pngs := []string{filepath.Join(charts, "latency.png"), filepath.Join(charts, "throughput.png")}
	for _, want := range []string{"report: " + page + "\n", "charts: " + strings.Join(pngs, " ") + "\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`id="latency-chart"`, `id="throughput-chart"`, "evloop"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("report lacks %s", want)
		}
	}
	for _, p := range pngs {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Error(err)
			continue
		}
		if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
			t.Errorf("%s is not a PNG", p)
		}
	}
	if ents, err := os.ReadDir(charts); err != nil || len(ents) != 2 {
		t.Errorf("charts directory: %d files, %v; want 2", len(ents), err)
	}
}

// faultAt is the offset in each connection's stream where flipServer
// corrupts the echo.
const faultAt = 100

// flipServer serves a TCP echo on loopback that flips every bit of the
// byte at stream offset faultAt of each connection, and returns its
// address.
func flipServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Go(func() {
				defer func() {
					mu.Lock()
					delete(conns, c)
					mu.Unlock()
					c.Close()
				}()
				buf := make([]byte, 64<<10)
				var off int64
				for {
					n, err := c.Read(buf)
					if i := faultAt - off; i >= 0 && i < int64(n) {
						buf[i] ^= 0xff
					}
					off += int64(n)
					if n > 0 {
						if _, werr := c.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			})
		}
	})
	return "tcp://" + ln.Addr().String()
}

// TestBenchFaultyServer checks that a server that corrupts one byte fails
// the run: FAILED names the byte, no rate is shown, and bench exits 1.
func TestBenchFaultyServer(t *testing.T) {
	addr := flipServer(t)
	want := bench.NewPattern().At(0, faultAt)
	failure := fmt.Sprintf("connection 0: byte %d of the echo is 0x%02x, want 0x%02x", faultAt, want^0xff, want)

	r := sockit(t, "", "bench", "-n", "50", addr)
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	if line := "FAILED " + addr + ": " + failure + "\n"; !strings.Contains(r.stdout, line) {
		t.Errorf("output lacks %q:\n%s", line, r.stdout)
	}
	if !regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(addr) + `\s+FAILED\s*$`).MatchString(r.stdout) {
		t.Errorf("the row should say FAILED and show no figures:\n%s", r.stdout)
	}
	if n, ok := benchRate(r.stdout, addr); ok {
		t.Errorf("a failed run shows %d msgs/s:\n%s", n, r.stdout)
	}
	if wantErr := "sockit: bench: the echo was not faithful in " + addr + ": see FAILED above\n"; r.stderr != wantErr {
		t.Errorf("stderr %q, want %q", r.stderr, wantErr)
	}

	// --json says the same, with no rate, and still exits 1.
	r = sockit(t, "", "bench", "--json", "-n", "50", addr)
	if r.code != 1 || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("--json: exit %d, stderr %q; want 1 and one line", r.code, r.stderr)
	}
	f := readBench(t, r.stdout)
	if len(f.Runs) != 1 {
		t.Fatalf("--json: %d runs, want 1", len(f.Runs))
	}
	run := f.Runs[0]
	if !run.Failed() || run.Failure != failure || run.Errors[bench.ErrMismatch] != 1 || run.MsgsPerSec != 0 || run.MBPerSec != 0 {
		t.Errorf("--json run: failed %v, failure %q, errors %v, %v msgs/s, %v MB/s; want true, %q, 1 mismatch, no rates",
			run.Failed(), run.Failure, run.Errors, run.MsgsPerSec, run.MBPerSec, failure)
	}
}

// TestBenchRefused benches a loopback port where nothing listens: the
// run is FAILED as refused, and bench says nothing listens there, not that
// the echo was unfaithful.
func TestBenchRefused(t *testing.T) {
	tests := []struct {
		mode, network string
	}{
		{"datagram", "udp"},
		{"connect", "tcp"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			var addr string
			if tt.network == "udp" {
				pc, err := net.ListenPacket("udp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				addr = "udp://" + pc.LocalAddr().String()
				pc.Close()
			} else {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				addr = "tcp://" + ln.Addr().String()
				ln.Close()
			}
			r := sockit(t, "", "bench", "--mode", tt.mode, "-n", "3", addr)
			if r.code != 1 || !strings.Contains(r.stdout, "FAILED "+addr+": ") || !strings.Contains(r.stdout, addr+" refused: nothing listens there") {
				t.Errorf("exit %d, output:\n%s", r.code, r.stdout)
			}
			if want := "sockit: bench: nothing listens at " + addr + ": see FAILED above\n"; r.stderr != want {
				t.Errorf("stderr %q, want %q", r.stderr, want)
			}
		})
	}
}

// TestBenchUsage checks that bad input exits 2 with one line on stderr and
// nothing on stdout.
func TestBenchUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string // after "bench"; -n bounds the run should the check be missed
		want string   // in the error line
	}{
		{"bad mode", []string{"-n", "10", "--mode", "bogus"}, `--mode "bogus": want pingpong, stream, connect or datagram`},
		{"no conns", []string{"-n", "10", "-c", "0"}, "-c wants 1 or more"},
		{"negative pipeline", []string{"-n", "10", "--pipeline", "-1"}, "--pipeline"},
		{"negative count", []string{"-n", "-1"}, "0 or more"},
		{"bad size", []string{"-n", "10", "-s", "12q"}, `"12q" is not a size`},
		{"zero size", []string{"-n", "10", "-s", "0"}, `"0" is not a size`},
		{"fractional size", []string{"-n", "10", "-s", "1.5k"}, `"1.5k" is not a size`},
		{"overflowing size", []string{"-n", "10", "-s", "9999999999999m"}, `"9999999999999m" is not a size`},
		{"ADDR and engine", []string{"-n", "10", "--engine", "threaded", "tcp://127.0.0.1:1"}, "give them or ADDR, not both"},
		{"ADDR and serve", []string{"-n", "10", "--serve", "tcp://127.0.0.1:0", "tcp://127.0.0.1:1"}, "give them or ADDR, not both"},
		{"iterative with conns", []string{"-n", "10", "--engine", "iterative", "-c", "3"}, "--engine iterative serves one connection at a time: use -c 1"},
		{"unknown engine", []string{"-n", "10", "--engine", "nope"}, `unknown engine "nope"`},
		{"ADDR without port", []string{"-n", "10", "127.0.0.1"}, `bad address "127.0.0.1"`},
		{"ADDR bad scheme", []string{"-n", "10", "bogus://x"}, `bad address "bogus://x"`},
		{"two ADDRs", []string{"-n", "10", "tcp://127.0.0.1:1", "tcp://127.0.0.1:2"}, "sockit bench wants at most 1 argument, got 2"},
		{"merge nothing", []string{"merge"}, "sockit bench merge wants 1 to 1024 arguments, got 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sockit(t, "", append([]string{"bench"}, tt.args...)...)
			if r.code != 2 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 ||
				!strings.HasPrefix(r.stderr, "sockit: ") || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("bench %v: exit %d, stdout %q, stderr %q; want 2, nothing, one line with %q",
					tt.args, r.code, r.stdout, r.stderr, tt.want)
			}
		})
	}
}

// TestBenchModeMismatch gives a config bench.Run would refuse: a mode the
// target's socket type cannot carry, a size out of range. It is a usage
// error (exit 2), reported before anything runs.
func TestBenchModeMismatch(t *testing.T) {
	srv := startServe(t, 2, "tcp://127.0.0.1:0", "udp://127.0.0.1:0")
	tests := []struct {
		mode, addr, want string
	}{
		{"datagram", srv.addrs[0], "datagram mode needs a datagram endpoint (udp, unixgram); " + srv.addrs[0] + " is not one"},
		{"stream", srv.addrs[1], "stream mode needs a stream endpoint; " + srv.addrs[1] + " is a datagram one (use --mode datagram)"},
		{"pingpong\x00-s\x00100m", srv.addrs[0], "message size 104857600 is out of range"},
		{"datagram\x00-s\x008", srv.addrs[1], "datagram size 8 is too small"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			args := append([]string{"bench", "-n", "10", "--mode"}, strings.Split(tt.mode, "\x00")...)
			r := sockit(t, "", append(args, tt.addr)...)
			if r.code != 2 || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "sockit: bench: ") || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and one line with %q", r.code, r.stderr, tt.want)
			}
			if r.stdout != "" {
				t.Errorf("a refused run printed:\n%s", r.stdout)
			}
		})
	}
	if code := srv.stop(t); code != 0 {
		t.Errorf("serve exit %d; stderr:\n%s", code, srv.stderr)
	}
}

// TestBenchSize checks that -s takes k and m suffixes.
func TestBenchSize(t *testing.T) {
	tests := []struct {
		size string
		want int
	}{
		{"100", 100},
		{"16k", 16 << 10},
		{"16K", 16 << 10},
		{"1m", 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.size, func(t *testing.T) {
			r := sockit(t, "", "bench", "-n", "3", "-s", tt.size)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q\n%s", r.code, r.stderr, r.stdout)
			}
			if want := fmt.Sprintf(", %d-byte messages, 3 messages (evloop)\n", tt.want); !strings.Contains(r.stdout, want) {
				t.Errorf("output lacks %q:\n%s", want, r.stdout)
			}
			if n, ok := benchRate(r.stdout, "evloop"); !ok || n <= 0 {
				t.Errorf("no evloop row with a positive msgs/s:\n%s", r.stdout)
			}
		})
	}
}

// TestBenchHelp checks that bench and bench merge show examples.
func TestBenchHelp(t *testing.T) {
	for _, args := range [][]string{{"bench", "--help"}, {"bench", "merge", "--help"}} {
		r := sockit(t, "", args...)
		if r.code != 0 || !strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "sockit "+strings.Join(args[:len(args)-1], " ")) {
			t.Errorf("sockit %v has no examples: %+v", args, r)
		}
	}
}
