package cli_test

import (
	"bufio"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/internal/testnet"
)

// TestServeConnect runs one serve process on five endpoints at once and
// talks to each with sockit connect.
func TestServeConnect(t *testing.T) {
	dir := testnet.SocketDir(t)
	srv := startServe(t, 5,
		"tcp://127.0.0.1:0", "udp://127.0.0.1:0", "unix:"+dir+"/s.sock", "unixpacket:"+dir+"/p.sock", "unixgram:"+dir+"/g.sock")
	for i, a := range srv.addrs[:2] {
		if strings.HasSuffix(a, ":0") {
			t.Errorf("serve printed %q for endpoint %d: want the kernel's port", a, i)
		}
	}
	input := "hello\nworld\n"
	for _, addr := range srv.addrs {
		t.Run(addr, func(t *testing.T) {
			r := sockit(t, input, "connect", "-v", addr)
			if r.code != 0 || r.stdout != input {
				t.Fatalf("connect %s: exit %d, stdout %q, stderr %q", addr, r.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, "sent 12 bytes, received 12 bytes") {
				t.Errorf("connect -v byte counts missing: %q", r.stderr)
			}
		})
	}
	// -v shows the tuple with the client's ephemeral port.
	r := sockit(t, "x", "connect", "-v", srv.addrs[0])
	server := strings.TrimPrefix(srv.addrs[0], "tcp://")
	if !regexp.MustCompile(`sockit: connected tcp 127\.0\.0\.1:\d+ -> ` + regexp.QuoteMeta(server) + "\n").MatchString(r.stderr) {
		t.Errorf("connect -v tuple line missing: %q", r.stderr)
	}
	if code := srv.stop(t); code != 0 {
		t.Errorf("serve exit %d after SIGTERM; stderr:\n%s", code, srv.stderr)
	}
	for _, f := range []string{"s.sock", "p.sock", "g.sock"} {
		if _, err := os.Lstat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("%s left behind after SIGTERM: %v", f, err)
		}
	}
	logs := srv.stderr.String()
	if !regexp.MustCompile(`msg=close engine=threaded service=echo conn\.tuple="tcp 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+" conn\.bytes_in=12 conn\.bytes_out=12 conn\.duration=`).MatchString(logs) {
		t.Errorf("no connection log with tuple, bytes and duration:\n%s", logs)
	}
	if !regexp.MustCompile(`msg="peer done" engine=threaded service=echo conn\.tuple="udp 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+" conn\.bytes_in=12 conn\.bytes_out=12`).MatchString(logs) {
		t.Errorf("no datagram peer log with tuple and bytes:\n%s", logs)
	}
}

func TestServeDefaultAndJSONLogs(t *testing.T) {
	// The default endpoint is tcp://127.0.0.1:7777; it may be taken on a
	// shared machine, in which case serve must say so and exit 1.
	cmd := exec.CommandContext(testnet.Context(t), sockitBin, "serve", "--log-format", "json")
	if ln, err := net.Listen("tcp", "127.0.0.1:7777"); err == nil {
		ln.Close()
		srv := startServe(t, 1, "--log-format", "json")
		if srv.addrs[0] != "tcp://127.0.0.1:7777" {
			t.Errorf("default endpoint %q", srv.addrs[0])
		}
		sockit(t, "abc", "connect", srv.addrs[0])
		if code := srv.stop(t); code != 0 {
			t.Errorf("exit %d", code)
		}
		if !strings.Contains(srv.stderr.String(), `"msg":"close","engine":"threaded","service":"echo","conn":{"tuple":"tcp 127.0.0.1:7777 -> 127.0.0.1:`) {
			t.Errorf("json logs lack a close record:\n%s", srv.stderr)
		}
		return
	}
	if r := sockitCmd(t, cmd, ""); r.code != 1 || !strings.Contains(r.stderr, "address already in use") {
		t.Errorf("serve with 7777 taken: %+v", r)
	}
}

