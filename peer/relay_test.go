package peer_test

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/internal/testnet"
	"github.com/sockit/sockit/peer"
	"github.com/sockit/sockit/relay"
)

func mustParse(t *testing.T, s string) endpoint.Endpoint {
	t.Helper()
	ep, err := endpoint.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

// relaying is a Relay running in a goroutine, its events on a channel.
type relaying struct {
	events chan peer.RelayEvent
	done   chan error
	stop   context.CancelFunc
}

func runRelay(t *testing.T, r *peer.Relay) *relaying {
	t.Helper()
	ctx, stop := context.WithCancel(testnet.Context(t))
	rr := &relaying{events: make(chan peer.RelayEvent, 100), done: make(chan error, 1), stop: stop}
	r.Report = func(e peer.RelayEvent) { rr.events <- e }
	go func() { rr.done <- r.Run(ctx) }()
	t.Cleanup(func() { stop(); <-rr.done })
	return rr
}

// next returns the next event of kind, skipping others.
func (rr *relaying) next(t *testing.T, kind peer.RelayEventKind) peer.RelayEvent {
	t.Helper()
	ctx := testnet.Context(t)
	for {
		select {
		case e := <-rr.events:
			if e.Kind == kind {
				return e
			}
		case <-ctx.Done():
			t.Fatalf("no relay event of kind %d", kind)
		}
	}
}

func (rr *relaying) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-rr.done:
		rr.done <- err // for the cleanup
		return err
	case <-testnet.Context(t).Done():
		t.Fatal("Run did not return")
		return nil
	}
}

// upstream accepts one connection, reads it to its end, then answers
// reply and closes: it proves the half-close crossed the relay.
func upstream(t *testing.T, reply string) (addr string, got chan string) {
	t.Helper()
	ln := tcpListener(t)
	t.Cleanup(func() { ln.Close() })
	got = make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- "accept: " + err.Error()
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c) // until the relay shuts down its write side
		got <- string(b)
		io.WriteString(c, reply)
	}()
	return ln.Addr().String(), got
}

