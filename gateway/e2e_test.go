package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockit/sockit/gateway"
	"github.com/sockit/sockit/gateway/demo"
)

// fakePython is Python's side of classic callbacks: a callback server the
// gateway connects to. handle serves each connection it accepts.
type fakePython struct {
	ln     net.Listener
	errs   chan error
	wg     sync.WaitGroup
	handle func(nc net.Conn) error
}

func newFakePython(t *testing.T, handle func(nc net.Conn) error) *fakePython {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &fakePython{ln: ln, errs: make(chan error, 16), handle: handle}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				defer nc.Close()
				nc.SetDeadline(time.Now().Add(testDeadline))
				if err := p.handle(nc); err != nil {
					p.errs <- err
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		p.wg.Wait()
		close(p.errs)
		for err := range p.errs {
			t.Errorf("Python's callback server: %v", err)
		}
	})
	return p
}

func (p *fakePython) addr() string { return p.ln.Addr().String() }

// readBlock reads one command block from r, without its "e".
func readBlock(r interface{ ReadString(byte) (string, error) }) ([]string, error) {
	var lines []string
	for range 1000 {
		l, err := r.ReadString('\n')
		if err != nil {
			return lines, err
		}
		l = strings.TrimSuffix(l, "\n")
		if l == "e" {
			return lines, nil
		}
		lines = append(lines, l)
	}
	return lines, errors.New("no end of command in 1000 lines")
}

// listener answers notify callbacks as demo's Python listener does in
// testdata/acceptance.py: "add" makes a call back into the gateway
// through call, "raise" raises.
func listenerReply(lines []string, call func(cmd ...string) string) string {
	if len(lines) != 4 || lines[0] != "c" || lines[2] != "notify" {
		return "!xsunexpected callback " + fmt.Sprintf("%q", lines)
	}
	switch arg := strings.TrimPrefix(lines[3], "s"); arg {
	case "add":
		got := call("c", "t", "addition", "i20", "i22")
		return "!yssum=" + strings.TrimPrefix(got, "!yi")
	case "raise":
		return `!xsTraceback (most recent call last):\nValueError: the listener refuses`
	default:
		return "!yspy:" + arg
	}
}

