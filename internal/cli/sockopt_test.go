package cli_test

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/sockit/sockit/internal/testnet"
)

// TestOptionsReadBack: -v prints the options as the kernel holds them,
// on the listener and on the dialled connection.
func TestOptionsReadBack(t *testing.T) {
	srv := startServe(t, 1, "tcp://127.0.0.1:0")
	r := sockit(t, "hi", "connect", "-v", srv.addrs[0]+"?rcvbuf=64k&ttl=9&tos=lowdelay&keepalive=30s,5s,4&nodelay=0")
	want := regexp.MustCompile(`(?m)^sockit: options on 127\.0\.0\.1:\d+: rcvbuf=131072 \(asked 65536\), ttl=9, tos=0x10, nodelay=0, keepalive=1, keepidle=30, keepintvl=5, keepcnt=4$`)
	if r.code != 0 || !want.MatchString(r.stderr) {
		t.Errorf("connect -v: exit %d, stderr:\n%s\nwant a line matching %v", r.code, r.stderr, want)
	}
	srv.stop(t)

	p := startListen(t, "-v", "tcp://127.0.0.1:0?sndbuf=100k&congestion=reno&linger=0")
	line := p.nextLine(t) // after "listening on"
	if !regexp.MustCompile(`^sockit: options on 127\.0\.0\.1:\d+: sndbuf=204800 \(asked 102400\), linger=0s, congestion=reno$`).MatchString(line) {
		t.Errorf("listen -v options line %q", line)
	}
}

// TestOptionsRefused: a bad value is a usage error (exit 2); what the
// kernel refuses is exit 1 with the option, the value and the reason.
func TestOptionsRefused(t *testing.T) {
	tests := []struct {
		args   []string
		nobody bool // run as nobody, without CAP_NET_ADMIN
		code   int
		want   string
	}{
		{[]string{"listen", "tcp://127.0.0.1:0?dscp=99"}, false, 2, "option dscp=99: want a code point from 0 to 63"},
		{[]string{"listen", "udp://127.0.0.1:0?keepalive"}, false, 2, "option keepalive applies to tcp, not udp"},
		{[]string{"listen", "tcp://127.0.0.1:0?congestion=nosuch"}, false, 1, "setsockopt congestion=nosuch: no such file or directory (the kernel has no such algorithm; it offers "},
		{[]string{"connect", "tcp://127.0.0.1:9?bindtodevice=nosuch0"}, false, 1, "setsockopt bindtodevice=nosuch0: no such device (no interface of that name here)"},
		{[]string{"listen", "tcp://127.0.0.1:0?mark=1"}, true, 1, "setsockopt mark=1: operation not permitted (needs CAP_NET_ADMIN"},
		{[]string{"listen", "udp://127.0.0.1:0?rcvbufforce=1m"}, true, 1, "setsockopt rcvbufforce=1048576: operation not permitted (needs CAP_NET_ADMIN"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			cmd := exec.CommandContext(testnet.Context(t), sockitBin, tt.args...)
			if tt.nobody {
				if os.Geteuid() != 0 {
					t.Skip("needs root to run sockit as nobody; as a user, CAP_NET_ADMIN is missing anyway")
				}
				const nobody = 65534
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
			}
			r := sockitCmd(t, cmd, "")
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want %d and one line with %q", r.code, r.stderr, tt.code, tt.want)
			}
		})
	}
}

