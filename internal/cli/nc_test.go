package cli_test

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sockit/sockit/internal/testnet"
)

// runPeer runs a real peer to its end with stdin, and returns its
// standard output and error.
func runPeer(t *testing.T, cmd *exec.Cmd, stdin string) (stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %v; stderr %q", cmd.Args, err, errb.String())
	}
	return out.String(), errb.String()
}

// listeningPeer is a real peer (nc -lv, ncat -lv) started and listening.
type listeningPeer struct {
	cmd    *exec.Cmd
	stdout lockedBuffer
	stderr lockedBuffer
	done   chan struct{} // closed when standard error has been read to its end
}

// startPeer starts cmd, a real peer that prints ready on standard error
// once it listens, with stdin, and waits for that line.
func startPeer(t *testing.T, cmd *exec.Cmd, stdin string, ready *regexp.Regexp) *listeningPeer {
	t.Helper()
	p := &listeningPeer{cmd: cmd, done: make(chan struct{})}
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout = &p.stdout
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 100)
	go func() {
		defer close(p.done)
		defer close(lines)
		sc := bufio.NewScanner(errPipe)
		for sc.Scan() {
			p.stderr.Write([]byte(sc.Text() + "\n"))
			select {
			case lines <- sc.Text():
			default:
			}
		}
	}()
	ctx := testnet.Context(t)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("%v exited before it listened: %q", cmd.Args, p.stderr.String())
			}
			if ready.MatchString(line) {
				return p
			}
		case <-ctx.Done():
			t.Fatalf("%v did not listen: %q", cmd.Args, p.stderr.String())
		}
	}
}

// wait waits for the peer's end and returns its standard output and error.
func (p *listeningPeer) wait(t *testing.T) (string, string) {
	t.Helper()
	<-p.done
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("%v: %v; stderr %q", p.cmd.Args, err, p.stderr.String())
	}
	return p.stdout.String(), p.stderr.String()
}

var (
	ncatListening = regexp.MustCompile(`^Ncat: Listening on `)
	ncListening   = regexp.MustCompile(`^Listening on `)
)

// TestNCListenFlags: nc's ways of saying the port to listen on
// (-lvp PORT, -l -p PORT, listen -p PORT) serve a real nc client.
func TestNCListenFlags(t *testing.T) {
	nc := testnet.PeerProgram(t, "nc.openbsd", "netcat-openbsd")
	for _, args := range [][]string{
		{"connect", "-lvp"},
		{"connect", "-l", "-p"},
		{"listen", "-vp"},
		{"listen", "-s", "127.0.0.1", "-p"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			port := strconv.Itoa(testnet.FreePort(t))
			p := startSockit(t, append(args, port)...)
			if _, got, _ := strings.Cut(p.addr.Address, "]:"); got != port && !strings.HasSuffix(p.addr.Address, ":"+port) {
				t.Fatalf("listening on %s, want port %s", p.addr, port)
			}
			// nc sends and shuts down its write side; sockit prints what
			// came, and ends when its own standard input does (the rule:
			// the peer may only have shut down its write side).
			client := exec.CommandContext(testnet.Context(t), nc, "-N", "127.0.0.1", port)
			client.Stdin = strings.NewReader("hello from nc\n")
			if err := client.Start(); err != nil {
				t.Fatal(err)
			}
			p.waitOutput(t, "hello from nc\n")
			p.stdin.Close()
			if err := client.Wait(); err != nil {
				t.Errorf("nc: %v", err)
			}
			<-p.done
			if got := p.stdout.String(); got != "hello from nc\n" {
				t.Errorf("sockit printed %q, want what nc sent", got)
			}
		})
	}
}

