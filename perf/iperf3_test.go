package perf_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/internal/testnet"
	"github.com/sockit/sockit/perf"
)

// iperf3Doc is the part of iperf3's -J document the tests read.
type iperf3Doc struct {
	Error string `json:"error"`
	End   struct {
		SumSent                 iperf3Sum `json:"sum_sent"`
		SumReceived             iperf3Sum `json:"sum_received"`
		SumSentBidirReverse     iperf3Sum `json:"sum_sent_bidir_reverse"`
		SumReceivedBidirReverse iperf3Sum `json:"sum_received_bidir_reverse"`
		Sum                     iperf3Sum `json:"sum"`
		Streams                 []json.RawMessage
	} `json:"end"`
}

type iperf3Sum struct {
	Bytes       uint64  `json:"bytes"`
	Packets     int64   `json:"packets"`
	LostPackets int64   `json:"lost_packets"`
	JitterMS    float64 `json:"jitter_ms"`
}

// TestIperf3Client runs the real iperf3 -c against a sockit perf server,
// and checks that iperf3 reports what the server counted: the figures of
// each side cross the results exchange, so both must agree.
func TestIperf3Client(t *testing.T) {
	iperf3 := testnet.PeerProgram(t, "iperf3", "iperf3")
	sv := serve(t, "tcp://127.0.0.1:0", &perf.Server{})
	_, port, _ := net.SplitHostPort(sv.addr.String())
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"tcp", []string{"-t", "1"}},
		{"reverse", []string{"-t", "1", "-R"}},
		{"parallel", []string{"-t", "1", "-P", "2"}},
		{"bidir", []string{"-t", "1", "--bidir"}},
		{"bytes", []string{"-n", "20M"}},
		{"reverse-bytes", []string{"-n", "20M", "-R"}},
		{"omit", []string{"-t", "1", "-O", "1", "-l", "64K"}},
		{"udp", []string{"-u", "-t", "1", "-b", "20M", "-l", "1400"}},
		{"udp-reverse", []string{"-u", "-t", "1", "-b", "20M", "-R"}},
		{"udp-bidir", []string{"-u", "-t", "1", "-b", "10M", "--bidir"}},
		{"udp-parallel", []string{"-u", "-t", "1", "-b", "10M", "-P", "2"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testnet.Context(t)
			out, err := exec.CommandContext(ctx, iperf3, append([]string{"-c", "127.0.0.1", "-p", port, "-J"}, tt.args...)...).Output()
			var doc iperf3Doc
			if jerr := json.Unmarshal(out, &doc); jerr != nil || err != nil || doc.Error != "" {
				t.Fatalf("iperf3: %v, %v, error %q:\n%s", err, jerr, doc.Error, out)
			}
			end := sv.next(t, perf.TestEnded)
			if end.Err != nil {
				t.Fatalf("the server's test: %v", end.Err)
			}
			res := end.Result
			udp := strings.HasPrefix(res.Network, "udp")
			sums := []struct{ sent, received iperf3Sum }{{doc.End.SumSent, doc.End.SumReceived}}
			if res.Config.Bidir {
				sums = append(sums, struct{ sent, received iperf3Sum }{doc.End.SumSentBidirReverse, doc.End.SumReceivedBidirReverse})
			}
			for i, reverse := range res.Directions() {
				sent, recv := res.Sum(reverse)
				got := sums[i]
				if sent.Bytes == 0 || got.sent.Bytes != sent.Bytes || got.received.Bytes != recv.Bytes {
					t.Errorf("reverse=%v: iperf3 says %d sent, %d received; the server %d and %d", reverse, got.sent.Bytes, got.received.Bytes, sent.Bytes, recv.Bytes)
				}
				if udp && (got.sent.Packets != sent.Packets || got.received.LostPackets != recv.Lost) {
					t.Errorf("reverse=%v: iperf3 says %d datagrams sent, %d lost; the server %d and %d", reverse, got.sent.Packets, got.received.LostPackets, sent.Packets, recv.Lost)
				}
			}
			if strings.HasPrefix(tt.name, "bytes") || tt.name == "reverse-bytes" {
				if sent, _ := res.Sum(res.Config.Reverse); sent.Bytes < 20<<20 {
					t.Errorf("-n 20M: %d bytes sent", sent.Bytes)
				}
			}
			if !strings.HasPrefix(res.PeerVersion, "3.") {
				t.Errorf("the client's version %q, want iperf3's", res.PeerVersion)
			}
		})
	}
}

