package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/internal/testnet"
	"github.com/sockit/sockit/socket"
)

// forEachEngine runs f as a parallel subtest for every engine.
func forEachEngine(t *testing.T, f func(t *testing.T, e Engine)) {
	for _, name := range Names() {
		e, err := ByName(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(t, e)
		})
	}
}

// serve binds addr with e and serves it until the test ends; it returns the
// server and the endpoint a client dials.
func serve(t testing.TB, e Engine, addr string, cfg Config) (Server, endpoint.Endpoint) {
	t.Helper()
	ep := endpoint.MustParse(addr)
	testnet.SkipWithoutIPv6(t, ep.Network)
	ctx := testnet.Context(t)
	srv, err := e.Bind(ctx, ep, cfg)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return srv, endpoint.FromAddr(ep.Network, srv.Addr())
}

func dial(t *testing.T, ep endpoint.Endpoint) net.Conn {
	t.Helper()
	c, err := ep.Dial(testnet.Context(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(testnet.Timeout))
	return c
}

func payload(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	return p
}

// echoStream sends p on c while reading the echo, half-closes, and checks
// that exactly p comes back followed by end-of-file.
func echoStream(t *testing.T, c net.Conn, p []byte) {
	t.Helper()
	sent := make(chan error, 1)
	go func() {
		_, err := c.Write(p)
		if err == nil {
			err = c.(interface{ CloseWrite() error }).CloseWrite()
		}
		sent <- err
	}()
	got, err := io.ReadAll(c)
	if serr := <-sent; serr != nil {
		t.Fatalf("send: %v", serr)
	}
	if err != nil {
		t.Fatalf("read echo: %v", err)
	}
	if !bytes.Equal(got, p) {
		t.Fatalf("echo of %d bytes differs: got %d bytes, first difference at %d", len(p), len(got), firstDiff(got, p))
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

var streamSizes = []int{1, 2, 1000, 64<<10 - 1, 64 << 10, 64<<10 + 1, 1 << 20}

func TestEchoStream(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e Engine) {
		dir := testnet.SocketDir(t)
		for _, addr := range []string{
			"tcp4://127.0.0.1:0",
			"tcp6://[::1]:0",
			"unix:" + dir + "/echo.sock",
			"unix:@sockit-engine-test-" + filepath.Base(dir),
		} {
			t.Run(addr, func(t *testing.T) {
				_, ep := serve(t, e, addr, Config{})
				for _, n := range streamSizes {
					echoStream(t, dial(t, ep), payload(n, 1))
				}
			})
		}
	})
}

// maxDatagram is the largest message a socket of ep's kind carries with
// default buffers: UDP's limit, or a Unix sender's SO_SNDBUF less 32.
func maxDatagram(t *testing.T, ep endpoint.Endpoint, c net.Conn) int {
	t.Helper()
	switch ep.Network {
	case "udp4":
		return 65535 - 20 - 8
	case "udp6":
		return 65535 - 8
	}
	rc, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var sndbuf int
	var oerr error
	rc.Control(func(fd uintptr) { sndbuf, oerr = socket.OptionFD(fd, socket.SendBuffer) })
	if oerr != nil {
		t.Fatal(oerr)
	}
	return sndbuf - 32
}

func TestEchoMessages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e Engine) {
		dir := testnet.SocketDir(t)
		for _, addr := range []string{
			"udp4://127.0.0.1:0",
			"udp6://[::1]:0",
			"unixgram:" + dir + "/gram.sock",
			"unixpacket:" + dir + "/seq.sock",
			"unixpacket:@sockit-seq-" + filepath.Base(dir),
		} {
			t.Run(addr, func(t *testing.T) {
				_, ep := serve(t, e, addr, Config{})
				c := dial(t, ep)
				limit := maxDatagram(t, ep, c)
				buf := make([]byte, limit+1)
				for _, n := range []int{1, 2, 1000, 1472, limit - 1, limit} {
					p := payload(n, 2)
					if _, err := c.Write(p); err != nil {
						t.Fatalf("send %d bytes: %v", n, err)
					}
					got, err := c.Read(buf)
					if err != nil || !bytes.Equal(buf[:got], p) {
						t.Fatalf("echo of a %d-byte message: got %d bytes, %v", n, got, err)
					}
				}
				// One byte over the limit is refused by the kernel, loudly.
				if _, err := c.Write(payload(limit+1, 3)); !errors.Is(err, syscall.EMSGSIZE) {
					t.Fatalf("send %d bytes (over the %d limit): %v, want EMSGSIZE", limit+1, limit, err)
				}
			})
		}
	})
}

