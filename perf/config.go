package perf

import (
	"fmt"
	"time"
)

// Config is a test's parameters, as the client asks for them. The zero
// Config is iperf3's default test: one TCP stream, client to server, for
// 10 seconds, reported every second.
type Config struct {
	// Streams is the number of parallel streams (-P). If zero, 1.
	Streams int
	// Reverse makes the server send and the client receive (-R).
	Reverse bool
	// Bidir sends both ways at once, Streams each way (--bidir).
	Bidir bool
	// Duration is how long the test sends, after Omit (-t). If zero and
	// neither Bytes nor Blocks is set, 10 seconds.
	Duration time.Duration
	// Bytes and Blocks end the test once this many bytes or blocks have
	// been sent, over all of one direction's streams (-n, -k).
	Bytes, Blocks int64
	// BlockSize is the size of each write (-l): of each datagram, for
	// UDP. If zero, 128 KiB for streams and 1460 bytes for datagrams.
	BlockSize int
	// Rate is each stream's target, in bits a second (-b). If zero,
	// streams are not paced and datagram streams go at 1 Mbit/s, as in
	// iperf3; Unpaced sends datagrams as fast as they go (-b 0).
	Rate    uint64
	Unpaced bool
	// FQRate has the kernel pace each stream to this many bits a second
	// (SO_MAX_PACING_RATE: TCP paces itself, the fq qdisc paces others;
	// iperf3's --fq-rate). It reaches the server too.
	FQRate uint64
	// Omit leaves the first seconds out of the results (-O): the test
	// runs Omit longer, and its counts start again when Omit ends.
	Omit time.Duration
	// Interval is the period of the interval reports (-i). If zero, 1
	// second; negative, none.
	Interval time.Duration
	// Window sets each data socket's send and receive buffers (-w).
	Window int
	// MSS sets TCP_MAXSEG on TCP data connections (-M).
	MSS int
	// Congestion picks the TCP congestion control algorithm (-C).
	Congestion string
	// NoDelay sets TCP_NODELAY on TCP data connections (-N).
	NoDelay bool
	// Counters64 uses 64-bit datagram sequence numbers
	// (--udp-counters-64bit).
	Counters64 bool
	// NoGSO sends and receives each datagram as its own entry of a
	// sendmmsg(2) or recvmmsg(2) batch, as iperf3 sends each with its own
	// write: without it a UDP sender hands the kernel up to 64 datagrams
	// a write (UDP GSO) and a receiver takes them coalesced (UDP GRO),
	// where the kernel can (--no-gso). Only this side's sockets.
	NoGSO bool
	// Forever runs the test until ctx ends, as iperf3 -t 0 does.
	Forever bool
	// ZeroCopy sends TCP streams from a file by sendfile(2), not from
	// this process's memory (-Z); as in iperf3 it reaches the server
	// too, which sends that way with -R. SkipRxCopy receives them with
	// MSG_TRUNC, which counts the bytes and drops them in the kernel
	// (--skip-rx-copy): this side's own (Server has its own).
	ZeroCopy, SkipRxCopy bool
	// ZeroCopyMsg sends TCP streams with MSG_ZEROCOPY from a buffer that
	// never changes, rather than by sendfile (--zerocopy=msg); this
	// side's own. Result.ZeroCopy says which a side used. On loopback the
	// kernel copies every such send after all (Result.ZeroCopyCopied).
	ZeroCopyMsg bool
}

// Limits on what a test may ask: a server refuses a test past them.
const (
	MaxStreams   = 128
	MaxBlockSize = 16 << 20
	MaxDuration  = 24 * time.Hour
)

// Default block sizes (iperf3's).
const (
	DefaultStreamBlock   = 128 << 10
	DefaultDatagramBlock = 1460
	defaultDatagramRate  = 1_000_000
)