// iperf3Server starts a real iperf3 -s -1 on a free port and returns the
// port once it listens, and a func that waits for it to exit and returns
// what it printed.
func iperf3Server(t *testing.T) (port int, wait func() (string, error)) {
	t.Helper()
	iperf3 := testnet.PeerProgram(t, "iperf3", "iperf3")
	port = testnet.FreePort(t)
	cmd := exec.CommandContext(testnet.Context(t), iperf3, "-s", "-1", "--forceflush", "-p", strconv.Itoa(port))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), "Server listening on ") {
			break
		}
	}
	var rest strings.Builder
	done := make(chan struct{})
	go func() {
		defer close(done)
		for lines.Scan() {
			rest.WriteString(lines.Text() + "\n")
		}
	}()
	return port, func() (string, error) {
		<-done
		err := cmd.Wait()
		return rest.String() + stderr.String(), err
	}
}

// TestIperf3Server runs sockit perf's client against the real iperf3 -s:
// the test completes on both sides, and iperf3's counts (which reach the
// client in the results exchange) agree with the client's own.
func TestIperf3Server(t *testing.T) {
	for _, tt := range []struct {
		name    string
		network string
		cfg     perf.Config
	}{
		{"tcp", "tcp", perf.Config{Duration: time.Second}},
		{"reverse", "tcp", perf.Config{Duration: time.Second, Reverse: true}},
		{"parallel", "tcp", perf.Config{Duration: time.Second, Streams: 2}},
		{"bidir", "tcp", perf.Config{Duration: time.Second, Bidir: true}},
		{"bytes", "tcp", perf.Config{Bytes: 20 << 20}},
		{"reverse-bytes", "tcp", perf.Config{Bytes: 20 << 20, Reverse: true}},
		{"udp", "udp", perf.Config{Duration: time.Second, Rate: 20e6, BlockSize: 1400}},
		{"udp-reverse", "udp", perf.Config{Duration: time.Second, Rate: 20e6, Reverse: true}},
		{"udp-bidir", "udp", perf.Config{Duration: time.Second, Rate: 10e6, Bidir: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			port, wait := iperf3Server(t)
			ep := endpoint.Endpoint{Network: tt.network, Address: fmt.Sprintf("127.0.0.1:%d", port)}
			res, err := (&perf.Client{Config: tt.cfg}).Run(testnet.Context(t), ep)
			if err != nil {
				t.Fatal(err)
			}
			out, werr := wait()
			if werr != nil || strings.Contains(out, "error") {
				t.Fatalf("iperf3 -s: %v:\n%s", werr, out)
			}
			for _, reverse := range res.Directions() {
				sent, recv := res.Sum(reverse)
				switch {
				case sent.Bytes == 0 || recv.Bytes == 0:
					t.Errorf("reverse=%v: %d sent, %d received", reverse, sent.Bytes, recv.Bytes)
				case recv.Bytes > sent.Bytes:
					t.Errorf("reverse=%v: %d received of %d sent", reverse, recv.Bytes, sent.Bytes)
				}
				if tt.network == "udp" && (sent.Packets == 0 || recv.Packets+recv.Lost > sent.Packets) {
					t.Errorf("reverse=%v: %d datagrams sent, %d received, %d lost", reverse, sent.Packets, recv.Packets, recv.Lost)
				}
			}
			// iperf3 -s ends with its summary: its receiver line, or as
			// the sender (-R) its sender line.
			if !strings.Contains(out, "receiver") && !strings.Contains(out, "sender") {
				t.Errorf("iperf3 -s printed no summary:\n%s", out)
			}
		})
	}
}