// TestManyConnections has 1,000 clients connected at once, each sending
// its own stream and checking that exactly that comes back. Each client
// half-closes and reads to end-of-file, so an engine that serves one
// connection at a time gets through them in turn.
func TestManyConnections(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e Engine) {
		_, ep := serve(t, e, "tcp://127.0.0.1:0", Config{})
		conns := make([]net.Conn, 1000)
		for i := range conns {
			conns[i] = dial(t, ep)
		}
		var wg sync.WaitGroup
		for i, c := range conns {
			wg.Go(func() {
				p := payload(4<<10+i, uint64(i))
				sent := make(chan error, 1)
				go func() {
					_, err := c.Write(p)
					if err == nil {
						err = c.(*net.TCPConn).CloseWrite()
					}
					sent <- err
				}()
				got, err := io.ReadAll(c)
				if err != nil || !bytes.Equal(got, p) {
					t.Errorf("connection %d: got %d of %d bytes back, %v", i, len(got), len(p), err)
				}
				if err := <-sent; err != nil {
					t.Errorf("connection %d: %v", i, err)
				}
				c.Close()
			})
		}
		wg.Wait()
	})
}

// TestDatagramRepliesToEachSender checks that replies go to each datagram's
// sender, and that the server never connects to its first peer.
func TestDatagramRepliesToEachSender(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e Engine) {
		dir := testnet.SocketDir(t)
		for _, addr := range []string{"udp4://127.0.0.1:0", "unixgram:" + dir + "/g.sock"} {
			t.Run(addr, func(t *testing.T) {
				_, ep := serve(t, e, addr, Config{})
				clients := []net.Conn{dial(t, ep), dial(t, ep), dial(t, ep)}
				buf := make([]byte, 64)
				for round := range 3 {
					for i, c := range clients {
						msg := fmt.Appendf(nil, "client %d round %d", i, round)
						if _, err := c.Write(msg); err != nil {
							t.Fatal(err)
						}
						n, err := c.Read(buf)
						if err != nil || !bytes.Equal(buf[:n], msg) {
							t.Fatalf("client %d got %q, %v; want %q", i, buf[:n], err, msg)
						}
					}
				}
			})
		}
	})
}

func TestHalfClose(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e Engine) {
		for _, addr := range []string{"tcp://127.0.0.1:0", "unixpacket:@sockit-hc-" + filepath.Base(testnet.SocketDir(t))} {
			t.Run(addr, func(t *testing.T) {
				_, ep := serve(t, e, addr, Config{})
				c := dial(t, ep)
				// Several writes, then the client's FIN: every byte sent
				// before the FIN is echoed, then the server's FIN arrives.
				var want []byte
				for i := range 5 {
					msg := fmt.Appendf(nil, "part %d|", i)
					want = append(want, msg...)
					if _, err := c.Write(msg); err != nil {
						t.Fatal(err)
					}
				}
				if err := c.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(c)
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("after half-close got %q, %v; want %q then EOF", got, err, want)
				}
			})
		}
	})
}