// TestNCSourceAddress: -s and -p choose the address and port connect
// dials from, as ncat -v reports them.
func TestNCSourceAddress(t *testing.T) {
	ncat := testnet.PeerProgram(t, "ncat", "ncat")
	port := strconv.Itoa(testnet.FreePort(t))
	peer := startPeer(t, exec.CommandContext(testnet.Context(t), ncat, "-l", "-v", "127.0.0.1", port), "", ncatListening)
	src := strconv.Itoa(testnet.FreePort(t))
	r := sockit(t, "x\n", "connect", "-s", "127.0.0.2", "-p", src, "127.0.0.1", port)
	if r.code != 0 {
		t.Fatalf("connect -s -p: exit %d: %s", r.code, r.stderr)
	}
	out, errs := peer.wait(t)
	if out != "x\n" || !strings.Contains(errs, "Connection from 127.0.0.2:"+src+".") {
		t.Errorf("ncat got %q and said %q; want x from 127.0.0.2:%s", out, errs, src)
	}
}

// TestNCCRLF: -C sends LF line ends as CR LF, as a real nc -l receives.
func TestNCCRLF(t *testing.T) {
	nc := testnet.PeerProgram(t, "nc.openbsd", "netcat-openbsd")
	port := strconv.Itoa(testnet.FreePort(t))
	peer := startPeer(t, exec.CommandContext(testnet.Context(t), nc, "-lv", "127.0.0.1", port), "", ncListening)
	r := sockit(t, "HELO a\nQUIT\r\n", "connect", "-C", "127.0.0.1", port)
	if r.code != 0 {
		t.Fatalf("connect -C: exit %d: %s", r.code, r.stderr)
	}
	if out, _ := peer.wait(t); out != "HELO a\r\nQUIT\r\n" {
		t.Errorf("nc received %q, want CRLF line ends (and no CR added to one already there)", out)
	}
}

// TestNCExec: connect -e runs a program on the dialled connection, as
// ncat -e does: a real ncat -l talks to cat through it.
func TestNCExec(t *testing.T) {
	ncat := testnet.PeerProgram(t, "ncat", "ncat")
	for _, flag := range [][]string{{"-e", "cat"}, {"-c", "tr a-z A-Z"}} {
		t.Run(flag[0], func(t *testing.T) {
			port := strconv.Itoa(testnet.FreePort(t))
			peer := startPeer(t, exec.CommandContext(testnet.Context(t), ncat, "-l", "-v", "127.0.0.1", port), "ping\n", ncatListening)
			r := sockit(t, "", append([]string{"connect", "-v"}, append(flag, "127.0.0.1", port)...)...)
			if r.code != 0 {
				t.Fatalf("connect %v: exit %d: %s", flag, r.code, r.stderr)
			}
			out, _ := peer.wait(t)
			want := "ping\n"
			if flag[0] == "-c" {
				want = "PING\n"
			}
			if out != want {
				t.Errorf("ncat got back %q, want %q", out, want)
			}
			if !regexp.MustCompile(`(?m)^sockit: sent 5 bytes, received 5 bytes;`).MatchString(r.stderr) {
				t.Errorf("connect -v status: %q", r.stderr)
			}
		})
	}
}

// TestNCKeepListening: connect -lk serves one nc client after another.
func TestNCKeepListening(t *testing.T) {
	nc := testnet.PeerProgram(t, "nc.openbsd", "netcat-openbsd")
	port := strconv.Itoa(testnet.FreePort(t))
	p := startSockit(t, "connect", "-lk", "-p", port)
	var clients []*exec.Cmd
	for _, msg := range []string{"one\n", "two\n"} {
		client := exec.CommandContext(testnet.Context(t), nc, "-N", "127.0.0.1", port)
		client.Stdin = strings.NewReader(msg)
		if err := client.Start(); err != nil {
			t.Fatal(err)
		}
		clients = append(clients, client)
		p.waitOutput(t, msg)
	}
	// sockit's standard input ends: every peer's write side is shut
	// down, and each nc ends; sockit goes on listening until interrupted.
	p.stdin.Close()
	for _, c := range clients {
		if err := c.Wait(); err != nil {
			t.Errorf("nc: %v", err)
		}
	}
	if code := p.interrupt(t); code != 0 {
		t.Errorf("connect -lk exit %d after SIGINT", code)
	}
	if got := p.stdout.String(); got != "one\ntwo\n" {
		t.Errorf("sockit printed %q", got)
	}
}

