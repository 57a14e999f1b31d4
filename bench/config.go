package bench

import (
	"fmt"
	"math"
	"runtime"
	"time"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/socket"
)

// Mode is what a run measures.
type Mode string

// The modes.
const (
	// Pingpong sends a message, reads its echo whole, and sends the next:
	// request/response latency and messages per second.
	Pingpong Mode = "pingpong"
	// Stream writes as fast as each connection takes and reads the echo at
	// the same time: full-duplex throughput.
	Stream Mode = "stream"
	// Connect opens a connection and closes it, over and over: connections
	// per second and connect latency.
	Connect Mode = "connect"
	// Datagram sends numbered datagrams and reads their echoes: packets
	// per second, loss, reordering and latency.
	Datagram Mode = "datagram"
)

// Modes lists the modes, in the order help shows them.
func Modes() []Mode { return []Mode{Pingpong, Stream, Connect, Datagram} }

// datagramHeader is the bytes at the start of each datagram that say which
// connection sent it and its sequence number.
const datagramHeader = 16

// Config describes a run. The zero value (with Target set) is a
// five-second, 64-byte ping-pong over one connection.
type Config struct {
	// Target is the endpoint to load: an echo server.
	Target endpoint.Endpoint
	// Label names the run in reports. If empty, the target.
	Label string
	// Mode is what to measure. If empty, Pingpong for stream and
	// sequenced-packet targets and Datagram for datagram ones.
	Mode Mode
	// Conns is how many connections (or, for Datagram, sockets) run at
	// once. If zero, 1.
	Conns int
	// Size is the message size in bytes. If zero, 64 (16 KiB in Stream
	// mode); Datagram needs at least 16 for its header.
	Size int
	// Duration is how long to measure, after Warmup. If zero and Messages
	// is zero too, 5 seconds.
	Duration time.Duration
	// Messages, if positive, ends the run after that many messages (or
	// connections, in Connect mode, failed dials included) instead of
	// after Duration.
	Messages int64
	// Warmup is how long to run before measuring. Nothing done during it
	// is counted, but it is verified all the same.
	Warmup time.Duration
	// Rate, if positive, sends that many messages per second in total, on
	// a fixed schedule (open loop), and counts each message's latency from
	// when the schedule said to send it. If zero, each connection sends as
	// soon as it may (closed loop).
	Rate float64
	// ConnectRate, if positive, opens at most that many connections per
	// second. In Connect mode it is the rate measured.
	ConnectRate float64
	// Pipeline is how many messages each connection keeps in flight in
	// Pingpong and Datagram mode. If zero, 1 in closed loop; with Rate,
	// no limit: a message leaves when it is due, whatever is in flight.
	Pipeline int
	// Workers is how many event loops drive the connections. If zero,
	// GOMAXPROCS.
	Workers int
	// Timeout is how long a message may wait for its echo, or a dial for
	// its connection, before it counts as an error (a lost datagram, in
	// Datagram mode). If zero, 5 seconds (1 second for datagrams).
	Timeout time.Duration
	// Progress, if not nil, is called about once a second with the totals
	// so far, from a goroutine of the run's own.
	Progress func(Progress)
}

// Progress is a run's state as it goes.
type Progress struct {
	Elapsed  time.Duration // since measuring began (negative while warming up)
	Messages int64         // messages verified so far
	Bytes    int64         // bytes verified so far
	Errors   int64         // errors of every kind so far
}

// Check reports whether Run would accept c, without running it.
func (c Config) Check() error {
	_, err := c.withDefaults()
	return err
}

// withDefaults fills in zero fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	typ := c.Target.Type()
	if typ == 0 {
		return c, fmt.Errorf("bench: %s is not a socket endpoint", c.Target)
	}
	if c.Label == "" {
		c.Label = c.Target.String()
	}
	if c.Mode == "" {
		c.Mode = Pingpong
		if typ == socket.Datagram {
			c.Mode = Datagram
		}
	}
	switch c.Mode {
	case Pingpong, Stream, Connect:
		if typ == socket.Datagram {
			return c, fmt.Errorf("bench: %s mode needs a stream endpoint; %s is a datagram one (use --mode datagram)", c.Mode, c.Target)
		}
	case Datagram:
		if typ != socket.Datagram {
			return c, fmt.Errorf("bench: datagram mode needs a datagram endpoint (udp, unixgram); %s is not one", c.Target)
		}
	default:
		return c, fmt.Errorf("bench: unknown mode %q (want pingpong, stream, connect or datagram)", c.Mode)
	}
	if c.Conns == 0 {
		c.Conns = 1
	}
	if c.Size == 0 {
		c.Size = 64
		if c.Mode == Stream {
			c.Size = 16 << 10
		}
	}
	if c.Pipeline == 0 {
		c.Pipeline = 1
		if c.Rate > 0 {
			c.Pipeline = math.MaxInt
		}
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.Duration == 0 && c.Messages == 0 {
		c.Duration = 5 * time.Second
	}
	if c.Timeout == 0 {
		c.Timeout = 5 * time.Second
		if c.Mode == Datagram {
			c.Timeout = time.Second
		}
	}
	switch {
	case c.Conns < 0:
		return c, fmt.Errorf("bench: connections must be positive, not %d", c.Conns)
	case c.Size < 1 || c.Size > 64<<20:
		return c, fmt.Errorf("bench: message size %d is out of range (1 byte to 64 MiB)", c.Size)
	case c.Mode == Datagram && c.Size < datagramHeader:
		return c, fmt.Errorf("bench: datagram size %d is too small: each datagram carries a %d-byte header", c.Size, datagramHeader)
	case c.Pipeline < 0:
		return c, fmt.Errorf("bench: pipeline must be positive, not %d", c.Pipeline)
	case c.Workers < 0:
		return c, fmt.Errorf("bench: workers must be positive, not %d", c.Workers)
	case c.Duration < 0 || c.Warmup < 0 || c.Timeout < 0:
		return c, fmt.Errorf("bench: durations must not be negative")
	case c.Messages < 0 || c.Rate < 0 || c.ConnectRate < 0:
		return c, fmt.Errorf("bench: message count and rates must not be negative")
	}
	c.Workers = min(c.Workers, c.Conns)
	return c, nil
}
