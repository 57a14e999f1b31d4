package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sockit/sockit/internal/testnet"
)

// gatewayWait bounds every wait of these tests: for a line of output, a
// reply, the command's return.
const gatewayWait = 10 * time.Second

// additionCmd is Py4J's call entry_point.addition(1, 2); its reply is
// additionReply.
const (
	additionCmd   = "c\nt\naddition\ni1\ni2\ne\n"
	additionReply = "!yi3"
)

var gatewayListening = regexp.MustCompile(`^gateway listening on (\S+) \(mode (\w+), (.+), (no auth token|auth token required)\), serving the demo entry point$`)

// lineWriter collects a command's output, safe to read while the command
// writes, and hands each complete line to whoever waits for it.
type lineWriter struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	scanned int
	lines   chan string // complete lines, as they come; dropped when full
}

func newLineWriter() *lineWriter { return &lineWriter{lines: make(chan string, 1000)} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		rest := w.buf.Bytes()[w.scanned:]
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return len(p), nil
		}
		select {
		case w.lines <- string(rest[:i]):
		default: // nobody reads this far; String still has it
		}
		w.scanned += i + 1
	}
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// nextLine waits for the next complete line.
func (w *lineWriter) nextLine(t *testing.T, what string) string {
	t.Helper()
	select {
	case line := <-w.lines:
		return line
	case <-time.After(gatewayWait):
		t.Fatalf("no %s within %v; output so far %q", what, gatewayWait, w.String())
		return ""
	}
}

// gatewayRun is "sockit gateway" running in-process through Main.
type gatewayRun struct {
	args           []string
	stdout, stderr *lineWriter
	cancel         context.CancelFunc // Ctrl-C
	done           chan int           // Main's exit code
	exited         bool
	code           int
}

// startMain runs sockit with args in a goroutine. The goroutine is
// stopped (the context cancelled) and waited for when the test ends.
func startMain(t *testing.T, args ...string) *gatewayRun {
	t.Helper()
	ctx, cancel := context.WithCancel(testnet.Context(t))
	g := &gatewayRun{args: args, stdout: newLineWriter(), stderr: newLineWriter(), cancel: cancel, done: make(chan int, 1)}
	stdio := IO{In: strings.NewReader(""), Out: g.stdout, Err: g.stderr}
	go func() { g.done <- Main(ctx, args, stdio) }()
	t.Cleanup(func() {
		cancel()
		if g.exited {
			return
		}
		select {
		case g.code = <-g.done:
			g.exited = true
		case <-time.After(gatewayWait):
			t.Errorf("sockit %q did not return within %v of its context's end; stderr %q", args, gatewayWait, g.stderr)
		}
	})
	return g
}

// wait returns Main's exit code, once it has returned by itself.
func (g *gatewayRun) wait(t *testing.T) int {
	t.Helper()
	if g.exited {
		return g.code
	}
	select {
	case g.code = <-g.done:
		g.exited = true
		return g.code
	case <-time.After(gatewayWait):
		t.Fatalf("sockit %q did not return within %v; stdout %q, stderr %q", g.args, gatewayWait, g.stdout, g.stderr)
		return 0
	}
}

// startGateway runs "sockit gateway args..." and waits for its listening
// line. It returns the run and the address it printed.
func startGateway(t *testing.T, args ...string) (*gatewayRun, []string) {
	t.Helper()
	g := startMain(t, append([]string{"gateway"}, args...)...)
	var line string
	select {
	case line = <-g.stdout.lines:
	case g.code = <-g.done:
		g.exited = true
		t.Fatalf("gateway %q exited (%d) before listening; stderr %q", args, g.code, g.stderr)
	case <-time.After(gatewayWait):
		t.Fatalf("gateway %q printed no listening line within %v; stderr %q", args, gatewayWait, g.stderr)
	}
	m := gatewayListening.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("gateway %q: the first line %q is no listening line", args, line)
	}
	return g, m[1:]
}

