package engine

import (
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockit/sockit/internal/testnet"
	"github.com/sockit/sockit/socket"
)

// TestIterativeServesInTurn shows the iterative engine's one rule: a second
// client's connect completes (the kernel queues it), but its echo comes only
// once the first client has closed.
func TestIterativeServesInTurn(t *testing.T) {
	for _, addr := range []string{"tcp://127.0.0.1:0?backlog=4", "unixpacket:" + testnet.SocketDir(t) + "/turn.sock"} {
		t.Run(addr, func(t *testing.T) {
			_, ep := serve(t, Iterative{}, addr, Config{})
			first := dial(t, ep)
			if _, err := first.Write([]byte("one")); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(first, make([]byte, 3)); err != nil {
				t.Fatal(err)
			}
			second := dial(t, ep) // completes in the listen queue
			if _, err := second.Write([]byte("two")); err != nil {
				t.Fatal(err)
			}
			// Served one at a time: no echo while the first is open. (An
			// echo would come at once; this can only pass wrongly, never
			// fail wrongly, on a slow machine.)
			second.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			if n, err := second.Read(make([]byte, 3)); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("second client got %d bytes, %v while the first was open", n, err)
			}
			first.Close()
			second.SetReadDeadline(time.Now().Add(testnet.Timeout))
			buf := make([]byte, 3)
			if _, err := io.ReadFull(second, buf); err != nil || string(buf) != "two" {
				t.Fatalf("second client after the first closed: %q, %v", buf, err)
			}
		})
	}
}

// TestIterativeTrace checks that the tracer sees the engine's real calls:
// the listener's socket, bind and listen, then accept4, recv and send on the
// descriptor accept4 returned.
func TestIterativeTrace(t *testing.T) {
	var mu sync.Mutex
	var calls []socket.Call
	tr := func(c socket.Call) {
		mu.Lock()
		calls = append(calls, c)
		mu.Unlock()
	}
	srv, ep := serve(t, Iterative{}, "tcp://127.0.0.1:0", Config{Tracer: tr})
	echoStream(t, dial(t, ep), []byte("traced"))
	srv.Shutdown(testnet.Context(t))
	mu.Lock()
	defer mu.Unlock()
	var ops []string
	var listener, conn int = -1, -1
	for _, c := range calls {
		ops = append(ops, c.Op)
		switch {
		case c.Op == "listen":
			listener = c.FD
		case c.Op == "accept4" && c.FD == listener:
			conn = c.Ret
		case (c.Op == "recv" || c.Op == "send") && c.FD != conn:
			t.Errorf("%v on descriptor %d, not accept4's %d", c, c.FD, conn)
		}
	}
	want := "socket setsockopt bind listen getsockname accept4"
	if got := strings.Join(ops, " "); !strings.HasPrefix(got, want) || !strings.Contains(got, "recv send") || !strings.Contains(got, "shutdown") {
		t.Errorf("calls %q: want them to start %q and include recv, send and shutdown", got, want)
	}
}