// TestCallbacks calls callMeBack with a Python listener in both modes:
// the gateway calls notify in Python (on Python's callback server, or on
// the calling connection), Python calls addition back while the gateway
// waits (re-entrancy), and a Python exception becomes an error.
func TestCallbacks(t *testing.T) {
	for _, mode := range []gateway.Mode{gateway.ModeGateway, gateway.ModeClientServer} {
		t.Run(mode.String(), func(t *testing.T) {
			const token = "s3cr\\et token"
			s := &gateway.Server{EntryPoint: demo.EntryPoint{}, Adapters: demo.Adapters(), Mode: mode, AuthToken: token}
			var addr string
			if mode == gateway.ModeGateway {
				// Python's callback server: authenticate, then answer
				// notify (calling the gateway on a connection of its own
				// for "add") and the release of proxies.
				py := newFakePython(t, func(nc net.Conn) error {
					w := newWire(t, nc)
					if auth, err := readBlock(w.r); err != nil || len(auth) != 2 || auth[0] != "A" || auth[1] != `s3cr\\et token` {
						return fmt.Errorf("want the auth command first, got %q (%v)", auth, err)
					}
					w.send("!yv")
					for range 100 {
						cmd, err := readBlock(w.r)
						if err != nil {
							return nil // the gateway closed its pooled connection
						}
						if cmd[0] == "g" {
							w.send("!yv")
							continue
						}
						w.send(listenerReply(cmd, func(c ...string) string {
							nested := dial(t, addr)
							nested.send("A", `s3cr\\et token`)
							if got := nested.line(); got != "!yv" {
								return "!xsnested auth: " + got
							}
							return nested.call(c...)
						}))
					}
					return errors.New("more than 100 commands")
				})
				s.CallbackAddr = py.addr()
			}
			addr = serve(t, s)
			w := dial(t, addr)
			w.send("A", `s3cr\\et token`) // Python's A command has no "e" line
			if got := w.line(); got != "!yv" {
				t.Fatalf("auth: %q", got)
			}
			// callMeBack(listener, arg) with a fresh Python proxy each time.
			callMeBack := func(n int, arg string) string {
				w.send("c", "t", "callMeBack", fmt.Sprintf("fp%d;demo.Listener", n), "s"+arg, "e")
				if mode == gateway.ModeGateway {
					return w.line()
				}
				// ClientServer: the callback arrives on this connection;
				// the nested call goes out on it while the gateway waits.
				for range 10 {
					lines := w.command()
					if lines[0] == "g" { // a proxy released meanwhile
						w.send("!yv")
						continue
					}
					if want := []string{"c", fmt.Sprintf("p%d", n), "notify", "s" + arg}; strings.Join(lines, "|") != strings.Join(want, "|") {
						t.Fatalf("callback %q, want %q", lines, want)
					}
					w.send(listenerReply(lines, func(c ...string) string { return w.call(c...) }))
					return w.line()
				}
				t.Fatal("no callback in 10 commands")
				return ""
			}
			for i, tc := range []struct{ arg, want string }{
				{"x", "!yspy:x"},
				{"add", "!yssum=42"},
				{"x2", "!yspy:x2"},
			} {
				if got := callMeBack(i, tc.arg); got != tc.want {
					t.Errorf("callMeBack(%q) = %q, want %q", tc.arg, got, tc.want)
				}
			}
			got := callMeBack(3, "raise")
			id, ok := strings.CutPrefix(got, "!xr")
			if !ok {
				t.Fatalf("callMeBack(raise) = %q, want an exception reference", got)
			}
			if msg := w.call("c", id, "getMessage"); !strings.Contains(msg, "the listener refuses") {
				t.Errorf("the exception's message is %q, want Python's error in it", msg)
			}
		})
	}
}

// TestAuthentication checks a token is demanded before anything else and
// a wrong or missing one closes the connection.
func TestAuthentication(t *testing.T) {
	addr := serve(t, &gateway.Server{EntryPoint: demo.EntryPoint{}, AuthToken: "tok en"})
	for _, tc := range []struct {
		name  string
		first []string // Python's A command has no "e" line
		reply string
	}{
		{"right token", []string{"A", "tok en"}, "!yv"},
		{"wrong token", []string{"A", "tok"}, "!xsAuthentication error: bad auth token received."},
		{"empty token", []string{"A", ""}, "!xsAuthentication error: bad auth token received."},
		{"no token", []string{"c", "t", "addition", "i1", "i2", "e"}, "!xsAuthentication error: unexpected command."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := dial(t, addr)
			w.send(tc.first...)
			if got := w.line(); got != tc.reply {
				t.Fatalf("reply %q, want %q", got, tc.reply)
			}
			if tc.reply != "!yv" {
				w.closed()
				return
			}
			if got := w.call("c", "t", "addition", "i1", "i2"); got != "!yi3" {
				t.Errorf("addition after auth: %q", got)
			}
		})
	}
}

// TestMaxConns checks the connection over the limit is told why and
// closed, and the ones within it go on.
func TestMaxConns(t *testing.T) {
	addr := serve(t, &gateway.Server{EntryPoint: demo.EntryPoint{}, MaxConns: 2})
	a, b := dial(t, addr), dial(t, addr)
	for _, w := range []*wire{a, b} {
		if got := w.call("c", "t", "addition", "i1", "i2"); got != "!yi3" {
			t.Fatalf("addition: %q", got)
		}
	}
	over := dial(t, addr)
	if got := over.call("c", "t", "addition", "i1", "i2"); !strings.HasPrefix(got, "!zs") || !strings.Contains(got, "at most 2") {
		t.Errorf("third connection: %q, want a fatal error naming the limit", got)
	}
	over.closed()
	if got := a.call("c", "t", "addition", "i2", "i2"); got != "!yi4" {
		t.Errorf("addition on a connection within the limit: %q", got)
	}
}