// py4jConn is a test's client connection to the gateway.
type py4jConn struct {
	c net.Conn
	r *bufio.Reader
}

// dialGateway connects to addr; every read and write on the connection
// has a deadline.
func dialGateway(t *testing.T, addr string) *py4jConn {
	t.Helper()
	d := net.Dialer{Timeout: gatewayWait}
	c, err := d.DialContext(testnet.Context(t), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(gatewayWait))
	return &py4jConn{c: c, r: bufio.NewReader(c)}
}

func (p *py4jConn) send(t *testing.T, s string) {
	t.Helper()
	if _, err := io.WriteString(p.c, s); err != nil {
		t.Fatalf("send %q: %v", s, err)
	}
}

// reply reads one reply line, without its newline.
func (p *py4jConn) reply(t *testing.T) string {
	t.Helper()
	line, err := p.r.ReadString('\n')
	if err != nil {
		t.Fatalf("read a reply: %v (after %q)", err, line)
	}
	return strings.TrimSuffix(line, "\n")
}

// call sends a command and returns its reply.
func (p *py4jConn) call(t *testing.T, cmd string) string {
	t.Helper()
	p.send(t, cmd)
	return p.reply(t)
}

// wantClosed checks that the gateway closed the connection: end of file,
// or a reset when it left bytes of ours unread.
func (p *py4jConn) wantClosed(t *testing.T) {
	t.Helper()
	b, err := p.r.ReadByte()
	switch {
	case err == nil:
		rest, _ := p.r.Peek(p.r.Buffered())
		t.Errorf("connection still open: read %q", append([]byte{b}, rest...))
	case errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET):
	default:
		t.Errorf("connection not closed: %v", err)
	}
}

// wantRefused checks that nothing listens on addr any more.
func wantRefused(t *testing.T, addr string) {
	t.Helper()
	d := net.Dialer{Timeout: gatewayWait}
	c, err := d.DialContext(testnet.Context(t), "tcp", addr)
	if err == nil {
		c.Close()
		t.Errorf("%s still accepts connections", addr)
	} else if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial %s: %v, want connection refused", addr, err)
	}
}

// oneLine checks that s is exactly one line.
func oneLine(t *testing.T, what, s string) {
	t.Helper()
	if !strings.HasSuffix(s, "\n") || strings.Count(s, "\n") != 1 {
		t.Errorf("%s is not one line: %q", what, s)
	}
}

// TestGatewayUsage: flags that cannot work are refused before anything is
// bound, with one line naming the problem and the usage exit status.
func TestGatewayUsage(t *testing.T) {
	t.Setenv(tokenEnv, "")
	// --port busy is a port taken here: a command that tried to listen
	// before it checked its flags would fail on it with another error.
	const busy = "busy"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busyPort := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	tests := []struct {
		name string
		env  string // $SOCKIT_GATEWAY_TOKEN
		args []string
		want string // what the error line holds
	}{
		{"no --demo", "", []string{"--port", busy}, "gateway: add --demo"},
		{"--demo=false", "", []string{"--demo=false", "--port", busy}, "gateway: add --demo"},
		{"bad mode", "", []string{"--demo", "--port", busy, "--mode", "bogus"}, `gateway: mode "bogus": want gateway or clientserver`},
		{"port above 65535", "", []string{"--demo", "--port", "65536"}, "gateway: --port 65536: ports are 0 to 65535"},
		{"negative port", "", []string{"--demo", "--port", "-1"}, "gateway: --port -1: ports are 0 to 65535"},
		{"callback port above 65535", "", []string{"--demo", "--port", busy, "--callback-port", "70000"}, "gateway: --callback-port 70000: ports are 0 to 65535"},
		{"port not a number", "", []string{"--demo", "--port", "http"}, `invalid argument "http" for "-p, --port" flag`},
		{"max-conns 0", "", []string{"--demo", "--port", busy, "--max-conns", "0"}, "gateway: --max-conns wants 1 or more"},
		{"max-conns negative", "", []string{"--demo", "--port", busy, "--max-conns", "-3"}, "gateway: --max-conns wants 1 or more"},
		{"token with a newline", "", []string{"--demo", "--port", busy, "--auth-token", "s3\ncret"}, "gateway: the auth token (--auth-token) cannot hold a line break"},
		{"token with a carriage return", "", []string{"--demo", "--port", busy, "--auth-token", "s3cret\r"}, "gateway: the auth token (--auth-token) cannot hold a line break"},
		{"token from the environment with a newline", "s3\ncret", []string{"--demo", "--port", busy}, "gateway: the auth token ($SOCKIT_GATEWAY_TOKEN) cannot hold a line break"},
		{"an argument", "", []string{"--demo", "--port", busy, "extra"}, "sockit gateway wants 0 arguments, got 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(tokenEnv, tc.env)
			args := []string{"gateway"}
			for _, a := range tc.args {
				if a == busy {
					a = busyPort
				}
				args = append(args, a)
			}
			g := startMain(t, args...)
			code := g.wait(t) // by itself, the context not cancelled
			if code != exitUsage {
				t.Errorf("exit %d, want %d (usage)", code, exitUsage)
			}
			if out := g.stdout.String(); out != "" {
				t.Errorf("stdout %q, want nothing (no listening line)", out)
			}
			stderr := g.stderr.String()
			oneLine(t, "stderr", stderr)
			if !strings.HasPrefix(stderr, "sockit: ") || !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q, want a line \"sockit: ...%s...\"", stderr, tc.want)
			}
		})
	}
}