// TestServeDrain checks that SIGTERM lets an open connection finish.
func TestServeDrain(t *testing.T) {
	srv := startServe(t, 1, "tcp://127.0.0.1:0")
	ep := endpoint.MustParse(srv.addrs[0])
	c, err := ep.Dial(testnet.Context(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// One round trip proves the server has accepted the connection: until
	// then it waits in the kernel's queue, and closing the listener resets it.
	if _, err := c.Write([]byte("accepted?")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, len("accepted?"))); err != nil {
		t.Fatal(err)
	}
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The connection accepted before the signal still echoes...
	if _, err := c.Write([]byte("in flight")); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "in flight" {
		t.Fatalf("echo during drain: %q, %v", got, err)
	}
	// ... and the server exits 0 once it has closed.
	if code := srv.stop(t); code != 0 {
		t.Errorf("exit %d after drain; stderr:\n%s", code, srv.stderr)
	}
}

// TestServeDrainTimeout checks that a connection that never ends is closed
// when --drain runs out, and serve still exits 0.
func TestServeDrainTimeout(t *testing.T) {
	srv := startServe(t, 1, "--drain", "50ms", "unix:@sockit-drain-"+filepath.Base(testnet.SocketDir(t)))
	c, err := endpoint.MustParse(srv.addrs[0]).Dial(testnet.Context(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	if code := srv.stop(t); code != 0 {
		t.Errorf("exit %d; stderr:\n%s", code, srv.stderr)
	}
	if !strings.Contains(srv.stderr.String(), "drain time over") {
		t.Errorf("no drain-timeout warning:\n%s", srv.stderr)
	}
	if n, err := c.Read(make([]byte, 1)); err == nil {
		t.Errorf("connection still open after drain: read %d bytes", n)
	}
}

func TestServeUnixFiles(t *testing.T) {
	dir := testnet.SocketDir(t)
	path := filepath.Join(dir, "stale.sock")
	// A socket file from a server that died is replaced...
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	srv := startServe(t, 1, "unix:"+path)
	if r := sockit(t, "still works\n", "connect", srv.addrs[0]); r.stdout != "still works\n" {
		t.Fatalf("connect to the replacing server: %+v", r)
	}
	// ... and a live server's file is "address already in use".
	r := sockit(t, "", "serve", "unix:"+path)
	want := "sockit: listen unix " + path + ": address already in use\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("second serve on a live socket: exit %d, stderr %q; want 1, %q", r.code, r.stderr, want)
	}
	if code := srv.stop(t); code != 0 {
		t.Errorf("exit %d", code)
	}
}

func TestConnectDatagramRefused(t *testing.T) {
	// A UDP port with nobody on it answers ICMP port unreachable, which a
	// connected UDP socket reports as "connection refused".
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	r := sockit(t, "anyone?\n", "connect", "udp://"+addr)
	if r.code != 1 || !strings.Contains(r.stderr, "connection refused") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("connect to a closed UDP port: %+v", r)
	}
}

// TestConnectInterrupt checks that SIGINT ends connect even while it waits
// on a standard input that never ends, for streams and datagrams alike.
func TestConnectInterrupt(t *testing.T) {
	srv := startServe(t, 2, "tcp://127.0.0.1:0", "udp://127.0.0.1:0")
	for _, addr := range srv.addrs {
		t.Run(addr, func(t *testing.T) {
			cmd := exec.CommandContext(testnet.Context(t), sockitBin, "connect", "-v", addr)
			stdin, err := cmd.StdinPipe() // left open: input never ends
			if err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line, err := bufio.NewReader(stderr).ReadString('\n')
			if err != nil || !strings.HasPrefix(line, "sockit: connected ") {
				t.Fatalf("first stderr line %q, %v", line, err)
			}
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, stderr) // ends when connect exits
			if err := cmd.Wait(); err != nil {
				t.Fatalf("connect after SIGINT: %v (exit %d)", err, cmd.ProcessState.ExitCode())
			}
		})
	}
	srv.stop(t)
}

// TestConnectOutputClosed checks that connect ends quietly, exit 0, when
// the reader of its output goes away (as with "| head").
func TestConnectOutputClosed(t *testing.T) {
	srv := startServe(t, 1, "--service", "chargen", "tcp://127.0.0.1:0")
	cmd := exec.CommandContext(testnet.Context(t), sockitBin, "connect", srv.addrs[0])
	stdin, err := cmd.StdinPipe() // left open: only the closed output may end connect
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(stdout, make([]byte, 74)); err != nil {
		t.Fatal(err)
	}
	stdout.Close() // the reader leaves
	if err := cmd.Wait(); err != nil || stderr.Len() != 0 {
		t.Fatalf("connect after its output closed: %v, stderr %q; want exit 0 and silence", err, stderr.String())
	}
	srv.stop(t)
}

// TestServeIterativeTrace runs the iterative engine with --trace: stderr
// shows the real calls of a connection, one line each.
func TestServeIterativeTrace(t *testing.T) {
	srv := startServe(t, 1, "--engine", "iterative", "--trace", "--backlog", "8", "tcp://127.0.0.1:0")
	if r := sockit(t, "traced\n", "connect", srv.addrs[0]); r.stdout != "traced\n" {
		t.Fatalf("connect: %+v", r)
	}
	if code := srv.stop(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^trace listen\(\d+, 8\) = 0$`),
		regexp.MustCompile(`(?m)^trace accept4\(\d+, SOCK_NONBLOCK\|SOCK_CLOEXEC\) = \d+ \(peer 127\.0\.0\.1:\d+\)$`),
		regexp.MustCompile(`(?m)^trace recv\(\d+, 65536\) = 7$`),
		regexp.MustCompile(`(?m)^trace send\(\d+, 7\) = 7$`),
		regexp.MustCompile(`(?m)^trace shutdown\(\d+, SHUT_WR\) = 0$`),
	} {
		if !want.MatchString(srv.stderr.String()) {
			t.Errorf("trace lacks %v:\n%s", want, srv.stderr)
		}
	}
}

// TestServeStats checks that --stats prints a line per interval and that
// it counts a connection that passed.
func TestServeStats(t *testing.T) {
	srv := startServe(t, 1, "-q", "--stats", "20ms", "--max-conns", "4", "tcp://127.0.0.1:0")
	if r := sockit(t, strings.Repeat("x", 1000), "connect", srv.addrs[0]); len(r.stdout) != 1000 {
		t.Fatalf("connect: %+v", r)
	}
	line := regexp.MustCompile(`^stats: \d+ open, [\d.]+ accepted/s, in [\d.]+ MB/s, out [\d.]+ MB/s$`)
	var counted bool
	for !counted {
		l, ok := <-srv.lines
		if !ok {
			t.Fatal("serve ended before a stats line counted the connection")
		}
		if !line.MatchString(l) {
			t.Fatalf("unexpected line %q", l)
		}
		counted = !strings.Contains(l, " 0.0 accepted/s")
	}
	if code := srv.stop(t); code != 0 {
		t.Errorf("exit %d", code)
	}
}