// Check reports the first parameter out of range, as a *ConfigError that
// names it.
func (c Config) Check() error {
	bad := func(field string, format string, args ...any) error {
		return &ConfigError{Field: field, Err: fmt.Errorf(format, args...)}
	}
	switch {
	case c.Streams < 0 || c.Streams > MaxStreams:
		return bad("parallel", "%d parallel streams: from 1 to %d", c.Streams, MaxStreams)
	case c.BlockSize < 0 || c.BlockSize > MaxBlockSize:
		return bad("len", "block size %d: from 1 byte to %d", c.BlockSize, MaxBlockSize)
	case c.Duration < 0 || c.Duration > MaxDuration:
		return bad("time", "duration %v: at most %v", c.Duration, MaxDuration)
	case c.Omit < 0 || c.Omit > MaxDuration:
		return bad("omit", "omit %v: at most %v", c.Omit, MaxDuration)
	case c.Bytes < 0 || c.Blocks < 0:
		return bad("num", "bytes and blocks to send cannot be negative")
	case c.Window < 0 || c.Window > 1<<30:
		return bad("window", "window %d: from 1 byte to 1 GiB", c.Window)
	case c.MSS < 0 || c.MSS > 65535:
		return bad("MSS", "MSS %d: at most 65535", c.MSS)
	}
	return nil
}

// ConfigError is a parameter out of range; Field is its name among
// iperf3's parameters.
type ConfigError struct {
	Field string
	Err   error
}

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// iperfCode is iperf3's error number for a parameter out of range, which
// its client turns into the matching message.
func (e *ConfigError) iperfCode() int32 {
	switch e.Field {
	case "parallel":
		return ieNumStreams
	case "len":
		return ieBlockSize
	case "time":
		return ieDuration
	case "omit":
		return ieOmit
	case "window":
		return ieBufSize
	case "MSS":
		return ieMSS
	}
	return ieRecvParams
}

func (c Config) streams() int { return max(c.Streams, 1) }

func (c Config) duration() time.Duration {
	if c.Forever {
		return 0
	}
	if c.Duration == 0 && c.Bytes == 0 && c.Blocks == 0 {
		return 10 * time.Second
	}
	return c.Duration
}

func (c Config) blockSize(udp bool) int {
	switch {
	case c.BlockSize > 0:
		return c.BlockSize
	case udp:
		return DefaultDatagramBlock
	}
	return DefaultStreamBlock
}

func (c Config) rate(udp bool) uint64 {
	switch {
	case c.Unpaced:
		return 0
	case c.Rate == 0 && udp:
		return defaultDatagramRate
	}
	return c.Rate
}

func (c Config) interval() time.Duration {
	if c.Interval == 0 {
		return time.Second
	}
	return c.Interval
}

// params is c as the client sends it.
func (c Config) params(udp bool, network string) params {
	p := params{
		TCP: !udp, UDP: udp,
		Omit: int(c.Omit / time.Second), Time: int(c.duration() / time.Second),
		Num: c.Bytes, BlockCount: c.Blocks, MSS: c.MSS, NoDelay: c.NoDelay,
		Parallel: c.streams(), Reverse: c.Reverse, Bidir: c.Bidir, Window: c.Window,
		Len: c.blockSize(udp), Bandwidth: c.rate(udp), PacingTimer: 1000,
		Congestion: c.Congestion, Version: "sockit " + Version, Sockit: 1, Network: network,
	}
	if c.Counters64 {
		p.UDPCounters64 = 1
	}
	if c.ZeroCopy {
		p.ZeroCopy = 1
	}
	p.FQRate = c.FQRate
	return p
}

// config is the Config a client's params ask for.
func (p params) config() Config {
	c := Config{
		Streams: p.Parallel, Reverse: p.Reverse, Bidir: p.Bidir,
		Duration: time.Duration(p.Time) * time.Second, Bytes: p.Num, Blocks: p.BlockCount,
		BlockSize: p.Len, Rate: p.Bandwidth, Unpaced: p.Bandwidth == 0,
		Omit: time.Duration(p.Omit) * time.Second, Window: p.Window, MSS: p.MSS,
		Congestion: p.Congestion, NoDelay: p.NoDelay, Counters64: p.UDPCounters64 != 0,
		ZeroCopy: p.ZeroCopy != 0, FQRate: p.FQRate,
	}
	switch {
	case c.Bytes != 0 || c.Blocks != 0:
		c.Duration = 0 // the client sends time too; the bound that ends it is the count
	case p.Time == 0:
		c.Forever = true // iperf3 -t 0: until the client ends it
	}
	return c
}

// Version is sockit perf's protocol version, sent as client_version.
const Version = "1"