// TestShutdownDrains checks that Shutdown stops accepting, waits for an
// open connection to finish its exchange, and removes the socket file.
func TestShutdownDrains(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e Engine) {
		path := filepath.Join(testnet.SocketDir(t), "drain.sock")
		stopped := make(chan struct{})
		logger := slog.New(slog.NewJSONHandler(&signalWriter{match: `"msg":"stopped"`, c: stopped}, nil))
		srv, ep := serve(t, e, "unix:"+path, Config{Logger: logger})
		c := dial(t, ep)
		if _, err := c.Write([]byte("before")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 6)
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatal(err)
		}
		shut := make(chan error, 1)
		go func() { shut <- srv.Shutdown(testnet.Context(t)) }()
		<-stopped
		// No new connection is accepted once the listener is gone...
		if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("socket file still there after the listener closed: %v", err)
		}
		if _, err := ep.Dial(testnet.Context(t)); err == nil {
			t.Fatal("dial succeeded after Shutdown began")
		}
		// ... the open one still works while the server drains...
		if _, err := c.Write([]byte("during")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "during" {
			t.Fatalf("echo during drain: %q, %v", buf, err)
		}
		select {
		case err := <-shut:
			t.Fatalf("Shutdown returned %v with a connection still open", err)
		default:
		}
		// ... and Shutdown returns once the client closes.
		c.Close()
		if err := <-shut; err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	})
}

// signalWriter closes c the first time a log line contains match.
type signalWriter struct {
	match string
	c     chan struct{}
	once  sync.Once
}

func (w *signalWriter) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(w.match)) {
		w.once.Do(func() { close(w.c) })
	}
	return len(p), nil
}

func TestShutdownDeadlineClosesConnections(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e Engine) {
		srv, ep := serve(t, e, "tcp://127.0.0.1:0", Config{})
		c := dial(t, ep)
		if _, err := c.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // no time to drain
		if err := srv.Shutdown(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Shutdown with an ended context: %v", err)
		}
		if _, err := io.ReadAll(c); err != nil && !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("client after forced close: %v", err)
		}
	})
}

// TestLogs checks that each connection and datagram peer is logged with its
// tuple, bytes each way and duration.
func TestLogs(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e Engine) {
		var mu sync.Mutex
		var logs bytes.Buffer
		logger := slog.New(slog.NewJSONHandler(lockedWriter{&mu, &logs}, nil))
		srv, ep := serve(t, e, "tcp://127.0.0.1:0", Config{Logger: logger})
		c := dial(t, ep)
		echoStream(t, c, []byte("twelve bytes"))
		usrv, uep := serve(t, e, "udp://127.0.0.1:0", Config{Logger: logger, PeerIdle: time.Hour})
		u := dial(t, uep)
		if _, err := u.Write([]byte("seven b")); err != nil {
			t.Fatal(err)
		}
		if _, err := u.Read(make([]byte, 16)); err != nil {
			t.Fatal(err)
		}
		srv.Shutdown(testnet.Context(t))
		usrv.Close() // flushes the peer table
		mu.Lock()
		defer mu.Unlock()
		want := map[string]string{
			"tcp": fmt.Sprintf("tcp %s -> %s", srv.Addr(), c.LocalAddr()),
			"udp": fmt.Sprintf("udp %s -> %s", usrv.Addr(), u.LocalAddr()),
		}
		found := map[string]bool{}
		for line := range strings.Lines(logs.String()) {
			var rec struct {
				Msg  string
				Conn struct {
					Tuple    string
					BytesIn  int64 `json:"bytes_in"`
					BytesOut int64 `json:"bytes_out"`
					Duration int64
				}
			}
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("log line %q: %v", line, err)
			}
			for proto, tuple := range want {
				size := map[string]int64{"tcp": 12, "udp": 7}[proto]
				if rec.Conn.Tuple == tuple && rec.Conn.BytesIn == size && rec.Conn.BytesOut == size && rec.Conn.Duration > 0 {
					found[proto] = true
				}
			}
		}
		for proto := range want {
			if !found[proto] {
				t.Errorf("no %s log record with tuple %q, bytes each way and a duration in:\n%s", proto, want[proto], logs.String())
			}
		}
	})
}