// TestGatewayCallAndShutdown: with --port 0 the gateway prints the address
// the kernel chose; a client calls addition(1, 2) there, then sends Py4J's
// shutdown command, and the command returns with exit 0.
func TestGatewayCallAndShutdown(t *testing.T) {
	t.Setenv(tokenEnv, "")
	tests := []struct {
		name      string
		args      []string
		mode      string // printed
		callbacks string // printed
		shutdown  string // as sent
	}{
		{"gateway mode", nil, "gateway", "callbacks to 127.0.0.1:25334", "s\n"},
		{"clientserver mode", []string{"--mode", "clientserver"}, "clientserver", "callbacks on the calling connection, else to 127.0.0.1:25334", "s\n"},
		{"callback address", []string{"-m", "clientserver", "--callback-host", "127.0.0.2", "--callback-port", "4000"}, "clientserver", "callbacks on the calling connection, else to 127.0.0.2:4000", "s\n"},
		// py4j's client sends "s\n"; a stray end marker after it is harmless.
		{"shutdown with an end marker", nil, "gateway", "callbacks to 127.0.0.1:25334", "s\ne\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, m := startGateway(t, append([]string{"--demo", "--port", "0"}, tc.args...)...)
			addr, mode, callbacks, auth := m[0], m[1], m[2], m[3]
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				t.Fatalf("listening address %q: %v", addr, err)
			}
			if n, err := strconv.Atoi(port); host != "127.0.0.1" || err != nil || n <= 0 || n > 65535 {
				t.Errorf("listening address %q, want 127.0.0.1 and the port the kernel picked", addr)
			}
			if mode != tc.mode || callbacks != tc.callbacks || auth != "no auth token" {
				t.Errorf("listening line says mode %q, %q, %q; want %q, %q, %q", mode, callbacks, auth, tc.mode, tc.callbacks, "no auth token")
			}

			c := dialGateway(t, addr)
			if got := c.call(t, additionCmd); got != additionReply {
				t.Errorf("addition(1, 2): %q, want %q", got, additionReply)
			}
			// A second client, while the first stays connected.
			c2 := dialGateway(t, addr)
			if got := c2.call(t, "c\nt\nconcat\nsab\nscd\ne\n"); got != "!ysabcd" {
				t.Errorf("concat(ab, cd): %q, want %q", got, "!ysabcd")
			}
			c.send(t, tc.shutdown) // no reply
			if code := g.wait(t); code != exitOK {
				t.Errorf("exit %d after the shutdown command, want 0; stderr %q", code, g.stderr)
			}
			if got := g.stdout.nextLine(t, "shutdown line"); got != "gateway shut down by a client" {
				t.Errorf("after the listening line: %q, want %q", got, "gateway shut down by a client")
			}
			if rest := g.stdout.String(); strings.Count(rest, "\n") != 2 {
				t.Errorf("stdout has more than the two lines: %q", rest)
			}
			if stderr := g.stderr.String(); stderr != "" {
				t.Errorf("stderr %q, want nothing", stderr)
			}
			c.wantClosed(t)
			c2.wantClosed(t)
			wantRefused(t, addr)
		})
	}
}