// TestNCRefusedFlags: nc's and ncat's flags that sockit does not take say
// what to type instead.
func TestNCRefusedFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"connect", "-d", "h", "1"}, "-d/--detach: nc's -d (do not read standard input) is --recv-only here"},
		{[]string{"connect", "--ssl", "h", "1"}, "--ssl: use a tls:// address"},
		{[]string{"listen", "--ssl-cert", "c.pem", ":1"}, "?cert=FILE&key=FILE"},
		{[]string{"connect", "-X", "5", "h", "1"}, "use --proxy socks5://HOST:PORT"},
		{[]string{"connect", "-m", "3", "h", "1"}, "ncat's -m is --max-conns, on sockit listen"},
		{[]string{"listen", "--chat", ":1"}, "use sockit listen --broker"},
		{[]string{"connect", "-k", "h", "1"}, "connect -k: keeps a listener open, for connect -l"},
		{[]string{"listen", "-p", "1", ":2"}, "give the address once"},
		{[]string{"connect", "-T", "fast", "h", "1"}, "tos=fast: want a byte"},
		{[]string{"connect", "-b", "h", "1"}, "broadcast applies to udp, not tcp"},
		{[]string{"connect", "-s", "127.0.0.1", "h", "1", "?bind"}, "wants 1 to 2 arguments"},
	}
	for _, tt := range tests {
		r := sockit(t, "", tt.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line with %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
}

// TestNCSocketFlags: -I, -O, -T, -M set the socket's options, as -v's
// read-back shows.
func TestNCSocketFlags(t *testing.T) {
	srv := startServe(t, 1, "tcp://127.0.0.1:0")
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.addrs[0], "tcp://"))
	r := sockit(t, "hi", "connect", "-v", "-I", "64k", "-O", "32k", "-T", "lowdelay", "-M", "9", host, port)
	want := regexp.MustCompile(`(?m)^sockit: options on 127\.0\.0\.1:\d+: rcvbuf=131072 \(asked 65536\), sndbuf=65536 \(asked 32768\), ttl=9, tos=0x10$`)
	if r.code != 0 || !want.MatchString(r.stderr) {
		t.Errorf("connect -I -O -T -M: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	srv.stop(t)
}

// TestNCAllowFile: ncat's --allowfile and --denyfile, a list of addresses
// a line with comments, let in or turn away as --allow and --deny do.
func TestNCAllowFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := dir + "/" + name
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	allow := write("allow", "# the loopback net\n127.0.0.0/8, ::1\n")
	deny := write("deny", "127.0.0.2 # not this one\n")
	p := startListen(t, "-k", "-v", "--allowfile", allow, "--denyfile", deny, "tcp://127.0.0.1:0")
	c := p.dial(t, "127.0.0.2")
	if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Errorf("a peer from the denied 127.0.0.2 read %d bytes, %v; want it closed", n, err)
	}
	p.waitLine(t, `refused 127\.0\.0\.2:\d+: in --deny`)
	ok := p.dial(t, "127.0.0.3")
	ok.Write([]byte("let in\n"))
	p.waitOutput(t, "let in\n")
	if code := p.interrupt(t); code != 0 {
		t.Errorf("listen exit %d after SIGINT", code)
	}
	if r := sockit(t, "", "listen", "--allowfile", dir+"/missing", ":0"); r.code != 2 || !strings.Contains(r.stderr, "--allowfile open "+dir+"/missing: no such file or directory") {
		t.Errorf("a missing --allowfile: exit %d, %q", r.code, r.stderr)
	}
}
