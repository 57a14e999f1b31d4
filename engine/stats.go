package engine

import (
	"log/slog"
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