// TestGatewayAuthToken: with a token (--auth-token, else
// $SOCKIT_GATEWAY_TOKEN) every connection must send it first, as py4j's
// client does ("A\n<token>\n", no end marker).
func TestGatewayAuthToken(t *testing.T) {
	const badToken = "!xsAuthentication error: bad auth token received."
	const noToken = "!xsAuthentication error: unexpected command."
	tests := []struct {
		name  string
		env   string
		args  []string
		token string // the gateway's token as py4j sends it (escaped), "" if none
		send  string // first on the connection
		reply string
	}{
		{"flag, right token", "", []string{"--auth-token", "s3cret"}, "s3cret", "A\ns3cret\n", "!yv"},
		{"flag, wrong token", "", []string{"--auth-token", "s3cret"}, "s3cret", "A\nguess\n", badToken},
		{"flag, empty token", "", []string{"--auth-token", "s3cret"}, "s3cret", "A\n\n", badToken},
		{"flag, a prefix of the token", "", []string{"--auth-token", "s3cret"}, "s3cret", "A\ns3cre\n", badToken},
		{"flag, no token", "", []string{"--auth-token", "s3cret"}, "s3cret", additionCmd, noToken},
		{"flag, token with a backslash", "", []string{"--auth-token", `a\b`}, `a\\b`, "A\n" + `a\\b` + "\n", "!yv"},
		{"environment, right token", "envtok", nil, "envtok", "A\nenvtok\n", "!yv"},
		{"environment, wrong token", "envtok", nil, "envtok", "A\nnope\n", badToken},
		{"environment, no token", "envtok", nil, "envtok", additionCmd, noToken},
		{"the flag wins over the environment", "envtok", []string{"--auth-token", "flagtok"}, "flagtok", "A\nflagtok\n", "!yv"},
		{"the environment's token when the flag is set", "envtok", []string{"--auth-token", "flagtok"}, "flagtok", "A\nenvtok\n", badToken},
		{"clientserver mode, right token", "", []string{"-m", "clientserver", "--auth-token", "s3cret"}, "s3cret", "A\ns3cret\n", "!yv"},
		{"clientserver mode, wrong token", "", []string{"-m", "clientserver", "--auth-token", "s3cret"}, "s3cret", "A\nguess\n", badToken},
		{"a token sent to a gateway without one", "", nil, "", "A\ns3cret\n", "!xsAuthentication error: this gateway has no auth token; start the client without one"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(tokenEnv, tc.env)
			g, m := startGateway(t, append([]string{"--demo", "--port", "0"}, tc.args...)...)
			addr, auth := m[0], m[3]
			wantAuth := "no auth token"
			if tc.token != "" {
				wantAuth = "auth token required"
			}
			if auth != wantAuth {
				t.Errorf("listening line says %q, want %q", auth, wantAuth)
			}
			c := dialGateway(t, addr)
			if got := c.call(t, tc.send); got != tc.reply {
				t.Fatalf("sent %q, got %q, want %q", tc.send, got, tc.reply)
			}
			if tc.reply == "!yv" {
				for range 2 {
					if got := c.call(t, additionCmd); got != additionReply {
						t.Errorf("addition(1, 2) after the token: %q, want %q", got, additionReply)
					}
				}
			} else {
				c.wantClosed(t)
				if tc.token != "" {
					// A refused connection leaves the gateway serving others.
					c2 := dialGateway(t, addr)
					if got := c2.call(t, "A\n"+tc.token+"\n"); got != "!yv" {
						t.Errorf("the right token after a refusal: %q, want !yv", got)
					}
					if got := c2.call(t, additionCmd); got != additionReply {
						t.Errorf("addition(1, 2): %q, want %q", got, additionReply)
					}
				}
			}
			g.cancel()
			if code := g.wait(t); code != exitOK {
				t.Errorf("exit %d after Ctrl-C, want 0; stderr %q", code, g.stderr)
			}
		})
	}
}