// TestBadCommands sends malformed commands: an error reply and the
// connection goes on, or, when the stream cannot be trusted, a fatal
// error and a close. Never a crash.
func TestBadCommands(t *testing.T) {
	addr := serve(t, &gateway.Server{EntryPoint: demo.EntryPoint{}, MaxLineBytes: 4096})
	long := strings.Repeat("x", 5000)
	for _, tc := range []struct {
		name   string
		lines  []string // sent as they are, then a newline
		prefix string   // of the reply
		fatal  bool     // the connection closes
	}{
		{"bad integer", []string{"c", "t", "addition", "i1", "ixyz", "e"}, "!xs", false},
		{"int beyond int32", []string{"c", "t", "addition", "L4294967296", "i1", "e"}, "!xs", false},
		{"long beyond int64", []string{"c", "t", "addition", "L99999999999999999999", "i1", "e"}, "!xs", false},
		{"unknown type tag", []string{"c", "t", "addition", "q1", "i2", "e"}, "!xs", false},
		{"too few arguments", []string{"c", "t", "addition", "i1", "e"}, "!xs", false},
		{"wrong argument type", []string{"c", "t", "addition", "sone", "i2", "e"}, "!xs", false},
		{"unknown method", []string{"c", "t", "subtraction", "i1", "i2", "e"}, "!xs", false},
		{"unknown object", []string{"c", "o999", "size", "e"}, "!xs", false},
		{"command ended early", []string{"c", "e"}, "!xs", false},
		{"argument over the line cap", []string{"c", "t", "concat", "s" + long, "sb", "e"}, "!xs", false},
		{"JVM-only class", []string{"r", "u", "java.io.File", "rj", "e"}, "!xs", false},
		{"unknown command", []string{"Q"}, "!zs", true},
		{"command name over the line cap", []string{long}, "!zs", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := dial(t, addr)
			w.send(tc.lines...)
			if got := w.line(); !strings.HasPrefix(got, tc.prefix) {
				t.Fatalf("reply %q, want %s...", got, tc.prefix)
			}
			if tc.fatal {
				w.closed()
				return
			}
			if got := w.call("c", "t", "addition", "i1", "i2"); got != "!yi3" {
				t.Errorf("the next command on the connection: %q", got)
			}
		})
	}
}

// TestMemoryRelease checks object ids handed out are dropped on Python's
// memory command, so a long session stays bounded.
func TestMemoryRelease(t *testing.T) {
	s := &gateway.Server{EntryPoint: demo.EntryPoint{}}
	w := dial(t, serve(t, s))
	base := s.Objects()
	var ids []string
	for range 10 {
		ref := w.call("c", "t", "getStack")
		id, ok := strings.CutPrefix(ref, "!yro")
		if !ok {
			t.Fatalf("getStack: %q", ref)
		}
		ids = append(ids, "o"+id)
	}
	if got := s.Objects(); got != base+10 {
		t.Fatalf("%d objects after 10 hand-outs, want %d", got, base+10)
	}
	for _, id := range ids {
		if got := w.call("m", "d", id); got != "!yv" {
			t.Fatalf("release %s: %q", id, got)
		}
	}
	for range 1000 {
		id := strings.TrimPrefix(w.call("c", "t", "getStack"), "!yr")
		w.call("c", id, "push", "sx")
		w.call("m", "d", id)
	}
	if got := s.Objects(); got != base {
		t.Errorf("%d objects after every one was released, want %d", got, base)
	}
	if got := w.call("c", ids[0], "size"); !strings.HasPrefix(got, "!xs") {
		t.Errorf("a call on a released id: %q, want an error", got)
	}
}

