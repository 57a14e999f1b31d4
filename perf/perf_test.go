package perf_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/internal/testnet"
	"github.com/sockit/sockit/perf"
)

// serving is a perf server running for one test, its events on a channel.
type serving struct {
	addr   net.Addr
	events chan perf.ServerEvent
}

// serve starts s on addr; it ends with the test, and Serve must return
// nil then.
func serve(t *testing.T, addr string, s *perf.Server) *serving {
	t.Helper()
	ctx, cancel := context.WithCancel(testnet.Context(t))
	l, err := perf.Listen(ctx, endpoint.MustParse(addr))
	if err != nil {
		t.Fatal(err)
	}
	sv := &serving{addr: l.Addr(), events: make(chan perf.ServerEvent, 1000)}
	s.Report = func(e perf.ServerEvent) {
		if e.Kind != perf.TestInterval {
			sv.events <- e
		}
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return sv
}

// next returns the server's next event of kind, skipping the others.
func (sv *serving) next(t *testing.T, kind perf.ServerEventKind) perf.ServerEvent {
	t.Helper()
	ctx := testnet.Context(t)
	for {
		select {
		case e := <-sv.events:
			if e.Kind == kind {
				return e
			}
		case <-ctx.Done():
			t.Fatalf("no server event of kind %d", kind)
		}
	}
}

// target is the client's address for a server listening on sv for
// network.
func (sv *serving) target(network string) endpoint.Endpoint {
	switch network {
	case "udp", "udp6":
		return endpoint.Endpoint{Network: network, Address: sv.addr.String()}
	case "unix", "unixpacket", "unixgram":
		return endpoint.Endpoint{Network: network, Address: sv.addr.String()}
	case "tls":
		ep := endpoint.Endpoint{Network: "tls", Address: sv.addr.String()}
		ep.Options.TLS.Insecure = true
		return ep
	}
	return endpoint.Endpoint{Network: network, Address: sv.addr.String()}
}

// listenAddr is where a server for network listens.
func listenAddr(t *testing.T, network string) string {
	switch network {
	case "tcp", "udp":
		return "tcp://127.0.0.1:0"
	case "tcp6", "udp6":
		testnet.SkipWithoutIPv6(t, "tcp6")
		return "tcp6://[::1]:0"
	case "unix", "unixgram":
		return "unix://" + filepath.Join(testnet.SocketDir(t), "perf.sock")
	case "unixpacket":
		return "unixpacket://" + filepath.Join(testnet.SocketDir(t), "perf.sock")
	case "tls":
		return "tls://127.0.0.1:0"
	}
	t.Fatalf("no listen address for %s", network)
	return ""
}

// TestEveryNetwork runs a byte-bounded test on each network, each way:
// between two sockit sides every byte sent is counted as received, on
// each stream, and both sides agree.
func TestEveryNetwork(t *testing.T) {
	const n = 3 << 20
	modes := []struct {
		name string
		cfg  perf.Config
	}{
		{"forward", perf.Config{Bytes: n}},
		{"reverse", perf.Config{Bytes: n, Reverse: true}},
		{"bidir", perf.Config{Bytes: n, Bidir: true}},
		{"parallel", perf.Config{Bytes: n, Streams: 3}},
		{"zerocopy", perf.Config{Bytes: n, ZeroCopy: true}},
		{"zerocopy-msg", perf.Config{Bytes: n, ZeroCopyMsg: true}},
		{"skip-rx-copy", perf.Config{Bytes: n, Reverse: true, SkipRxCopy: true}},
	}
	for _, network := range []string{"tcp", "tcp6", "unix", "unixpacket", "tls"} {
		for _, mode := range modes {
			t.Run(network+"/"+mode.name, func(t *testing.T) {
				// The server's side of the bidirectional test sends by
				// sendfile and receives with MSG_TRUNC (on TCP).
				sv := serve(t, listenAddr(t, network), &perf.Server{ZeroCopy: mode.name == "bidir", SkipRxCopy: mode.name == "bidir"})
				cfg := mode.cfg
				cfg.Interval = 100 * time.Millisecond
				if network == "unixpacket" {
					cfg.BlockSize = 16 << 10 // a record each, within the socket's buffer
				}
				res, err := (&perf.Client{Config: cfg}).Run(testnet.Context(t), sv.target(network))
				if err != nil {
					t.Fatal(err)
				}
				end := sv.next(t, perf.TestEnded)
				if end.Err != nil {
					t.Fatalf("the server's test: %v", end.Err)
				}
				wantStreams := cfg.Streams
				if wantStreams == 0 {
					wantStreams = 1
				}
				if cfg.Bidir {
					wantStreams *= 2
				}
				if len(res.Streams) != wantStreams || len(end.Result.Streams) != wantStreams {
					t.Fatalf("%d streams here, %d at the server; want %d", len(res.Streams), len(end.Result.Streams), wantStreams)
				}
				for _, reverse := range res.Directions() {
					sent, recv := res.Sum(reverse)
					if sent.Bytes < n || recv.Bytes != sent.Bytes {
						t.Errorf("reverse=%v: sent %d, received %d; want at least %d sent, all received", reverse, sent.Bytes, recv.Bytes, n)
					}
					ssent, srecv := end.Result.Sum(reverse)
					if ssent.Bytes != sent.Bytes || srecv.Bytes != recv.Bytes {
						t.Errorf("reverse=%v: the server says %d sent and %d received, the client %d and %d", reverse, ssent.Bytes, srecv.Bytes, sent.Bytes, recv.Bytes)
					}
				}
				for _, s := range res.Streams {
					if s.Sent.Bytes != s.Received.Bytes {
						t.Errorf("stream %d: sent %d, received %d", s.ID, s.Sent.Bytes, s.Received.Bytes)
					}
				}
				// Plain TCP sends without a copy where asked; a Unix or TLS
				// stream has no such path and writes. A client that only
				// receives sends nothing.
				sentBy := map[string]string{"reverse": "", "skip-rx-copy": "", "zerocopy": "sendfile", "zerocopy-msg": "MSG_ZEROCOPY"}
				want, checked := sentBy[mode.name]
				if want != "" && network != "tcp" && network != "tcp6" {
					want = "write"
				}
				if checked && res.SentBy != want {
					t.Errorf("sent by %q, want %q", res.SentBy, want)
				}
			})
		}
	}
}

// TestUDP: paced UDP each way over IPv4 and IPv6: the datagrams counted
// as sent arrive (loopback loses none at 20 Mbit/s), the receiver
// reports their jitter, and both sides agree.
func TestUDP(t *testing.T) {
	for _, network := range []string{"udp", "udp6", "unixgram"} {
		for _, cfg := range []perf.Config{
			{Duration: time.Second, Rate: 20e6, BlockSize: 1200},
			{Duration: time.Second, Rate: 20e6, Reverse: true, Counters64: true},
			{Duration: time.Second, Rate: 10e6, Bidir: true},
			{Duration: time.Second, Rate: 10e6, Streams: 2},
			{Duration: time.Second, Rate: 20e6, BlockSize: 200, NoGSO: true},
			{Duration: time.Second, Rate: 50e6, BlockSize: 200},
		} {
			t.Run(network, func(t *testing.T) {
				sv := serve(t, listenAddr(t, network), &perf.Server{})
				res, err := (&perf.Client{Config: cfg}).Run(testnet.Context(t), sv.target(network))
				if err != nil {
					t.Fatal(err)
				}
				end := sv.next(t, perf.TestEnded)
				if end.Err != nil {
					t.Fatalf("the server's test: %v", end.Err)
				}
				for _, reverse := range res.Directions() {
					sent, recv := res.Sum(reverse)
					// 10 Mbit/s for a second is about 850 datagrams of
					// 1,460 bytes. What was received and counted lost
					// cannot exceed what was sent (a loaded machine may
					// drop some in the kernel: at least half arrive).
					if sent.Packets < 400 || recv.Packets < sent.Packets/2 || recv.Packets+recv.Lost > sent.Packets {
						t.Errorf("reverse=%v: %d datagrams sent, %d received and %d lost", reverse, sent.Packets, recv.Packets, recv.Lost)
					}
					if recv.Jitter <= 0 || recv.Jitter > time.Second {
						t.Errorf("reverse=%v: jitter %v", reverse, recv.Jitter)
					}
					ssent, srecv := end.Result.Sum(reverse)
					if ssent.Packets != sent.Packets || srecv.Packets != recv.Packets {
						t.Errorf("reverse=%v: the server says %d sent and %d received, the client %d and %d", reverse, ssent.Packets, srecv.Packets, sent.Packets, recv.Packets)
					}
				}
			})
		}
	}
}

// TestManyClients: ten clients at once against one server each get
// their own test and all their bytes.
func TestManyClients(t *testing.T) {
	sv := serve(t, "tcp://127.0.0.1:0", &perf.Server{})
	const clients, n = 10, 1 << 20
	errs := make(chan error, clients)
	for i := range clients {
		go func() {
			cfg := perf.Config{Bytes: n, Reverse: i%2 == 1}
			res, err := (&perf.Client{Config: cfg}).Run(testnet.Context(t), sv.target("tcp"))
			if err == nil {
				if sent, recv := res.Sum(cfg.Reverse); sent.Bytes < n || recv.Bytes != sent.Bytes {
					err = errors.New("a client's bytes went astray")
				}
			}
			errs <- err
		}()
	}
	for range clients {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	seen := map[int]bool{}
	for range clients {
		e := sv.next(t, perf.TestEnded)
		if e.Err != nil || seen[e.Test] {
			t.Errorf("test #%d: %v (seen before: %v)", e.Test, e.Err, seen[e.Test])
		}
		seen[e.Test] = true
	}
}

// TestBusy: past MaxTests a client is told the server is busy, and the
// server serves the next client once a test has ended.
func TestBusy(t *testing.T) {
	sv := serve(t, "tcp://127.0.0.1:0", &perf.Server{MaxTests: 1})
	// A client that sent its cookie holds the one test place while it
	// says nothing.
	holder, err := net.Dial("tcp", sv.addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	holder.Write(append([]byte("abcdefghijklmnopqrstuvwxyz2345672345"), 0))
	holder.SetReadDeadline(time.Now().Add(testnet.Timeout))
	state := make([]byte, 1)
	if _, err := holder.Read(state); err != nil || state[0] != 9 {
		t.Fatalf("the first client read %v, %v; want PARAM_EXCHANGE (9)", state, err)
	}
	_, err = (&perf.Client{Config: perf.Config{Bytes: 1 << 20}}).Run(testnet.Context(t), sv.target("tcp"))
	if !errors.Is(err, perf.ErrBusy) {
		t.Fatalf("second client: %v, want ErrBusy", err)
	}
	if e := sv.next(t, perf.TestRefused); !errors.Is(e.Err, perf.ErrBusy) {
		t.Errorf("refused: %v", e.Err)
	}
	holder.Close()
	if e := sv.next(t, perf.TestRefused); e.Err == nil {
		t.Errorf("the holder's end: %+v", e)
	}
	if _, err := (&perf.Client{Config: perf.Config{Bytes: 1 << 20}}).Run(testnet.Context(t), sv.target("tcp")); err != nil {
		t.Fatalf("after the holder went: %v", err)
	}
}

// TestStreamPort: with StreamPort the streams leave from consecutive
// ports, and the control connection from its own.
func TestStreamPort(t *testing.T) {
	sv := serve(t, "tcp://127.0.0.1:0", &perf.Server{})
	port := testnet.FreePort(t)
	cl := &perf.Client{Config: perf.Config{Bytes: 1 << 20, Streams: 2}, StreamPort: port}
	res, err := cl.Run(testnet.Context(t), sv.target("tcp"))
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range res.Streams {
		if got := s.Local.(*net.TCPAddr).Port; got != port+i {
			t.Errorf("stream %d left from port %d, want %d", s.ID, got, port+i)
		}
	}
	if got := res.Local.(*net.TCPAddr).Port; got == port || got == port+1 {
		t.Errorf("the control connection took a stream's port %d", got)
	}
}

// TestFQRate: with FQRate the kernel paces each stream, both ways: a
// stream cannot go faster than its rate (a loaded machine only makes it
// slower, so only the upper bound is checked; unpaced, loopback moves
// a hundred times as much).
func TestFQRate(t *testing.T) {
	sv := serve(t, "tcp://127.0.0.1:0", &perf.Server{})
	const rate = 100e6
	res, err := (&perf.Client{Config: perf.Config{Duration: time.Second, FQRate: rate, Bidir: true}}).Run(testnet.Context(t), sv.target("tcp"))
	if err != nil {
		t.Fatal(err)
	}
	for _, reverse := range res.Directions() {
		sent, _ := res.Sum(reverse)
		if sent.Bytes == 0 || sent.BitsPerSecond() > 2*rate {
			t.Errorf("reverse=%v: %d bytes in %.2fs, %.0f bit/s; want at most %.0f", reverse, sent.Bytes, sent.Seconds, sent.BitsPerSecond(), 2*rate)
		}
	}
}