// TestGatewayPortInUse: a port something else listens on is a runtime
// error naming the address, not a usage error, and not a panic.
func TestGatewayPortInUse(t *testing.T) {
	t.Setenv(tokenEnv, "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	tests := []struct {
		name string
		args []string
	}{
		{"default bind", []string{"--demo", "--port", port}},
		{"--bind 127.0.0.1", []string{"--demo", "--bind", "127.0.0.1", "-p", port}},
		{"clientserver mode", []string{"--demo", "--port", port, "--mode", "clientserver"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := startMain(t, append([]string{"gateway"}, tc.args...)...)
			if code := g.wait(t); code != exitFailure {
				t.Errorf("exit %d, want %d", code, exitFailure)
			}
			if out := g.stdout.String(); out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			stderr := g.stderr.String()
			oneLine(t, "stderr", stderr)
			want := "sockit: gateway: listen tcp " + addr + ": address already in use\n"
			if stderr != want {
				t.Errorf("stderr %q, want %q", stderr, want)
			}
		})
	}
}

// TestGatewayInterrupt: cancelling the context (Ctrl-C) stops the gateway:
// idle connections are closed, the port is released, and the command
// returns nil.
func TestGatewayInterrupt(t *testing.T) {
	t.Setenv(tokenEnv, "")
	tests := []struct {
		name  string
		args  []string
		conns int // idle connections, each after one call
	}{
		{"no connections", nil, 0},
		{"idle connections", nil, 2},
		{"clientserver mode, idle connections", []string{"--mode", "clientserver"}, 2},
		{"auth token, idle connection", []string{"--auth-token", "tok"}, 1},
		// Nothing runs, so nothing is cut off, however short the drain.
		{"no drain time, idle connection", []string{"--drain", "0s"}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, m := startGateway(t, append([]string{"--demo", "--port", "0"}, tc.args...)...)
			addr := m[0]
			var conns []*py4jConn
			for range tc.conns {
				c := dialGateway(t, addr)
				if len(tc.args) == 2 && tc.args[0] == "--auth-token" {
					if got := c.call(t, "A\n"+tc.args[1]+"\n"); got != "!yv" {
						t.Fatalf("token: %q, want !yv", got)
					}
				}
				if got := c.call(t, additionCmd); got != additionReply {
					t.Fatalf("addition(1, 2): %q, want %q", got, additionReply)
				}
				conns = append(conns, c)
			}
			g.cancel()
			if code := g.wait(t); code != exitOK {
				t.Errorf("exit %d after Ctrl-C, want 0; stderr %q", code, g.stderr)
			}
			if out := g.stdout.String(); strings.Count(out, "\n") != 1 {
				t.Errorf("stdout %q, want the listening line only", out)
			}
			if stderr := g.stderr.String(); stderr != "" {
				t.Errorf("stderr %q, want nothing", stderr)
			}
			for _, c := range conns {
				c.wantClosed(t)
			}
			wantRefused(t, addr)
		})
	}
}

