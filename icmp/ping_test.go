package icmp

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockit/sockit/internal/testnet"
)

// needRaw skips the test when this process may not open raw sockets (CI
// runs as root, where it may).
func needRaw(t *testing.T) {
	t.Helper()
	c, err := Open(false, Raw, nil)
	var perr *PermissionError
	if errors.As(err, &perr) {
		t.Skipf("no raw sockets here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

func loopbacks(t *testing.T) []string {
	addrs := []string{"127.0.0.1"}
	if testnet.HasIPv6() {
		addrs = append(addrs, "::1")
	}
	return addrs
}

// ping runs a pinger and collects what it reports.
type pingResult struct {
	sum     Summary
	replies []Reply
	errors  []ErrorReply
}

func runPinger(t *testing.T, cfg Config) pingResult {
	t.Helper()
	p, err := NewPinger(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var r pingResult
	p.OnReply = func(rep Reply) { r.replies = append(r.replies, rep) }
	p.OnError = func(e ErrorReply) { r.errors = append(r.errors, e) }
	p.OnSendError = func(seq int, err error) { t.Errorf("icmp_seq=%d not sent: %v", seq, err) }
	r.sum, err = p.Run(testnet.Context(t))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// checkAllReplied checks that requests 1..n each got one reply from dst.
func checkAllReplied(t *testing.T, r pingResult, n int, dst netip.Addr, size int) {
	t.Helper()
	if r.sum.Transmitted != n || r.sum.Received != n || r.sum.Duplicates != 0 || r.sum.Errors != 0 {
		t.Fatalf("summary %+v, want %d sent and received, no duplicates or errors", r.sum, n)
	}
	seen := map[int]bool{}
	for _, rep := range r.replies {
		if rep.From != dst || rep.Bytes != size+8 || rep.TTL != 64 || rep.Dup || seen[rep.Seq] || rep.RTT <= 0 {
			t.Errorf("reply %+v: want one from %v, %d bytes, ttl 64", rep, dst, size+8)
		}
		seen[rep.Seq] = true
	}
	for seq := 1; seq <= n; seq++ {
		if !seen[seq] {
			t.Errorf("no reply to icmp_seq=%d", seq)
		}
	}
	if r.sum.Min > r.sum.Avg || r.sum.Avg > r.sum.Max || r.sum.Mdev < 0 {
		t.Errorf("rtt min/avg/max/mdev = %v/%v/%v/%v out of order", r.sum.Min, r.sum.Avg, r.sum.Max, r.sum.Mdev)
	}
}

func TestPingLoopback(t *testing.T) {
	needRaw(t)
	for _, host := range loopbacks(t) {
		for _, size := range []int{56, 0, 4, 1400} {
			t.Run(fmt.Sprintf("%s/size=%d", host, size), func(t *testing.T) {
				dst := netip.MustParseAddr(host)
				r := runPinger(t, Config{Dst: dst, Count: 5, Size: size, Kind: Raw, Timeout: 5 * time.Second})
				checkAllReplied(t, r, 5, dst, size)
			})
		}
	}
}

// TestConcurrentPingers runs pingers at once on raw sockets, each of which
// sees every reply: each must count only its own.
func TestConcurrentPingers(t *testing.T) {
	needRaw(t)
	const pingers, count = 6, 40
	dst := netip.MustParseAddr("127.0.0.1")
	var wg sync.WaitGroup
	results := make([]pingResult, pingers)
	for i := range pingers {
		wg.Go(func() {
			p, err := NewPinger(Config{Dst: dst, Count: count, Interval: time.Millisecond, Size: 24, Kind: Raw, Timeout: 5 * time.Second})
			if err != nil {
				t.Error(err)
				return
			}
			defer p.Close()
			p.OnReply = func(rep Reply) { results[i].replies = append(results[i].replies, rep) }
			results[i].sum, err = p.Run(testnet.Context(t))
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i, r := range results {
		t.Run(fmt.Sprint(i), func(t *testing.T) { checkAllReplied(t, r, count, dst, 24) })
	}
}

func TestPingDeadlineAndCount(t *testing.T) {
	needRaw(t)
	dst := netip.MustParseAddr("127.0.0.1")
	// With a deadline and a count, requests go on until count replies
	// came: here at once.
	r := runPinger(t, Config{Dst: dst, Count: 3, Interval: 20 * time.Millisecond, Deadline: 20 * time.Second, Kind: Raw, Size: 8})
	if r.sum.Received < 3 || r.sum.Received != r.sum.Transmitted {
		t.Errorf("deadline and count: %+v, want 3 (or a few more) sent and received", r.sum)
	}
	// With a deadline and no count, it stops at the deadline.
	r = runPinger(t, Config{Dst: dst, Interval: 50 * time.Millisecond, Deadline: 300 * time.Millisecond, Kind: Raw})
	if r.sum.Transmitted < 1 || r.sum.Received > r.sum.Transmitted {
		t.Errorf("deadline run: %+v", r.sum)
	}
}

// TestPingElapsed checks that the summary's time runs from the first
// request sent to the last, as iputils ping's does, without the wait for
// replies: a single request makes 0, answered or waited for in vain.
func TestPingElapsed(t *testing.T) {
	needRaw(t)
	tests := []struct {
		name     string
		silent   bool // ping inside a namespace whose host ignores echo requests
		received int
	}{
		{"answered", false, 1},
		{"unanswered", true, 0},
	}
	for _, tt := range tests {
		for _, host := range loopbacks(t) {
			t.Run(tt.name+"/"+host, func(t *testing.T) {
				dst := netip.MustParseAddr(host)
				cfg := Config{Dst: dst, Count: 1, Kind: Raw, Timeout: 5 * time.Second}
				var r pingResult
				if tt.silent {
					h := testnet.New(t).Host("silent")
					key := "net.ipv4.icmp_echo_ignore_all"
					if dst.Is6() {
						key = "net.ipv6.icmp.echo_ignore_all"
					}
					h.Sysctl(t, key, "1")
					cfg.Timeout = 200 * time.Millisecond
					r = pingFrom(t, h, cfg)
				} else {
					r = runPinger(t, cfg)
				}
				if r.sum.Transmitted != 1 || r.sum.Received != tt.received {
					t.Fatalf("summary %+v, want 1 sent and %d received", r.sum, tt.received)
				}
				if r.sum.Elapsed != 0 {
					t.Errorf("elapsed %v for one request, want 0 (first to last request)", r.sum.Elapsed)
				}
			})
		}
	}
}

func TestTraceLoopback(t *testing.T) {
	needRaw(t)
	for _, host := range loopbacks(t) {
		for _, udp := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/udp=%v", host, udp), func(t *testing.T) {
				dst := netip.MustParseAddr(host)
				tr, err := NewTracer(TraceConfig{Dst: dst, UDP: udp, Kind: Raw, Wait: 5 * time.Second})
				if err != nil {
					t.Fatal(err)
				}
				defer tr.Close()
				hops, err := tr.Run(testnet.Context(t), nil)
				if err != nil {
					t.Fatal(err)
				}
				if len(hops) != 1 || len(hops[0].Probes) != 3 {
					t.Fatalf("hops %+v, want one hop of three probes", hops)
				}
				for _, p := range hops[0].Probes {
					if !p.Answered || !p.Reached || p.From != dst || p.Flag() != "" {
						t.Errorf("probe %+v: want an answer from the destination", p)
					}
				}
			})
		}
	}
}

func TestPermissionErrorSaysHow(t *testing.T) {
	e := &PermissionError{Tried: Auto, Gid: 1000, GroupRange: "1 0"}
	msg := e.Error()
	for _, want := range []string{"CAP_NET_RAW", "setcap cap_net_raw+ep", "group 1000", `"1 0"`, `ping_group_range="1000 1000"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("%q is not one line", msg)
	}
	if os.Geteuid() == 0 {
		return
	}
	// Not root: what Open says is the same message.
	if _, err := Open(false, Raw, nil); err != nil && !strings.Contains(err.Error(), "CAP_NET_RAW") {
		t.Errorf("Open raw as uid %d: %v", os.Geteuid(), err)
	}
}
