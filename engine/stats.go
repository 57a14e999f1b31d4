package engine

import (
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/socket"
)

// ConnStats is what a server counts for one connection or datagram peer.
type ConnStats struct {
	Tuple    endpoint.Tuple // from the server's side: local is the server
	BytesIn  int64          // bytes received from the peer
	BytesOut int64          // bytes sent to the peer
	Start    time.Time      // when the connection was accepted or the peer first seen
	End      time.Time      // when it closed or was last heard from
	// TCPInfo is the kernel's view of a TCP connection as it closed
	// (TCP_INFO), or nil for other sockets.
	TCPInfo *socket.TCPInfo
}

// LogValue renders the stats as slog attributes.
func (s ConnStats) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("tuple", s.Tuple.String()),
		slog.Int64("bytes_in", s.BytesIn),
		slog.Int64("bytes_out", s.BytesOut),
		slog.Duration("duration", s.End.Sub(s.Start)),
		tcpInfoAttr(s.TCPInfo),
	)
}

// tcpInfoAttr renders the kernel's view of a TCP connection for the close
// log: what a user chasing a slow or lossy connection looks at first.
func tcpInfoAttr(i *socket.TCPInfo) slog.Attr {
	if i == nil {
		return slog.Attr{}
	}
	return slog.Group("tcp_info",
		slog.Duration("rtt", i.RTT),
		slog.Duration("rttvar", i.RTTVar),
		slog.Duration("min_rtt", i.MinRTT),
		slog.Int("retrans", i.TotalRetrans),
		slog.Int("lost", i.Lost),
		slog.Int("cwnd", i.Cwnd),
		slog.Int("ssthresh", i.Ssthresh),
		slog.Int("pmtu", i.PMTU),
		slog.Uint64("delivery_rate", i.DeliveryRate),
		slog.Uint64("bytes_acked", i.BytesAcked),
		slog.Uint64("bytes_received", i.BytesReceived),
		slog.Int("reordering", i.Reordering),
	)
}

// Counters are running totals for one or more servers, updated by every
// engine as it serves: connections (and datagram peers) open and accepted,
// bytes each way, and the datagrams the kernel dropped on UDP sockets.
// Read them with Snapshot. The zero value is ready; a nil *Counters counts
// nothing.
type Counters struct {
	open, accepted, bytesIn, bytesOut atomic.Int64

	mu    sync.Mutex
	drops []*dropCount // one per UDP socket served
}

// Snapshot is the Counters at one moment.
type Snapshot struct {
	At       time.Time
	Open     int64 // connections and datagram peers open now
	Accepted int64 // connections accepted and peers seen, in all
	BytesIn  int64
	BytesOut int64
	// Dropped counts the datagrams the kernel dropped on the UDP sockets
	// served, in all: their receive buffers were full, say. The kernel is
	// asked (SO_MEMINFO) at each Snapshot; a socket closed since keeps
	// the count it had last.
	Dropped int64
}

// Snapshot reads the counters.
func (c *Counters) Snapshot() Snapshot {
	return Snapshot{
		At:       time.Now(),
		Open:     c.open.Load(),
		Accepted: c.accepted.Load(),
		BytesIn:  c.bytesIn.Load(),
		BytesOut: c.bytesOut.Load(),
		Dropped:  c.dropped(),
	}
}

// dropCount is one socket's count of datagrams the kernel dropped, read
// from it by read (an error once it is closed), and unwrapped: the
// kernel's wraps at 2^32.
type dropCount struct {
	read  func() (uint32, error)
	last  uint32
	total int64
}

// countDrops adds a UDP socket whose drops read reads.
func (c *Counters) countDrops(read func() (uint32, error)) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drops = append(c.drops, &dropCount{read: read})
}

// countDropsOf adds sock, a net.PacketConn, if it is a UDP socket.
func (c *Counters) countDropsOf(sock any) {
	u, ok := sock.(*net.UDPConn)
	if !ok {
		return // a unixgram socket drops nothing: its senders wait
	}
	rc, err := u.SyscallConn()
	if err != nil {
		return
	}
	c.countDrops(func() (n uint32, err error) {
		if cerr := rc.Control(func(fd uintptr) { n, err = socket.DroppedFD(fd) }); cerr != nil {
			return 0, cerr
		}
		return n, err
	})
}

// dropped asks each socket for its count and returns their sum.
func (c *Counters) dropped() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var sum int64
	for _, d := range c.drops {
		if n, err := d.read(); err == nil {
			if delta := n - d.last; delta < 1<<31 { // else older news
				d.total += int64(delta)
				d.last = n
			}
		}
		sum += d.total
	}
	return sum
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