// TestSeqPacketClientClose checks that a client closing its unixpacket
// connection, the usual way for one to end, is logged as a stream's close
// is: at level INFO, with no error.
func TestSeqPacketClientClose(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e Engine) {
		tests := []struct {
			name  string
			close func(net.Conn) error
		}{
			{"close", net.Conn.Close},
			{"half-close", func(c net.Conn) error { return c.(*net.UnixConn).CloseWrite() }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var mu sync.Mutex
				var logs bytes.Buffer
				closed := make(chan struct{})
				logger := slog.New(slog.NewJSONHandler(io.MultiWriter(lockedWriter{&mu, &logs}, &signalWriter{match: `"msg":"close"`, c: closed}), nil))
				_, ep := serve(t, e, "unixpacket:"+filepath.Join(testnet.SocketDir(t), "seq.sock"), Config{Logger: logger})
				c := dial(t, ep)
				if _, err := c.Write([]byte("record")); err != nil {
					t.Fatal(err)
				}
				if n, err := c.Read(make([]byte, 16)); err != nil || n != len("record") {
					t.Fatalf("echo: %d bytes, %v", n, err)
				}
				if err := tt.close(c); err != nil {
					t.Fatal(err)
				}
				select {
				case <-closed:
				case <-testnet.Context(t).Done():
					t.Fatal("the server logged no close")
				}
				mu.Lock()
				defer mu.Unlock()
				for line := range strings.Lines(logs.String()) {
					if strings.Contains(line, `"msg":"close"`) && (!strings.Contains(line, `"level":"INFO"`) || strings.Contains(line, `"err"`)) {
						t.Errorf("close logged as %s", line)
					}
				}
			})
		}
	})
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestByName(t *testing.T) {
	if e, err := ByName("threaded"); err != nil || e.Name() != "threaded" {
		t.Fatalf(`ByName("threaded") = %v, %v`, e, err)
	}
	if _, err := ByName("fibers"); err == nil || !strings.Contains(err.Error(), `unknown engine "fibers" (want threaded`) {
		t.Fatalf(`ByName("fibers") error = %v`, err)
	}
}

func TestBindErrors(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e Engine) {
		ctx := testnet.Context(t)
		if _, err := e.Bind(ctx, endpoint.MustParse("-"), Config{}); !errors.Is(err, endpoint.ErrNotSocket) {
			t.Errorf("Bind(-): %v, want ErrNotSocket", err)
		}
		srv, ep := serve(t, e, "tcp://127.0.0.1:0", Config{})
		_ = srv
		if _, err := e.Bind(ctx, ep, Config{}); !errors.Is(err, syscall.EADDRINUSE) {
			t.Errorf("Bind on a busy port: %v, want EADDRINUSE", err)
		}
	})
}

// TestUnrepliable covers datagrams the server cannot answer: from a
// unixgram socket with no name, and records larger than its buffer. Each is
// logged with the reason; none is echoed short; the server keeps serving.
func TestUnrepliable(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e Engine) {
		dir := testnet.SocketDir(t)
		t.Run("unnamed unixgram sender", func(t *testing.T) {
			warned := make(chan struct{})
			logger := slog.New(slog.NewJSONHandler(&signalWriter{match: `"msg":"no reply sent"`, c: warned}, nil))
			_, ep := serve(t, e, "unixgram:"+dir+"/u.sock", Config{Logger: logger})
			raddr := &net.UnixAddr{Name: ep.Address, Net: "unixgram"}
			c, err := net.DialUnix("unixgram", nil, raddr) // no bind: unnamed
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Write([]byte("who am I")); err != nil {
				t.Fatal(err)
			}
			<-warned
			named := dial(t, ep) // a named client is still served
			if _, err := named.Write([]byte("hi")); err != nil {
				t.Fatal(err)
			}
			if n, err := named.Read(make([]byte, 8)); err != nil || n != 2 {
				t.Fatalf("named client after an unnamed one: %d, %v", n, err)
			}
		})
		for _, network := range []string{"unixgram", "unixpacket"} {
			t.Run("oversize "+network, func(t *testing.T) {
				warned := make(chan struct{})
				logger := slog.New(slog.NewJSONHandler(&signalWriter{match: "message truncated", c: warned}, nil))
				_, ep := serve(t, e, network+":"+dir+"/"+network+".big", Config{Logger: logger})
				big := ep
				big.Options.SendBuffer = 4 << 20 // lets the client send past the server's buffer
				c := dial(t, big)
				if _, err := c.Write(payload(recordBuffer+1000, 4)); err != nil {
					t.Skipf("cannot send a %d-byte record here (net.core.wmem_max too low?): %v", recordBuffer+1000, err)
				}
				<-warned
				if network == "unixpacket" {
					// The connection is closed rather than answered short.
					if n, err := c.Read(make([]byte, recordBuffer+1000)); err == nil {
						t.Fatalf("got %d bytes back for a truncated record; want the connection closed", n)
					}
				}
			})
		}
	})
}

