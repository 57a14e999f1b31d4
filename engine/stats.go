package engine

import (
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/sockit/sockit/endpoint"
)

// ConnStats is what a server counts for one connection or datagram peer.
type ConnStats struct {
	Tuple    endpoint.Tuple // from the server's side: local is the server
	BytesIn  int64          // bytes received from the peer
	BytesOut int64          // bytes sent to the peer
	Start    time.Time      // when the connection was accepted or the peer first seen
	End      time.Time      // when it closed or was last heard from
}

// LogValue renders the stats as slog attributes.
func (s ConnStats) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("tuple", s.Tuple.String()),
		slog.Int64("bytes_in", s.BytesIn),
		slog.Int64("bytes_out", s.BytesOut),
		slog.Duration("duration", s.End.Sub(s.Start)),
	)
}

// Counters are running totals for one or more servers, updated by every
// engine as it serves: connections (and datagram peers) open and accepted,
// and bytes each way. Read them with Snapshot. The zero value is ready; a
// nil *Counters counts nothing.
type Counters struct {
	open, accepted, bytesIn, bytesOut atomic.Int64
}

// Snapshot is the Counters at one moment.
type Snapshot struct {
	At       time.Time
	Open     int64 // connections and datagram peers open now
	Accepted int64 // connections accepted and peers seen, in all
	BytesIn  int64
	BytesOut int64
}

// Snapshot reads the counters.
func (c *Counters) Snapshot() Snapshot {
	return Snapshot{
		At:       time.Now(),
		Open:     c.open.Load(),
		Accepted: c.accepted.Load(),
		BytesIn:  c.bytesIn.Load(),
		BytesOut: c.bytesOut.Load(),
	}
}

func (c *Counters) opened() {
	if c != nil {
		c.open.Add(1)
		c.accepted.Add(1)
	}
}

func (c *Counters) closed() {
	if c != nil {
		c.open.Add(-1)
	}
}

// tally counts one connection's bytes into its ConnStats and the shared
// Counters at once.
type tally struct {
	ConnStats
	c *Counters
}

func (t *tally) in(n int) {
	t.BytesIn += int64(n)
	if t.c != nil {
		t.c.bytesIn.Add(int64(n))
	}
}

func (t *tally) out(n int) {
	t.BytesOut += int64(n)
	if t.c != nil {
		t.c.bytesOut.Add(int64(n))
	}
}