// TestProxyReleased checks that a Python object the Go side no longer
// holds is released in Python (the g command) once Go collects it.
func TestProxyReleased(t *testing.T) {
	released := make(chan string, 4)
	py := newFakePython(t, func(nc net.Conn) error {
		w := newWire(t, nc)
		for range 100 {
			cmd, err := readBlock(w.r)
			if err != nil {
				return nil
			}
			if cmd[0] == "g" {
				released <- cmd[1]
				w.send("!yv")
				continue
			}
			w.send(listenerReply(cmd, nil))
		}
		return errors.New("more than 100 commands")
	})
	s := &gateway.Server{EntryPoint: demo.EntryPoint{}, Adapters: demo.Adapters(), CallbackAddr: py.addr()}
	w := dial(t, serve(t, s))
	if got := w.call("c", "t", "callMeBack", "fp7;demo.Listener", "sx"); got != "!yspy:x" {
		t.Fatalf("callMeBack: %q", got)
	}
	// The proxy is garbage once the call is answered; the release goes
	// out after a collection finds it.
	deadline := time.After(testDeadline)
	for i := 0; ; i++ {
		runtime.GC()
		select {
		case id := <-released:
			if id != "p7" {
				t.Errorf("released %q, want p7", id)
			}
			return
		case <-deadline:
			t.Fatalf("no release of p7 within %v (%d collections)", testDeadline, i+1)
		case <-time.After(10 * time.Millisecond):
			// Cleanups run after the collection: collect again.
		}
	}
}

// panicky is an entry point whose methods fail.
type panicky struct{}

func (panicky) Fail() error { return errors.New("it failed") }
func (panicky) Throw() error {
	return &gateway.Exception{Class: "java.lang.IllegalStateException", Message: "not now"}
}
func (panicky) Explode() int { panic("boom") }

// waiter's Wait runs until its context ends, saying when it has begun.
type waiter struct{ started chan struct{} }

func (w waiter) Wait(ctx context.Context) error {
	w.started <- struct{}{}
	<-ctx.Done()
	return ctx.Err()
}

// TestErrors checks a returned error and a panic become exception
// objects whose message Python can read, and the gateway goes on.
func TestErrors(t *testing.T) {
	w := dial(t, serve(t, &gateway.Server{EntryPoint: panicky{}}))
	for _, tc := range []struct{ method, message string }{
		{"fail", "it failed"},
		{"throw", "not now"},
		{"explode", "panic: boom"},
	} {
		t.Run(tc.method, func(t *testing.T) {
			got := w.call("c", "t", tc.method)
			id, ok := strings.CutPrefix(got, "!xr")
			if !ok {
				t.Fatalf("%s: %q, want an exception reference", tc.method, got)
			}
			if msg := w.call("c", id, "getMessage"); msg != "!ys"+tc.message {
				t.Errorf("getMessage: %q, want %q", msg, "!ys"+tc.message)
			}
		})
	}
	if got := w.call("c", "t", "toString"); !strings.HasPrefix(got, "!ys") {
		t.Errorf("toString after the failures: %q", got)
	}
}

// TestShutdownCommand checks Python's shutdown command stops Serve with
// ErrShutdownCommand, unless the server refuses it.
func TestShutdownCommand(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		w := dial(t, serve(t, &gateway.Server{EntryPoint: demo.EntryPoint{}, RefuseShutdown: true}))
		w.send("s")
		w.closed()
		w2 := dial(t, w.nc.RemoteAddr().String())
		if got := w2.call("c", "t", "addition", "i1", "i2"); got != "!yi3" {
			t.Errorf("after a refused shutdown: %q", got)
		}
	})
	t.Run("accepted", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s := &gateway.Server{EntryPoint: demo.EntryPoint{}}
		done := make(chan error, 1)
		go func() { done <- s.Serve(ln) }()
		defer s.Close()
		w := dial(t, ln.Addr().String())
		w.send("s")
		select {
		case err := <-done:
			if !errors.Is(err, gateway.ErrShutdownCommand) {
				t.Errorf("Serve = %v, want ErrShutdownCommand", err)
			}
		case <-time.After(testDeadline):
			t.Fatal("Serve still running after the shutdown command")
		}
	})
}