// TestTCPInfoInterval: --tcp-info prints the kernel's view while the
// connection lives.
func TestTCPInfoInterval(t *testing.T) {
	srv := startServe(t, 1, "tcp://127.0.0.1:0")
	cmd := exec.CommandContext(testnet.Context(t), sockitBin, "connect", "--tcp-info", "0.05", srv.addrs[0])
	p := startCmdNoListen(t, cmd)
	p.waitLine(t, `^sockit: tcp_info at \d+ms: ESTABLISHED rtt [\d.]+ms ±[\d.]+ \(min [\d.]+\), rto \d+ms, retrans 0/0, lost 0, .*cwnd \d+, ssthresh (inf|\d+), pmtu \d+, mss \d+, delivery .*, acked \d+ B, received \d+ B`)
	p.stdin.Close()
	if code := p.wait(t); code != 0 {
		t.Errorf("connect --tcp-info exit %d: %s", code, p.errAll)
	}
	srv.stop(t)
	if r := sockit(t, "", "connect", "--tcp-info", "1", "udp://127.0.0.1:9"); r.code != 2 || !strings.Contains(r.stderr, "--tcp-info: udp://127.0.0.1:9 is not a TCP connection") {
		t.Errorf("--tcp-info on udp: exit %d, %q", r.code, r.stderr)
	}
}

// startCmdNoListen starts cmd, a sockit command whose standard input is a
// pipe the test writes and closes, collecting its output; startCmd then
// waits for a listening line, and connect prints none.
func startCmdNoListen(t *testing.T, cmd *exec.Cmd) *listenProc {
	t.Helper()
	p := &listenProc{cmd: cmd, stdout: &lockedBuffer{}, stderr: make(chan string, 1000), errAll: &lockedBuffer{}, done: make(chan struct{})}
	var err error
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var wg sync.WaitGroup
	wg.Go(func() { io.Copy(p.stdout, stdout) })
	wg.Go(func() {
		defer close(p.stderr)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.errAll.Write([]byte(sc.Text() + "\n"))
			select {
			case p.stderr <- sc.Text():
			default: // the test is not waiting for lines this far on
			}
		}
	})
	go func() { wg.Wait(); close(p.done) }() // both outputs read to their end
	return p
}

// TestServeReadBack: serve -v prints each socket's options as the kernel
// holds them, on every engine.
func TestServeReadBack(t *testing.T) {
	for _, engine := range []string{"threaded", "iterative", "evloop"} {
		t.Run(engine, func(t *testing.T) {
			srv := startServe(t, 2, "-v", "--engine", engine, "tcp://127.0.0.1:0?rcvbuf=100k&ttl=9", "udp://127.0.0.1:0?tos=ef")
			srv.stop(t)
			out := srv.stdoutAll()
			for _, want := range []*regexp.Regexp{
				regexp.MustCompile(`(?m)^sockit: options on 127\.0\.0\.1:\d+: rcvbuf=204800 \(asked 102400\), ttl=9$`),
				regexp.MustCompile(`(?m)^sockit: options on 127\.0\.0\.1:\d+: tos=0xb8$`),
			} {
				if !want.MatchString(out) {
					t.Errorf("serve -v output lacks %v:\n%s", want, out)
				}
			}
		})
	}
}

// TestTCPInfoAtClose: -v ends a TCP connection's status with the kernel's
// view as it closed, on connect and on listen.
func TestTCPInfoAtClose(t *testing.T) {
	p := startListen(t, "-v", "tcp://127.0.0.1:0")
	p.stdin.Close() // nothing to send: the listener shuts down its side at once
	r := sockit(t, "hello\n", "connect", "-v", p.addr.String())
	info := `tcp_info at close: \w+ rtt [\d.]+ms ±[\d.]+ \(min [\d.]+\), rto \d+ms, retrans \d+/\d+, lost \d+, .*acked \d+ B, received \d+ B`
	if r.code != 0 || !regexp.MustCompile(`(?m)^sockit: `+info).MatchString(r.stderr) {
		t.Errorf("connect -v: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	p.wait(t)
	if !regexp.MustCompile(`(?m)^sockit: #1 ` + info).MatchString(p.errAll.String()) {
		t.Errorf("listen -v:\n%s", p.errAll)
	}
	if r := sockit(t, "", "connect", "-v", "unix:/nonexistent/x"); strings.Contains(r.stderr, "tcp_info") {
		t.Errorf("a Unix connect talks of tcp_info: %q", r.stderr)
	}
}
