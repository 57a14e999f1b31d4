package cli_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/sockit/sockit/internal/testnet"
	"github.com/sockit/sockit/socket"
)

// TestErrors covers every kind of bad input: each gets one line on stderr
// naming what and why, and the exit code says whose fault it was.
func TestErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	missing := filepath.Join(testnet.SocketDir(t), "nobody.sock")

	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string // the whole of stderr
	}{
		{"bad address", []string{"connect", "tcp//x:1"}, 2,
			`sockit: bad address "tcp//x:1": missing "://" after scheme`},
		{"bad address in serve", []string{"serve", "udp://[::1:9"}, 2,
			`sockit: bad address "udp://[::1:9": missing "]" after IPv6 address`},
		{"bad option", []string{"serve", "tcp://127.0.0.1:0?backlog=-1"}, 2,
			`sockit: bad address "tcp://127.0.0.1:0?backlog=-1": option backlog=-1: want a whole number from 1 to 1048576`},
		{"stdio is not a socket", []string{"connect", "-"}, 2,
			`sockit: connect -: not a socket address`},
		{"busy port", []string{"serve", "tcp://" + busy.Addr().String()}, 1,
			"sockit: listen tcp " + busy.Addr().String() + ": address already in use"},
		{"refused", []string{"connect", "tcp://" + closedAddr}, 1,
			"sockit: dial tcp " + closedAddr + ": connection refused"},
		{"missing unix path", []string{"connect", "unix:" + missing}, 1,
			"sockit: dial unix " + missing + ": no such file or directory"},
		{"unknown flag", []string{"serve", "--frobnicate"}, 2,
			"sockit: unknown flag: --frobnicate"},
		{"unknown command", []string{"frobnicate"}, 2,
			`sockit: unknown command "frobnicate" for "sockit"`},
		{"missing argument", []string{"connect"}, 2,
			"sockit: sockit connect wants 1 to 2 arguments, got 0 (see sockit connect --help)"},
		{"nc flag with a full address", []string{"connect", "-u", "tcp://127.0.0.1:1"}, 2,
			"sockit: connect tcp://127.0.0.1:1: the address names its network; -u, -U, -4 and -6 are for nc's HOST PORT form"},
		{"port that is not a number", []string{"connect", "localhost", "http"}, 2,
			`sockit: connect localhost http: "http" is not a port number`},
		{"-n with a name", []string{"listen", "-n", "localhost", "0"}, 2,
			`sockit: -n: "localhost" is a name, and -n says no name lookups: give a numeric address`},
		{"bare port to connect", []string{"connect", "7777"}, 2,
			"sockit: connect 7777: connect to which host? (connect HOST 7777, or connect :7777 for this one)"},
		{"send-only with exec", []string{"listen", "--send-only", "--exec", "cat", ":0"}, 2,
			"sockit: listen: --send-only and --recv-only shape standard input and output, which --exec, --sh-exec and --broker do not use"},
		{"bad CIDR", []string{"listen", "--allow", "10.0.0.0/33", ":0"}, 2,
			`sockit: --allow "10.0.0.0/33": not an IP address or CIDR prefix like 192.0.2.0/24`},
		{"allow on a Unix socket", []string{"listen", "--deny", "10.0.0.1", "unix:@x"}, 2,
			"sockit: listen unix:@x: --allow and --deny filter IP addresses; a Unix socket's peers have none"},
		{"bad log format", []string{"serve", "--log-format", "xml", "tcp://127.0.0.1:0"}, 2,
			`sockit: --log-format "xml": want text or json`},
		{"unknown engine", []string{"serve", "--engine", "fibers"}, 2,
			`sockit: unknown engine "fibers" (want threaded, iterative, evloop)`},
		{"unknown service", []string{"serve", "--service", "qotd"}, 2,
			`sockit: unknown service "qotd" (want echo, discard, chargen, daytime)`},
		{"trace without iterative", []string{"serve", "--trace", "tcp://127.0.0.1:0"}, 2,
			"sockit: --trace needs --engine iterative: only it makes its system calls through the traced socket layer"},
		{"negative backlog", []string{"serve", "--backlog", "-1"}, 2,
			"sockit: --backlog -1: want 0 or more"},
		{"max-conns with iterative", []string{"serve", "--engine", "iterative", "--max-conns", "3"}, 2,
			"sockit: --max-conns does not apply to --engine iterative: it serves one connection at a time"},
		{"negative stats", []string{"serve", "--stats", "-1s"}, 2,
			"sockit: --max-conns, --stats and --idle-timeout want 0 or more"},
		{"bad duration", []string{"connect", "-w", "soon", "tcp://127.0.0.1:1"}, 2,
			`sockit: invalid argument "soon" for "-w, --wait" flag: "soon" is neither seconds nor a duration like 1.5s or 250ms`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sockit(t, "", tt.args...)
			if r.code != tt.code || r.stderr != tt.stderr+"\n" || r.stdout != "" {
				t.Errorf("sockit %s\n got exit %d, stderr %q, stdout %q\nwant exit %d, stderr %q",
					strings.Join(tt.args, " "), r.code, r.stderr, r.stdout, tt.code, tt.stderr+"\n")
			}
		})
	}
}

// TestPermissionDenied binds a Unix socket in a directory the user may not
// write to. As root, which may write anywhere, it runs sockit as nobody.
func TestPermissionDenied(t *testing.T) {
	dir := testnet.SocketDir(t)
	locked := filepath.Join(dir, "locked")
	if err := os.Mkdir(locked, 0o555); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	path := filepath.Join(locked, "x.sock")
	cmd := exec.CommandContext(testnet.Context(t), sockitBin, "serve", "unix:"+path)
	if os.Geteuid() == 0 {
		const nobody = 65534
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	}
	r := sockitCmd(t, cmd, "")
	want := "sockit: listen unix " + path + ": permission denied\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("serve in a read-only directory: exit %d, stderr %q; want 1, %q", r.code, r.stderr, want)
	}
}

// TestConnectLimits covers the two ways a client gives up: a message larger
// than the socket type carries, and -w running out while connecting.
func TestConnectLimits(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	r := sockit(t, strings.Repeat("a", 70000), "connect", "udp://"+pc.LocalAddr().String())
	want := regexp.MustCompile(`^sockit: send 70000-byte message: write udp 127\.0\.0\.1:\d+->` + regexp.QuoteMeta(pc.LocalAddr().String()) +
		`: message too long \(a UDP datagram over IPv4 carries at most 65,507 bytes\)\n$`)
	if r.code != 1 || !want.MatchString(r.stderr) {
		t.Errorf("oversize datagram: exit %d, stderr %q", r.code, r.stderr)
	}

	// A listener with backlog 0 that never accepts takes one connection;
	// the kernel drops the next one's SYN, so that connect hangs.
	ln, err := socket.Socket(socket.INET, socket.Stream, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := ln.Bind(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	if err := ln.Listen(0); err != nil {
		t.Fatal(err)
	}
	addr, err := ln.LocalAddr()
	if err != nil {
		t.Fatal(err)
	}
	queued, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer queued.Close()
	r = sockit(t, "", "connect", "-w", "200ms", "tcp://"+addr.String())
	if want := "sockit: dial tcp " + addr.String() + ": i/o timeout: no connection within -w 200ms\n"; r.code != 1 || r.stderr != want {
		t.Errorf("connect -w to a full queue: exit %d, stderr %q; want 1, %q", r.code, r.stderr, want)
	}
}
