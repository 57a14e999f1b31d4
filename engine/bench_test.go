package engine

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sockit/sockit/endpoint"
)

// The benchmarks run the server in a child process (this test binary,
// re-executed with benchServeEnv set), so that the load generator's
// goroutines do not share the server's scheduler: the figures compare
// engines the way a real client sees them.
const benchServeEnv = "SOCKIT_BENCH_SERVE"

func TestMain(m *testing.M) {
	if spec := os.Getenv(benchServeEnv); spec != "" {
		os.Exit(benchServe(spec))
	}
	os.Exit(m.Run())
}

// benchServe serves "engine address [nofile=N] [log=1]" until standard
// input closes, after printing the bound address. nofile lowers the
// child's open-file limit; log sends its logs to standard error.
func benchServe(spec string) int {
	fields := strings.Fields(spec)
	if len(fields) < 2 {
		fmt.Fprintln(os.Stderr, "want: engine address [nofile=N] [log=1]")
		return 2
	}
	e, err := ByName(fields[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ep, err := endpoint.Parse(fields[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var cfg Config
	for _, opt := range fields[2:] {
		key, value, _ := strings.Cut(opt, "=")
		switch key {
		case "nofile":
			n, _ := strconv.ParseUint(value, 10, 64)
			if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: n, Max: n}); err != nil {
				fmt.Fprintln(os.Stderr, "setrlimit:", err)
				return 1
			}
		case "log":
			cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
		case "accept":
			ev, _ := e.(Evloop)
			ev.Accept = map[string]AcceptMode{"reuseport": AcceptReusePort, "handoff": AcceptHandoff}[value]
			e = ev
		case "loops":
			ev, _ := e.(Evloop)
			ev.Loops, _ = strconv.Atoi(value)
			e = ev
		}
	}
	ctx := context.Background()
	srv, err := e.Bind(ctx, ep, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(endpoint.FromAddr(ep.Network, srv.Addr()))
	go func() {
		io.Copy(io.Discard, os.Stdin)
		srv.Close()
	}()
	srv.Serve(ctx)
	return 0
}

// child is a server running in a child process.
type child struct {
	ep   endpoint.Endpoint
	pid  int
	logs chan string // log lines as they come (some may be skipped if unread)

	cmd   *exec.Cmd
	stdin io.Closer
	done  chan struct{} // closed when the log reader has finished
	mu    sync.Mutex
	lines []string // every log line
}

// startChild starts engine's server on addr in a child process (this test
// binary again), with benchServe's options, and stops it with the test.
func startChild(tb testing.TB, engine, addr string, opts ...string) *child {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchServeEnv+"="+strings.Join(append([]string{engine, addr}, opts...), " "))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	c := &child{pid: cmd.Process.Pid, logs: make(chan string, 1024), cmd: cmd, stdin: stdin, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		defer close(c.logs)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			c.mu.Lock()
			c.lines = append(c.lines, sc.Text())
			c.mu.Unlock()
			select {
			case c.logs <- sc.Text():
			default: // nobody is reading now; the line is kept in lines
			}
		}
	}()
	tb.Cleanup(func() { c.stop(tb) })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		c.stop(tb)
		tb.Fatalf("server did not start: %v\n%s", err, strings.Join(c.lines, "\n"))
	}
	if c.ep, err = endpoint.Parse(strings.TrimSpace(line)); err != nil {
		tb.Fatal(err)
	}
	return c
}

// stop ends the child (closing its standard input) and waits for it.
func (c *child) stop(tb testing.TB) {
	c.stdin.Close()
	exited := make(chan struct{})
	go func() { c.cmd.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		c.cmd.Process.Kill()
		<-exited
	}
	<-c.done
}