// TestCloseAndShutdown checks Close ends idle and busy connections at
// once, and Shutdown waits for a call in progress until its context ends.
func TestCloseAndShutdown(t *testing.T) {
	t.Run("Close", func(t *testing.T) {
		s := &gateway.Server{EntryPoint: demo.EntryPoint{}}
		addr := serve(t, s)
		idle := dial(t, addr)
		idle.call("c", "t", "addition", "i1", "i2")
		s.Close()
		idle.closed()
	})
	t.Run("Shutdown", func(t *testing.T) {
		wt := waiter{started: make(chan struct{}, 1)}
		s := &gateway.Server{EntryPoint: wt}
		addr := serve(t, s)
		idle, busy := dial(t, addr), dial(t, addr)
		idle.call("c", "t", "toString")
		busy.send("c", "t", "wait", "e") // runs until its context ends
		select {
		case <-wt.started:
		case <-time.After(testDeadline):
			t.Fatal("wait did not begin")
		}
		// Shutdown closes the idle connection at once, then gives up on
		// the busy one when its context ends.
		ctx, cancel := context.WithCancel(context.Background())
		result := make(chan error, 1)
		go func() { result <- s.Shutdown(ctx) }()
		idle.closed()
		cancel()
		select {
		case err := <-result:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Shutdown = %v, want context.Canceled", err)
			}
		case <-time.After(testDeadline):
			t.Fatal("Shutdown did not return after its context ended")
		}
		busy.closed()
	})
}

// TestCollectionsContainingThemselves checks a list or map that holds
// itself (Python's l.append(l)) answers every method, as Java does,
// rather than deadlocking or overflowing the stack.
func TestCollectionsContainingThemselves(t *testing.T) {
	w := dial(t, serve(t, &gateway.Server{EntryPoint: demo.EntryPoint{}}))
	l := strings.TrimPrefix(w.call("i", "java.util.ArrayList"), "!yl")
	if got := w.call("c", l, "add", "r"+l); got != "!ybtrue" {
		t.Fatalf("l.add(l): %q", got)
	}
	w.call("c", l, "add", "sx")
	m := strings.TrimPrefix(w.call("i", "java.util.HashMap"), "!ya")
	w.call("c", m, "put", "sself", "r"+m)
	for _, tc := range []struct {
		cmd  []string
		want string
	}{
		{[]string{"c", l, "contains", "r" + l}, "!ybtrue"},
		{[]string{"c", l, "indexOf", "r" + l}, "!yi0"},
		{[]string{"c", l, "lastIndexOf", "sx"}, "!yi1"},
		{[]string{"c", l, "toString"}, "!ys[(this Collection), x]"},
		{[]string{"c", l, "equals", "r" + l}, "!ybtrue"},
		{[]string{"l", "f", l, "r" + l}, "!yi1"}, // Python's l.count(l)
		{[]string{"p", "r" + l}, "!ys[(this Collection), x]"},
		{[]string{"c", m, "toString"}, "!ys{self=(this Map)}"},
		{[]string{"c", m, "containsValue", "r" + m}, "!ybtrue"},
		{[]string{"c", l, "remove", "r" + l}, "!ybtrue"},
		{[]string{"c", l, "toString"}, "!ys[x]"},
	} {
		if got := w.call(tc.cmd...); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.cmd, got, tc.want)
		}
	}
	if got := w.call("c", l, "hashCode"); !strings.HasPrefix(got, "!yi") {
		t.Errorf("hashCode: %q", got)
	}
}