// TestGatewayTrace: --trace prints every protocol line on stderr, named by
// connection and direction, long lines shortened.
func TestGatewayTrace(t *testing.T) {
	t.Setenv(tokenEnv, "")
	long := strings.Repeat("x", 1500)
	tests := []struct {
		name  string
		args  []string
		calls []string
		want  []string // stderr's lines
	}{
		{
			"addition", nil, []string{additionCmd},
			[]string{"c1 > c", "c1 > t", "c1 > addition", "c1 > i1", "c1 > i2", "c1 > e", "c1 < !yi3"},
		},
		{
			"clientserver mode", []string{"-m", "clientserver"}, []string{additionCmd},
			[]string{"c1 > c", "c1 > t", "c1 > addition", "c1 > i1", "c1 > i2", "c1 > e", "c1 < !yi3"},
		},
		{
			"auth token", []string{"--auth-token", "tok"}, []string{"A\ntok\n", additionCmd},
			[]string{"c1 > A", "c1 > tok", "c1 < !yv", "c1 > c", "c1 > t", "c1 > addition", "c1 > i1", "c1 > i2", "c1 > e", "c1 < !yi3"},
		},
		{
			"error reply", nil, []string{"c\nt\ndivide\nd1.0\nd0.0\ne\n"},
			nil, // checked by prefix below
		},
		{
			"long lines shortened", nil, []string{"c\nt\nconcat\ns" + long + "\ns\ne\n"},
			[]string{"c1 > c", "c1 > t", "c1 > concat", "c1 > s" + long[:199] + "... (1501 bytes)", "c1 > s", "c1 > e", "c1 < !ys" + long[:197] + "... (1503 bytes)"},
		},
		{
			"a line of 1000 bytes kept whole", nil, []string{"c\nt\nconcat\ns" + long[:999] + "\ns\ne\n"},
			[]string{"c1 > c", "c1 > t", "c1 > concat", "c1 > s" + long[:999], "c1 > s", "c1 > e", "c1 < !ys" + long[:197] + "... (1002 bytes)"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, m := startGateway(t, append([]string{"--demo", "--port", "0", "--trace"}, tc.args...)...)
			c := dialGateway(t, m[0])
			for _, cmd := range tc.calls {
				if got := c.call(t, cmd); !strings.HasPrefix(got, "!") {
					t.Fatalf("reply %q", got)
				}
			}
			// Each line is traced before the reply is sent: all are there.
			got := strings.Split(strings.TrimSuffix(g.stderr.String(), "\n"), "\n")
			if tc.want == nil {
				if len(got) != 7 || got[2] != "c1 > divide" || !strings.HasPrefix(got[6], "c1 < !x") {
					t.Errorf("trace of a failing call:\n%s", strings.Join(got, "\n"))
				}
			} else if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("trace (-want +got):\n-%s\n+%s", strings.Join(tc.want, "\n-"), strings.Join(got, "\n+"))
			}
			g.cancel()
			if code := g.wait(t); code != exitOK {
				t.Errorf("exit %d after Ctrl-C, want 0; stderr %q", code, g.stderr)
			}
		})
	}
}

// TestGatewayMaxConns: one connection over --max-conns gets a fatal error
// reply and is closed; the others go on.
func TestGatewayMaxConns(t *testing.T) {
	t.Setenv(tokenEnv, "")
	g, m := startGateway(t, "--demo", "--port", "0", "--max-conns", "1")
	c1 := dialGateway(t, m[0])
	if got := c1.call(t, additionCmd); got != additionReply {
		t.Fatalf("addition(1, 2): %q, want %q", got, additionReply)
	}
	c2 := dialGateway(t, m[0])
	want := "!zstoo many connections: this gateway serves at most 1 at once"
	if got := c2.call(t, additionCmd); got != want {
		t.Errorf("a second connection: %q, want %q", got, want)
	}
	c2.wantClosed(t)
	if got := c1.call(t, additionCmd); got != additionReply {
		t.Errorf("the first connection afterwards: %q, want %q", got, additionReply)
	}
	g.cancel()
	if code := g.wait(t); code != exitOK {
		t.Errorf("exit %d after Ctrl-C, want 0; stderr %q", code, g.stderr)
	}
	if stderr := g.stderr.String(); !strings.Contains(stderr, "too many connections") {
		t.Errorf("stderr %q does not log the refusal", stderr)
	}
}