// count says how many log lines contain s.
func (c *child) count(s string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, l := range c.lines {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}

// benchServer starts engine's server on addr in a child process and
// returns the endpoint to dial and the child's pid.
func benchServer(b *testing.B, engine, addr string, opts ...string) (endpoint.Endpoint, int) {
	c := startChild(b, engine, addr, opts...)
	return c.ep, c.pid
}

func dialN(b *testing.B, ep endpoint.Endpoint, n int) []net.Conn {
	b.Helper()
	conns := make([]net.Conn, n)
	for i := range conns {
		c, err := ep.Dial(b.Context())
		if err != nil {
			b.Fatalf("dial %d: %v", i, err)
		}
		conns[i] = c
	}
	b.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	return conns
}

// BenchmarkPingPong64 measures 64-byte request/response messages per
// second with 1, 100 and 1,000 connections, each sending a message and
// reading it back before the next.
func BenchmarkPingPong64(b *testing.B) {
	for _, engine := range []string{"threaded", "evloop", "iterative"} {
		for _, conns := range []int{1, 100, 1000} {
			if engine == "iterative" && conns > 1 {
				continue // it serves one connection at a time: the others would wait forever
			}
			b.Run(fmt.Sprintf("%s/conns=%d", engine, conns), func(b *testing.B) {
				ep, pid := benchServer(b, engine, "tcp://127.0.0.1:0")
				pingPong(b, dialN(b, ep, conns), pid)
			})
		}
	}
}

// pingPong sends b.N 64-byte messages over the connections, each waiting
// for its echo before the next, and reports messages per second and the
// server process's CPU time per message: the load generator shares the
// machine, so the second says more about the engine than the first.
func pingPong(b *testing.B, cs []net.Conn, pid int) {
	cpu0 := cpuNanos(b, pid)
	user0, sys0 := cpuTicks(b, pid)
	var left atomic.Int64
	left.Store(int64(b.N))
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Go(func() {
			msg := make([]byte, 64)
			buf := make([]byte, 64)
			for left.Add(-1) >= 0 {
				if _, err := c.Write(msg); err != nil {
					b.Error(err)
					return
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(cpuNanos(b, pid)-cpu0)/float64(b.N), "server-ns/msg")
	if user1, sys1 := cpuTicks(b, pid); user1+sys1 > user0+sys0 {
		b.ReportMetric(100*float64(sys1-sys0)/float64(user1-user0+sys1-sys0), "server-%sys")
	}
}

// cpuTicks is process pid's user and system CPU time, in clock ticks,
// from /proc/PID/stat.
func cpuTicks(b *testing.B, pid int) (user, sys int64) {
	b.Helper()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// The command name, in parentheses, may hold spaces: count from after it.
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	user, _ = strconv.ParseInt(fields[11], 10, 64)
	sys, _ = strconv.ParseInt(fields[12], 10, 64)
	return user, sys
}

// cpuNanos is the CPU time process pid's threads have used, from
// /proc/PID/task/*/schedstat.
func cpuNanos(b *testing.B, pid int) int64 {
	b.Helper()
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		b.Fatal(err)
	}
	var total int64
	for _, t := range tasks {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, t.Name()))
		if err != nil {
			continue // the thread has exited
		}
		ns, _ := strconv.ParseInt(strings.Fields(string(stat))[0], 10, 64)
		total += ns
	}
	return total
}

// BenchmarkStream16K measures echo throughput on one connection with
// 16 KiB writes while a reader drains the echo.
func BenchmarkStream16K(b *testing.B) {
	for _, engine := range []string{"threaded", "evloop"} {
		b.Run(engine, func(b *testing.B) {
			ep, _ := benchServer(b, engine, "tcp://127.0.0.1:0")
			c := dialN(b, ep, 1)[0]
			msg := make([]byte, 16<<10)
			want := int64(b.N) * int64(len(msg))
			drained := make(chan error, 1)
			b.SetBytes(int64(len(msg)))
			b.ResetTimer()
			go func() {
				n, err := io.CopyN(io.Discard, c, want)
				if err == nil && n != want {
					err = fmt.Errorf("got %d of %d bytes", n, want)
				}
				drained <- err
			}()
			for range b.N {
				if _, err := c.Write(msg); err != nil {
					b.Fatal(err)
				}
			}
			if err := <-drained; err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkIdleConns10k reports the server's resident memory per idle
// connection: 10,000 connections, each having made one round trip, then
// left open. The iterative engine serves one connection at a time, so it
// has at most one open and is not measured.
func BenchmarkIdleConns10k(b *testing.B) {
	const n = 10_000
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); rl.Cur < n+1000 {
		b.Skipf("needs %d open files; the limit here is %d", n+1000, rl.Cur)
	}
	for _, engine := range []string{"threaded", "evloop"} {
		b.Run(engine, func(b *testing.B) {
			for range b.N {
				ep, pid := benchServer(b, engine, "tcp://127.0.0.1:0")
				before := rssKiB(b, pid)
				cs := dialN(b, ep, n)
				buf := make([]byte, 1)
				for _, c := range cs {
					if _, err := c.Write([]byte{'x'}); err != nil {
						b.Fatal(err)
					}
					if _, err := io.ReadFull(c, buf); err != nil {
						b.Fatal(err)
					}
				}
				after := rssKiB(b, pid)
				b.ReportMetric(float64(after-before)/n, "KiB/conn")
				b.ReportMetric(float64(after)/1024, "MiB-rss")
				for _, c := range cs {
					c.Close()
				}
			}
		})
	}
}

func rssKiB(b *testing.B, pid int) int {
	b.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kib, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				b.Fatal(err)
			}
			return kib
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

// BenchmarkEvloopAccept compares the event loop's two ways of spreading
// connections over loops: connections per second (connect, one 64-byte
// echo, close with a reset so that no TIME_WAIT piles up), and 64-byte
// ping-pong over 100 connections once they are spread.
func BenchmarkEvloopAccept(b *testing.B) {
	for _, mode := range []string{"reuseport", "handoff"} {
		b.Run(mode+"/connect", func(b *testing.B) {
			ep, _ := benchServer(b, "evloop", "tcp://127.0.0.1:0", "accept="+mode)
			var left atomic.Int64
			left.Store(int64(b.N))
			b.ResetTimer()
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					msg := make([]byte, 64)
					for left.Add(-1) >= 0 {
						c, err := ep.Dial(b.Context())
						if err != nil {
							b.Error(err)
							return
						}
						if _, err := c.Write(msg); err == nil {
							_, err = io.ReadFull(c, msg)
						}
						c.(*net.TCPConn).SetLinger(0)
						c.Close()
						if err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "conns/s")
		})
		b.Run(mode+"/pingpong100", func(b *testing.B) {
			ep, pid := benchServer(b, "evloop", "tcp://127.0.0.1:0", "accept="+mode)
			pingPong(b, dialN(b, ep, 100), pid)
		})
	}
}

// BenchmarkEvloopLoops compares loop counts for 64-byte ping-pong: on a
// small machine shared with the load generator, fewer loops may do more.
func BenchmarkEvloopLoops(b *testing.B) {
	for _, loops := range []string{"1", "2"} {
		for _, conns := range []int{100, 1000} {
			b.Run(fmt.Sprintf("loops=%s/conns=%d", loops, conns), func(b *testing.B) {
				ep, pid := benchServer(b, "evloop", "tcp://127.0.0.1:0", "loops="+loops)
				pingPong(b, dialN(b, ep, conns), pid)
			})
		}
	}
}