// TestCounters checks the running totals every engine keeps.
func TestCounters(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e Engine) {
		var counters Counters
		cfg := Config{Counters: &counters}
		srv, ep := serve(t, e, "tcp://127.0.0.1:0", cfg)
		for range 3 {
			echoStream(t, dial(t, ep), payload(1000, 6))
		}
		// A client sees EOF a moment before the server counts the close;
		// Shutdown waits for every connection's accounting.
		srv.Shutdown(testnet.Context(t))
		usrv, uep := serve(t, e, "udp://127.0.0.1:0", cfg)
		u := dial(t, uep)
		for range 2 {
			if _, err := u.Write(payload(100, 7)); err != nil {
				t.Fatal(err)
			}
			if _, err := u.Read(make([]byte, 200)); err != nil {
				t.Fatal(err)
			}
		}
		mid := counters.Snapshot()
		if mid.Open != 1 || mid.Accepted != 4 {
			t.Errorf("with one UDP peer active: %d open, %d accepted; want 1, 4", mid.Open, mid.Accepted)
		}
		usrv.Shutdown(testnet.Context(t))
		got := counters.Snapshot()
		want := Snapshot{At: got.At, Open: 0, Accepted: 4, BytesIn: 3200, BytesOut: 3200}
		if got != want {
			t.Errorf("counters %+v, want %+v", got, want)
		}
	})
}

// TestMaxConns checks that the threaded and evloop engines stop accepting
// at MaxConns and resume when a connection closes.
func TestMaxConns(t *testing.T) {
	for _, tt := range []struct {
		name string
		e    Engine
	}{
		{"threaded", Threaded{}},
		{"evloop reuseport", Evloop{Accept: AcceptReusePort}},
		{"evloop handoff", Evloop{Accept: AcceptHandoff}},
	} {
		t.Run(tt.name, func(t *testing.T) { testMaxConns(t, tt.e) })
	}
}

func testMaxConns(t *testing.T, e Engine) {
	_, ep := serve(t, e, "tcp://127.0.0.1:0", Config{MaxConns: 2})
	roundTrip := func(c net.Conn, msg string) {
		t.Helper()
		if _, err := c.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, len(msg))
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != msg {
			t.Fatalf("echo %q: %q, %v", msg, buf, err)
		}
	}
	a, b := dial(t, ep), dial(t, ep)
	roundTrip(a, "a")
	roundTrip(b, "b")
	third := dial(t, ep) // completes in the listen queue
	if _, err := third.Write([]byte("c")); err != nil {
		t.Fatal(err)
	}
	// At the limit: not accepted, so no echo. (An echo would come at once;
	// this can only pass wrongly on a slow machine, never fail wrongly.)
	third.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if n, err := third.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("third connection served past MaxConns: %d bytes, %v", n, err)
	}
	a.Close()
	third.SetReadDeadline(time.Now().Add(testnet.Timeout))
	buf := make([]byte, 1)
	if _, err := io.ReadFull(third, buf); err != nil || string(buf) != "c" {
		t.Fatalf("third connection after one closed: %q, %v", buf, err)
	}
	roundTrip(b, "still b")
}

