package cli

import (
	"testing"
	"time"

	"github.com/sockit/sockit/engine"
)

func TestStatsLine(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tests := []struct {
		name     string
		from, to engine.Snapshot
		udp      bool
		want     string
	}{
		{"idle", engine.Snapshot{At: t0}, engine.Snapshot{At: t0.Add(5 * time.Second)}, false,
			"stats: 0 open, 0.0 accepted/s, in 0.00 MB/s, out 0.00 MB/s"},
		{"busy", engine.Snapshot{At: t0, Accepted: 10, BytesIn: 1e6, BytesOut: 2e6},
			engine.Snapshot{At: t0.Add(2 * time.Second), Open: 3, Accepted: 30, BytesIn: 11e6, BytesOut: 4e6}, false,
			"stats: 3 open, 10.0 accepted/s, in 5.00 MB/s, out 1.00 MB/s"},
		{"no time passed", engine.Snapshot{At: t0}, engine.Snapshot{At: t0, Accepted: 2}, false,
			"stats: 0 open, 2.0 accepted/s, in 0.00 MB/s, out 0.00 MB/s"},
		{"udp drops", engine.Snapshot{At: t0, Dropped: 5}, engine.Snapshot{At: t0.Add(time.Second), Open: 1, Dropped: 12}, true,
			"stats: 1 open, 0.0 accepted/s, in 0.00 MB/s, out 0.00 MB/s, 12 datagrams dropped"},
	}
	for _, tt := range tests {
		if got := statsLine(tt.from, tt.to, tt.udp); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