// exchange dials addr, sends msg, shuts down its write side and returns
// what came back before end-of-file.
func exchange(t *testing.T, addr, msg string) string {
	t.Helper()
	c := dialFrom(t, addr, "")
	if _, err := io.WriteString(c, msg); err != nil {
		t.Fatal(err)
	}
	closeWrite(t, c)
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRelayForward: A listens, B dials; each side's end of stream is
// carried across, and Ended counts the bytes in A-to-B order and carries
// each side's TCP_INFO as it closed.
func TestRelayForward(t *testing.T) {
	up, got := upstream(t, "world")
	rr := runRelay(t, &peer.Relay{A: mustParse(t, "tcp://127.0.0.1:0"), B: mustParse(t, up), TCPInfo: true})
	l := rr.next(t, peer.Listening)
	if l.Side != relay.A {
		t.Fatalf("side %q listens, want a", l.Side)
	}
	if reply := exchange(t, l.Listener.Addr().String(), "hello!"); reply != "world" {
		t.Errorf("client got %q, want world", reply)
	}
	if s := <-got; s != "hello!" {
		t.Errorf("upstream got %q, want hello!", s)
	}
	p := rr.next(t, peer.Paired)
	if _, ok := p.A.(net.Conn); !ok || p.N != 1 {
		t.Errorf("paired #%d with A a %T, want #1 and a net.Conn", p.N, p.A)
	}
	e := rr.next(t, peer.Ended)
	if !e.Joined || e.Err != nil || e.Stats.AToB != 6 || e.Stats.BToA != 5 || e.Stats.FirstEnd != relay.A {
		t.Errorf("ended %+v, want joined, no error, 6 bytes a->b, 5 b->a, a first", e)
	}
	// Each side's socket received what its peer sent (its FIN may count
	// too, if it had come).
	if e.InfoA == nil || e.InfoA.BytesReceived < 6 || e.InfoB == nil || e.InfoB.BytesReceived < 5 {
		t.Errorf("tcp_info at close: a %v, b %v; want a to have received 6 bytes and b 5", e.InfoA, e.InfoB)
	}
	if err := rr.wait(t); err != nil {
		t.Errorf("Run: %v", err)
	}
}

// TestRelayBothListen: with ?listen on B both sides accept, and the
// pairing joins a connection to each; Stats stay in A-to-B order.
func TestRelayBothListen(t *testing.T) {
	rr := runRelay(t, &peer.Relay{A: mustParse(t, "tcp://127.0.0.1:0"), B: mustParse(t, "tcp://127.0.0.1:0?listen"), Keep: true})
	addrs := map[relay.Side]string{}
	for range 2 {
		l := rr.next(t, peer.Listening)
		addrs[l.Side] = l.Listener.Addr().String()
	}
	a := dialFrom(t, addrs[relay.A], "")
	b := dialFrom(t, addrs[relay.B], "")
	io.WriteString(a, "from a")
	closeWrite(t, a)
	buf := make([]byte, 6)
	if _, err := io.ReadFull(b, buf); err != nil || string(buf) != "from a" {
		t.Fatalf("b read %q, %v", buf, err)
	}
	io.WriteString(b, "and b")
	b.Close()
	if rest, _ := io.ReadAll(a); string(rest) != "and b" {
		t.Errorf("a read %q, want \"and b\"", rest)
	}
	e := rr.next(t, peer.Ended)
	if e.Stats.AToB != 6 || e.Stats.BToA != 5 {
		t.Errorf("stats %+v, want 6 a->b and 5 b->a", e.Stats)
	}
	rr.stop()
	if err := rr.wait(t); err != nil {
		t.Errorf("Run after ctx ended: %v, want nil", err)
	}
}

// TestRelayProgram: each connection gets its own run of the program.
func TestRelayProgram(t *testing.T) {
	rr := runRelay(t, &peer.Relay{A: mustParse(t, "tcp://127.0.0.1:0"), B: mustParse(t, "exec:cat"), Keep: true})
	addr := rr.next(t, peer.Listening).Listener.Addr().String()
	for _, msg := range []string{"one\n", "two\n"} {
		if got := exchange(t, addr, msg); got != msg {
			t.Errorf("cat sent back %q, want %q", got, msg)
		}
	}
}

// TestRelayDialFails: without Keep, a second side that cannot be dialled
// is Run's error, and the pairing ends unjoined.
func TestRelayDialFails(t *testing.T) {
	closed := tcpListener(t)
	addr := closed.Addr().String()
	closed.Close() // nothing listens there now
	rr := runRelay(t, &peer.Relay{A: mustParse(t, "tcp://127.0.0.1:0"), B: mustParse(t, addr)})
	c := dialFrom(t, rr.next(t, peer.Listening).Listener.Addr().String(), "")
	if e := rr.next(t, peer.Ended); e.Joined || e.Err == nil {
		t.Errorf("ended %+v, want unjoined with an error", e)
	}
	if err := rr.wait(t); err == nil {
		t.Error("Run returned nil, want the dial's error")
	}
	if n, _ := c.Read(make([]byte, 1)); n != 0 {
		t.Error("the accepted connection was not closed")
	}
}

func TestRelayCheck(t *testing.T) {
	tests := []struct {
		a, b string
		keep bool
		want error
		la   bool // A listens
		lb   bool
	}{
		{a: "tcp://127.0.0.1:7", b: "tcp://127.0.0.1:8", la: true},
		{a: "tcp://127.0.0.1:7?dial", b: "tcp://127.0.0.1:8?listen", lb: true},
		{a: "exec:cat", b: "tcp://127.0.0.1:8", lb: true},
		{a: "-", b: "tcp://127.0.0.1:8"},
		{a: "file:/tmp/x", b: "tcp://127.0.0.1:8"},
		{a: "-", b: "exec:cat", want: peer.ErrNoSocket},
		{a: "-", b: "tcp://127.0.0.1:8", keep: true, want: peer.ErrKeepStdio},
		{a: "tcp://127.0.0.1:7?dial", b: "tcp://127.0.0.1:8", keep: true, want: peer.ErrKeepWithoutListen},
		{a: "tcp://127.0.0.1:7", b: "exec:cat", keep: true, la: true},
	}
	for _, tt := range tests {
		r := &peer.Relay{A: mustParse(t, tt.a), B: mustParse(t, tt.b), Keep: tt.keep}
		if err := r.Check(); !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
			t.Errorf("%s %s keep=%v: Check() = %v, want %v", tt.a, tt.b, tt.keep, err, tt.want)
		}
		if la, lb := r.Listens(); la != tt.la || lb != tt.lb {
			t.Errorf("%s %s: listens %v %v, want %v %v", tt.a, tt.b, la, lb, tt.la, tt.lb)
		}
	}
}
