package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/engine"
	"github.com/sockit/sockit/internal/testnet"
)

// echoServer serves echo with the named engine at addr and returns the
// endpoint to dial.
func echoServer(t *testing.T, engineName, addr string) endpoint.Endpoint {
	t.Helper()
	eng, err := engine.ByName(engineName)
	if err != nil {
		t.Fatal(err)
	}
	ep := endpoint.MustParse(addr)
	srv, err := eng.Bind(testnet.Context(t), ep, engine.Config{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(context.Background())
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return endpoint.FromAddr(ep.Network, srv.Addr())
}

// mustRun runs cfg and fails the test on a run error.
func mustRun(t *testing.T, cfg Config) *Result {
	t.Helper()
	res, err := Run(testnet.Context(t), cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

// TestRunCounts runs every mode over every socket type it applies to,
// against each engine, for a fixed number of messages: every message must
// come back verified, and be counted once.
func TestRunCounts(t *testing.T) {
	dir := testnet.SocketDir(t)
	type target struct{ name, addr string }
	stream := []target{
		{"tcp4", "tcp://127.0.0.1:0"},
		{"tcp6", "tcp6://[::1]:0"},
		{"unix", "unix:" + filepath.Join(dir, "s.sock")},
		{"unixpacket", "unixpacket:@sockit-bench-test-seq"},
	}
	datagram := []target{
		{"udp4", "udp://127.0.0.1:0"},
		{"unixgram", "unixgram:" + filepath.Join(dir, "g.sock")},
	}
	tests := []struct {
		mode     Mode
		targets  []target
		conns    int
		size     int
		pipeline int
		n        int64
	}{
		{Pingpong, stream, 4, 64, 1, 400},
		{Pingpong, stream, 3, 1000, 5, 300},
		{Stream, stream, 2, 4096, 0, 200},
		{Connect, stream[:3], 4, 0, 0, 40},
		{Datagram, datagram, 3, 100, 4, 300},
	}
	for _, tc := range tests {
		for _, tg := range tc.targets {
			for _, eng := range engine.Names() {
				if eng == "iterative" && tc.conns > 1 {
					continue // it serves one connection at a time
				}
				t.Run(fmt.Sprintf("%s/%s/%s", tc.mode, tg.name, eng), func(t *testing.T) {
					testnet.SkipWithoutIPv6(t, tg.addr[:4])
					target := echoServer(t, eng, tg.addr)
					res := mustRun(t, Config{Target: target, Mode: tc.mode, Conns: tc.conns, Size: tc.size,
						Pipeline: tc.pipeline, Messages: tc.n})
					if res.Failed() || len(res.Errors) > 0 {
						t.Fatalf("errors %v: %s", res.Errors, res.Failure)
					}
					if res.Messages != tc.n {
						t.Errorf("messages = %d, want %d", res.Messages, tc.n)
					}
					switch tc.mode {
					case Connect:
						if res.Connect == nil || res.Connect.Count != tc.n {
							t.Errorf("connect latency = %+v, want %d samples", res.Connect, tc.n)
						}
					default:
						if res.Latency == nil || res.Latency.Count != tc.n {
							t.Errorf("latency = %+v, want %d samples", res.Latency, tc.n)
						}
						if want := tc.n * int64(res.Load.Size); res.Bytes != want {
							t.Errorf("bytes = %d, want %d", res.Bytes, want)
						}
					}
					if tc.mode == Datagram {
						if d := res.Datagrams; d == nil || d.Sent != tc.n || d.Received != tc.n || d.Lost != 0 {
							t.Errorf("datagrams = %+v, want %d sent and received", d, tc.n)
						}
					}
				})
			}
		}
	}
}

// TestRunShapes checks the load-shape options end where they should.
func TestRunShapes(t *testing.T) {
	target := echoServer(t, "threaded", "tcp://127.0.0.1:0")
	tests := []struct {
		name string
		cfg  Config
	}{
		{"rate", Config{Conns: 5, Rate: 5000, Messages: 500}},
		{"rate stream", Config{Mode: Stream, Conns: 2, Size: 1024, Rate: 4000, Messages: 400}},
		{"warmup", Config{Conns: 2, Warmup: 50 * time.Millisecond, Messages: 300}},
		{"pipeline", Config{Conns: 2, Pipeline: 16, Messages: 2000}},
		{"one worker", Config{Conns: 7, Workers: 1, Messages: 700}},
		{"connect rate", Config{Conns: 3, ConnectRate: 200, Messages: 30}},
		{"large messages", Config{Conns: 2, Size: 300 << 10, Pipeline: 2, Messages: 20}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Target = target
			res := mustRun(t, cfg)
			if res.Failed() || len(res.Errors) > 0 {
				t.Fatalf("errors %v: %s", res.Errors, res.Failure)
			}
			if res.Messages != cfg.Messages {
				t.Errorf("messages = %d, want %d", res.Messages, cfg.Messages)
			}
			if res.Latency == nil || res.Latency.Count != cfg.Messages {
				t.Errorf("latency = %+v, want %d samples", res.Latency, cfg.Messages)
			}
		})
	}
}

// TestRunDuration runs for a time and checks the series covers it.
func TestRunDuration(t *testing.T) {
	target := echoServer(t, "evloop", "tcp://127.0.0.1:0")
	var calls int
	res := mustRun(t, Config{Target: target, Conns: 3, Duration: 1200 * time.Millisecond,
		Progress: func(Progress) { calls++ }})
	if res.Failed() || res.Messages == 0 {
		t.Fatalf("messages %d, errors %v: %s", res.Messages, res.Errors, res.Failure)
	}
	var sum int64
	for _, s := range res.Series {
		sum += s.Messages
	}
	if len(res.Series) != 2 || sum != res.Messages {
		t.Errorf("series %+v adds to %d of %d messages; want 2 samples", res.Series, sum, res.Messages)
	}
	if calls != len(res.Series) {
		t.Errorf("progress called %d times for %d samples", calls, len(res.Series))
	}
	if res.MsgsPerSec <= 0 || res.Seconds <= 0 {
		t.Errorf("rate %v over %v s", res.MsgsPerSec, res.Seconds)
	}
}

// TestRunCancel stops a run through its context: it returns what it
// measured, without an error.
func TestRunCancel(t *testing.T) {
	target := echoServer(t, "threaded", "tcp://127.0.0.1:0")
	ctx, cancel := context.WithCancel(testnet.Context(t))
	defer cancel()
	res, err := Run(ctx, Config{Target: target, Conns: 2, Duration: time.Hour,
		Progress: func(Progress) { cancel() }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() || res.Messages == 0 {
		t.Errorf("messages %d, errors %v: %s", res.Messages, res.Errors, res.Failure)
	}
}

func TestRunErrors(t *testing.T) {
	tcp := echoServer(t, "threaded", "tcp://127.0.0.1:0")
	udp := echoServer(t, "threaded", "udp://127.0.0.1:0")
	tests := []struct {
		name string
		cfg  Config
	}{
		{"stdio", Config{Target: endpoint.MustParse("-")}},
		{"datagram mode on tcp", Config{Target: tcp, Mode: Datagram}},
		{"pingpong on udp", Config{Target: udp, Mode: Pingpong}},
		{"unknown mode", Config{Target: tcp, Mode: "flood"}},
		{"tiny datagram", Config{Target: udp, Size: 8}},
		{"negative conns", Config{Target: tcp, Conns: -1}},
		{"negative rate", Config{Target: tcp, Rate: -1}},
		{"huge size", Config{Target: tcp, Size: 1 << 30}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Run(testnet.Context(t), tc.cfg); err == nil {
				t.Errorf("Run(%+v): no error", tc.cfg)
			}
		})
	}
	t.Run("refused", func(t *testing.T) {
		// A port nothing listens on: bind one, note it, close it.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ep := endpoint.FromAddr("tcp", ln.Addr())
		ln.Close()
		_, err = Run(testnet.Context(t), Config{Target: ep, Conns: 2, Messages: 10})
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("Run against a closed port: %v, want connection refused", err)
		}
	})
}

// TestRunClock checks two invariants of the clock: one connection with one
// message in flight cannot spend less time than its round trips add up to,
// and no echo takes no time (1 ns is what a zero latency is recorded as).
func TestRunClock(t *testing.T) {
	tcp := echoServer(t, "evloop", "tcp://127.0.0.1:0")
	udp := echoServer(t, "evloop", "udp://127.0.0.1:0")
	for i := range 30 {
		for _, target := range []endpoint.Endpoint{tcp, udp} {
			res := mustRun(t, Config{Target: target, Messages: 20})
			l := res.Latency
			if spent := float64(l.Count) * l.Mean / 1e9; res.Seconds < spent*0.99 {
				t.Fatalf("run %d on %s: measured %.6f s, but its 20 round trips took %.6f s", i, target, res.Seconds, spent)
			}
			if l.Min <= 1 {
				t.Fatalf("run %d on %s: an echo took %d ns", i, target, l.Min)
			}
		}
	}
}
