package perf_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sockit/sockit/perf"
)

// TestText: the summary and interval lines in iperf3's columns, for a
// TCP test of two streams seen by its client.
func TestText(t *testing.T) {
	var b strings.Builder
	cfg := perf.Config{Streams: 2}
	tx := perf.NewText(&b, 0, cfg, "tcp", false, "")
	st := func(id int, bytes uint64, retr int) perf.StreamStats {
		return perf.StreamStats{ID: id, Sender: true, Seconds: 1, Bytes: bytes, Retransmits: retr, Cwnd: 1 << 20}
	}
	tx.Interval(perf.Interval{Start: 0, End: time.Second, Streams: []perf.StreamStats{st(1, 2<<30, 3), st(3, 1<<30, 0)}})
	tx.Summary(&perf.Result{Network: "tcp", Config: cfg, Streams: []perf.StreamResult{
		{ID: 1, Sent: st(1, 2<<30, 3), Received: perf.StreamStats{ID: 1, Seconds: 1, Bytes: 2 << 30}},
		{ID: 3, Sent: st(3, 1<<30, 0), Received: perf.StreamStats{ID: 3, Seconds: 1, Bytes: 1 << 30}},
	}})
	want := `[  1]   0.00-1.00   sec  2.00 GBytes  17.2 Gbits/sec    3   1.00 MBytes       
[  3]   0.00-1.00   sec  1.00 GBytes  8.59 Gbits/sec    0   1.00 MBytes       
[SUM]   0.00-1.00   sec  3.00 GBytes  25.8 Gbits/sec    3             
- - - - - - - - - - - - - - - - - - - - - - - - -
[ ID] Interval           Transfer     Bitrate         Retr
[  1]   0.00-1.00   sec  2.00 GBytes  17.2 Gbits/sec    3             sender
[  1]   0.00-1.00   sec  2.00 GBytes  17.2 Gbits/sec                  receiver
[  3]   0.00-1.00   sec  1.00 GBytes  8.59 Gbits/sec    0             sender
[  3]   0.00-1.00   sec  1.00 GBytes  8.59 Gbits/sec                  receiver
[SUM]   0.00-1.00   sec  3.00 GBytes  25.8 Gbits/sec    3             sender
[SUM]   0.00-1.00   sec  3.00 GBytes  25.8 Gbits/sec                  receiver
CPU: 0.0% here (0.0% user, 0.0% system), 0.0% at the peer
`
	if got := b.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