// TestCloseLogTCPInfo checks that every engine logs the kernel's view of
// a TCP connection (TCP_INFO) as it closes, and none for a Unix one.
func TestCloseLogTCPInfo(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e Engine) {
		for _, addr := range []string{"tcp://127.0.0.1:0", "unix:" + filepath.Join(testnet.SocketDir(t), "s.sock")} {
			var mu sync.Mutex
			var logs bytes.Buffer
			closed := make(chan struct{})
			logger := slog.New(slog.NewJSONHandler(io.MultiWriter(lockedWriter{&mu, &logs}, &signalWriter{match: `"msg":"close"`, c: closed}), nil))
			_, ep := serve(t, e, addr, Config{Logger: logger})
			c := dial(t, ep)
			msg := []byte("measure me")
			if _, err := c.Write(msg); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(c, make([]byte, len(msg))); err != nil {
				t.Fatal(err)
			}
			c.Close()
			select {
			case <-closed:
			case <-testnet.Context(t).Done():
				t.Fatal("the server logged no close")
			}
			mu.Lock()
			var rec struct {
				Msg  string `json:"msg"`
				Conn struct {
					TCPInfo *struct {
						RTT           int64  `json:"rtt"`
						Cwnd          int    `json:"cwnd"`
						BytesReceived uint64 `json:"bytes_received"`
						BytesAcked    uint64 `json:"bytes_acked"`
					} `json:"tcp_info"`
				} `json:"conn"`
			}
			for line := range strings.Lines(logs.String()) {
				if strings.Contains(line, `"msg":"close"`) {
					if err := json.Unmarshal([]byte(line), &rec); err != nil {
						t.Fatal(err)
					}
				}
			}
			mu.Unlock()
			ti := rec.Conn.TCPInfo
			switch {
			case strings.HasPrefix(addr, "unix"):
				if ti != nil {
					t.Errorf("%s: a Unix connection logged tcp_info %+v", addr, *ti)
				}
			case ti == nil:
				t.Errorf("%s: no tcp_info in the close log:\n%s", addr, logs.String())
			case ti.BytesReceived < uint64(len(msg)) || ti.BytesAcked < uint64(len(msg)) || ti.Cwnd <= 0 || ti.RTT <= 0:
				t.Errorf("%s: tcp_info %+v: want %d bytes received and acknowledged, a window and a round trip", addr, *ti, len(msg))
			}
		}
	})
}

// TestCountersDropped: the datagrams the kernel drops on a UDP socket whose
// receive buffer is full are counted, and the rest are answered.
func TestCountersDropped(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e Engine) {
		var counters Counters
		ep := endpoint.MustParse("udp://127.0.0.1:0?rcvbuf=1024") // the kernel's least: a few datagrams
		ctx := testnet.Context(t)
		srv, err := e.Bind(ctx, ep, Config{Counters: &counters})
		if err != nil {
			t.Fatal(err)
		}
		c := dial(t, endpoint.FromAddr(ep.Network, srv.Addr()))
		// Not served yet, so nothing reads: on loopback the kernel queues
		// or drops each datagram as it is sent.
		const burst = 200
		for range burst {
			if _, err := c.Write(payload(100, 8)); err != nil {
				t.Fatal(err)
			}
		}
		dropped := counters.Snapshot().Dropped
		if dropped <= 0 || dropped >= burst {
			t.Fatalf("Snapshot().Dropped = %d after a burst of %d into a full buffer", dropped, burst)
		}
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ctx) }()
		defer func() {
			srv.Close()
			<-served
		}()
		buf := make([]byte, 200)
		for i := range burst - dropped {
			if n, err := c.Read(buf); err != nil || n != 100 {
				t.Fatalf("reply %d of the %d not dropped: %d bytes, %v", i+1, burst-dropped, n, err)
			}
		}
		if got := counters.Snapshot().Dropped; got != dropped {
			t.Errorf("Snapshot().Dropped = %d once served, want still %d", got, dropped)
		}
	})
}
