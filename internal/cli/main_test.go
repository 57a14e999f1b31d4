package cli_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/sockit/sockit/internal/testnet"
)

// sockitBin is the sockit binary built once for these tests.
var sockitBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sockit-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Readable by all, so a test can run it as an unprivileged user.
	os.Chmod(dir, 0o755)
	sockitBin = filepath.Join(dir, "sockit")
	build := exec.Command("go", "build", "-o", sockitBin, "github.com/sockit/sockit/cmd/sockit")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building sockit:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

// sockit runs the binary with stdin and args, bounded by the test context.
func sockit(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return sockitCmd(t, exec.CommandContext(testnet.Context(t), sockitBin, args...), stdin)
}

func sockitCmd(t *testing.T, cmd *exec.Cmd, stdin string) result {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
	default:
		t.Fatalf("run %v: %v", cmd.Args, err)
	}
	return result{out.String(), errb.String(), cmd.ProcessState.ExitCode()}
}

// server is a running "sockit serve".
type server struct {
	cmd    *exec.Cmd
	addrs  []string // what it printed as bound, in argument order
	stderr *bytes.Buffer
	lines  chan string
	out    []string // the lines of standard output read so far
}

var servingLine = regexp.MustCompile(`^serving \w+ on (\S+) \(engine \w+\)$`)

// startServe starts "sockit serve" with args and waits until it has printed
// every bound address.
func startServe(t *testing.T, want int, args ...string) *server {
	t.Helper()
	cmd := exec.CommandContext(testnet.Context(t), sockitBin, append([]string{"serve"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, stderr: &bytes.Buffer{}, lines: make(chan string)}
	cmd.Stderr = s.stderr // read only after the process has exited
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	for len(s.addrs) < want {
		line, ok := <-s.lines
		if !ok {
			cmd.Wait()
			t.Fatalf("serve %v exited before binding: %s", args, s.stderr)
		}
		s.out = append(s.out, line)
		if strings.HasPrefix(line, "sockit: options on ") { // -v's read-back
			continue
		}
		m := servingLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("unexpected serve output %q", line)
		}
		s.addrs = append(s.addrs, m[1])
	}
	return s
}

// stop sends SIGTERM and returns the exit code.
func (s *server) stop(t *testing.T) int {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for line := range s.lines {
		s.out = append(s.out, line)
	}
	err := s.cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return s.cmd.ProcessState.ExitCode()
}

// stdoutAll is what serve printed on standard output, once it has stopped.
func (s *server) stdoutAll() string { return strings.Join(s.out, "\n") + "\n" }

func TestVersionAndHelp(t *testing.T) {
	r := sockit(t, "", "version")
	if r.code != 0 || !regexp.MustCompile(`^sockit \d+\.\d+\.\d+ \(go\S+ linux/\w+`).MatchString(r.stdout) {
		t.Errorf("version: %+v", r)
	}
	r = sockit(t, "", "--help")
	for _, want := range []string{"Usage:", "Examples:", "demo", "serve", "connect", "info", "unix:@abstract-name", "Exit codes"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("sockit --help lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, cmd := range []string{"demo", "serve", "connect", "listen", "relay", "scan", "info"} {
		r := sockit(t, "", cmd, "--help")
		if r.code != 0 || !strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "sockit "+cmd) {
			t.Errorf("sockit %s --help has no examples: %+v", cmd, r)
		}
	}
}

func TestInfo(t *testing.T) {
	r := sockit(t, "", "info")
	host, _ := os.Hostname()
	for _, want := range []string{"hostname         " + host, "ephemeral ports  ", "listen backlog   ", "open files       ", "raw sockets      ", "127.0.0.1/8"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("info lacks %q:\n%s", want, r.stdout)
		}
	}
	if r.code != 0 {
		t.Errorf("info exit %d: %s", r.code, r.stderr)
	}
	r = sockit(t, "", "info", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"ephemeral_ports": {`) {
		t.Errorf("info --json: %+v", r)
	}
}
