package cli_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/internal/testnet"
)

// relayProc is a running "sockit relay".
type relayProc struct {
	cmd       *exec.Cmd
	listening []endpoint.Endpoint // what it printed, in order
	stderr    *bytes.Buffer
}

var listeningLine = regexp.MustCompile(`^listening on (\S+)$`)

// startRelay starts "sockit relay args..." and waits for want listening lines.
func startRelay(t *testing.T, want int, args ...string) *relayProc {
	t.Helper()
	cmd := exec.CommandContext(testnet.Context(t), sockitBin, append([]string{"relay"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &relayProc{cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = p.stderr // read only after the process has exited
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	for len(p.listening) < want {
		if !sc.Scan() {
			cmd.Wait()
			t.Fatalf("relay %v exited before listening: %s", args, p.stderr)
		}
		m := listeningLine.FindStringSubmatch(sc.Text())
		if m == nil {
			t.Fatalf("unexpected relay output %q", sc.Text())
		}
		ep, err := endpoint.Parse(m[1])
		if err != nil {
			t.Fatal(err)
		}
		p.listening = append(p.listening, ep)
	}
	go io.Copy(io.Discard, stdout)
	return p
}

// wait returns the exit code, within a deadline.
func (p *relayProc) wait(t *testing.T) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(15 * time.Second):
		t.Fatalf("relay did not exit; stderr: %s", p.stderr)
	}
	return -1
}

// listenFor opens a listener for the test's own server side of network.
func listenFor(t *testing.T, network, name string) (net.Listener, string) {
	t.Helper()
	var ln net.Listener
	var err error
	var addr string
	switch network {
	case "unix":
		path := filepath.Join(testnet.SocketDir(t), name)
		ln, err = net.Listen("unix", path)
		addr = "unix:" + path
	case "unixpacket":
		path := filepath.Join(testnet.SocketDir(t), name)
		ln, err = net.Listen("unixpacket", path)
		addr = "unixpacket:" + path
	case "tcp6":
		ln, err = net.Listen("tcp6", "[::1]:0")
		if err == nil {
			addr = "tcp6://" + ln.Addr().String()
		}
	case "tls":
		ln, err = endpoint.MustParse("tls://127.0.0.1:0").Listen(testnet.Context(t))
		if err == nil {
			addr = "tls://" + ln.Addr().String()
		}
	default:
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		if err == nil {
			addr = "tcp://" + ln.Addr().String()
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln, addr
}

// relayListenAddr is where relay should listen for the client on network.
func relayListenAddr(t *testing.T, network string) string {
	switch network {
	case "unix", "unixpacket":
		return network + ":" + filepath.Join(testnet.SocketDir(t), "relay.sock")
	case "tcp6":
		return "tcp6://[::1]:0"
	case "tls":
		return "tls://127.0.0.1:0"
	}
	return "tcp://127.0.0.1:0"
}

// exchange runs one client through the relay to the server: the client
// sends request and half-closes; the server reads it all, replies after
// the client's end-of-file, and closes; the client reads the reply.
func exchange(t *testing.T, client net.Conn, server net.Listener, request, reply []byte) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	got := make(chan []byte, 1)
	go func() {
		defer close(got)
		c, err := server.Accept()
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		c.SetDeadline(deadline)
		b, err := readRecords(c)
		if err != nil {
			t.Errorf("server read: %v", err)
			return
		}
		got <- b
		if _, err := c.Write(reply); err != nil {
			t.Errorf("server reply after the client's end-of-file: %v", err)
		}
	}()
	client.SetDeadline(deadline)
	go func() {
		client.Write(request)
		client.(interface{ CloseWrite() error }).CloseWrite()
	}()
	back, err := readRecords(client)
	if err != nil {
		t.Fatalf("client read: %v", err)
	}
	if b := <-got; !bytes.Equal(b, request) {
		t.Fatalf("the server read %d bytes, want the %d sent, byte for byte", len(b), len(request))
	}
	if !bytes.Equal(back, reply) {
		t.Fatalf("the client read %d bytes, want the %d replied, byte for byte", len(back), len(reply))
	}
}

// readRecords reads c to its end with a buffer large enough for any
// record of a unixpacket socket, which a smaller read would cut short.
func readRecords(c net.Conn) ([]byte, error) {
	var all []byte
	buf := make([]byte, 256<<10)
	for {
		n, err := c.Read(buf)
		all = append(all, buf[:n]...)
		if err == io.EOF {
			return all, nil
		}
		if err != nil {
			return all, err
		}
	}
}

func pattern(n int, salt byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) ^ salt
	}
	return b
}

// TestRelayStreamPairs relays one connection across every pair of stream
// types, with half-close both ways, and checks the -v status line.
func TestRelayStreamPairs(t *testing.T) {
	networks := []string{"tcp", "tcp6", "unix", "unixpacket", "tls"}
	for _, from := range networks {
		for _, to := range networks {
			t.Run(from+"-"+to, func(t *testing.T) {
				if from == "tcp6" || to == "tcp6" {
					testnet.SkipWithoutIPv6(t, "tcp6")
				}
				server, serverAddr := listenFor(t, to, "server.sock")
				args := []string{"-v", relayListenAddr(t, from), serverAddr}
				if to == "tls" {
					args = append([]string{"--insecure"}, args...)
				}
				p := startRelay(t, 1, args...)
				dial := p.listening[0]
				dial.Options.TLS.Insecure = from == "tls"
				client, err := dial.Dial(testnet.Context(t))
				if err != nil {
					t.Fatal(err)
				}
				defer client.Close()
				request, reply := pattern(300_000, 1), pattern(200_003, 2)
				if from == "unixpacket" || to == "unixpacket" {
					// One record each way, within the default socket
					// buffers; relay copies 32 KiB at a time.
					request, reply = pattern(30_000, 1), pattern(20_003, 2)
				}
				exchange(t, client, server, request, reply)
				if code := p.wait(t); code != 0 {
					t.Fatalf("relay exit %d: %s", code, p.stderr)
				}
				status := fmt.Sprintf("%d bytes a->b, %d bytes b->a; a ended first, then both", len(request), len(reply))
				if !strings.Contains(p.stderr.String(), status) {
					t.Errorf("stderr lacks %q:\n%s", status, p.stderr)
				}
				// -v shows each TCP side's TCP_INFO as it closed, and each
				// TLS side's handshake.
				for _, side := range []struct{ name, network string }{{"a", from}, {"b", to}} {
					tcp := side.network == "tcp" || side.network == "tcp6" || side.network == "tls"
					info := regexp.MustCompile(`relay #1: ` + side.name + ` tcp_info at close: \S+ rtt `)
					if got := info.MatchString(p.stderr.String()); got != tcp {
						t.Errorf("side %s (%s): tcp_info at close shown: %v, want %v:\n%s", side.name, side.network, got, tcp, p.stderr)
					}
					secured := regexp.MustCompile(`relay #1: ` + side.name + ` tls: TLS 1\.3, `)
					if got := secured.MatchString(p.stderr.String()); got != (side.network == "tls") {
						t.Errorf("side %s (%s): handshake shown: %v:\n%s", side.name, side.network, got, p.stderr)
					}
				}
			})
		}
	}
}

// TestRelayKeepOpen: with -k, three clients at once each get their own
// connection to the server and their own bytes back.
func TestRelayKeepOpen(t *testing.T) {
	backend, backendAddr := listenFor(t, "tcp", "")
	go func() { // an echo server, one goroutine per connection
		for {
			c, err := backend.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	p := startRelay(t, 1, "-k", "unix:"+filepath.Join(testnet.SocketDir(t), "k.sock"), backendAddr)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			c, err := p.listening[0].Dial(testnet.Context(t))
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			msg := pattern(100_000, byte(i+1))
			go func() {
				c.Write(msg)
				c.(*net.UnixConn).CloseWrite()
			}()
			back, err := io.ReadAll(c)
			if err != nil || !bytes.Equal(back, msg) {
				t.Errorf("client %d: %d bytes back (%v), want its own %d", i, len(back), err, len(msg))
			}
		})
	}
	wg.Wait()
	p.cmd.Process.Signal(syscall.SIGINT)
	if code := p.wait(t); code != 0 {
		t.Errorf("relay -k after SIGINT: exit %d: %s", code, p.stderr)
	}
}

// TestRelayBothListen: ?listen on the second address makes relay accept on
// both and join the two connections.
func TestRelayBothListen(t *testing.T) {
	p := startRelay(t, 2, "tcp://127.0.0.1:0", "tcp://127.0.0.1:0?listen")
	a, err := p.listening[0].Dial(testnet.Context(t))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := p.listening[1].Dial(testnet.Context(t))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.SetDeadline(time.Now().Add(10 * time.Second))
	a.Write([]byte("ping"))
	a.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(b)
	if err != nil || string(got) != "ping" {
		t.Fatalf("b read %q, %v; want ping then end-of-file", got, err)
	}
	b.Close()
	if code := p.wait(t); code != 0 {
		t.Errorf("relay exit %d: %s", code, p.stderr)
	}
}

func TestRelayErrors(t *testing.T) {
	// A port nothing listens on: the dial fails once a client comes.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "tcp://" + ln.Addr().String()
	ln.Close()
	p := startRelay(t, 1, "tcp://127.0.0.1:0", closed)
	c, err := p.listening[0].Dial(testnet.Context(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if code := p.wait(t); code != 1 {
		t.Errorf("relay to a closed port: exit %d, want 1", code)
	}
	if msg := p.stderr.String(); !strings.Contains(msg, "connection refused") || strings.Count(msg, "\n") != 1 {
		t.Errorf("stderr %q, want one line saying connection refused", msg)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"exec:cat", "-"}, "one side at least must be a socket"},
		{[]string{"-k", "-", "tcp://127.0.0.1:0"}, "standard input and output (-) serve one pairing only"},
		{[]string{"-k", "tcp://127.0.0.1:1?dial", closed}, "one side must listen"},
		{[]string{"tcp://127.0.0.1:0"}, "sockit relay wants 2 arguments, got 1"},
		{[]string{"tcp://127.0.0.1:0?listen&dial", closed}, "exclude each other"},
		{[]string{"tcp://127.0.0.1:0", `exec:sh -c "x`}, "unterminated"},
	} {
		r := sockit(t, "", append([]string{"relay"}, tc.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
			t.Errorf("relay %v: exit %d, stdout %q, stderr %q; want 2, nothing opened, and %q", tc.args, r.code, r.stdout, r.stderr, tc.want)
		}
	}
}

// TestRelayExec: -k with exec: runs the program once per client, its
// reply after the client's end-of-file delivered, its environment naming
// the client; the program may be given first.
func TestRelayExec(t *testing.T) {
	for _, order := range []string{"listener first", "program first"} {
		t.Run(order, func(t *testing.T) {
			args := []string{"-k", "-v", "tcp://127.0.0.1:0", `exec:sh -c "wc -c; echo $SOCKIT_PEER_ADDR"`}
			if order == "program first" {
				args[2], args[3] = args[3], args[2]
			}
			p := startRelay(t, 1, args...)
			for i := range 2 {
				c, err := p.listening[0].Dial(testnet.Context(t))
				if err != nil {
					t.Fatal(err)
				}
				c.SetDeadline(time.Now().Add(10 * time.Second))
				msg := pattern(50_000+i, byte(i))
				go func() {
					c.Write(msg)
					c.(*net.TCPConn).CloseWrite()
				}()
				back, err := io.ReadAll(c)
				c.Close()
				want := fmt.Sprintf("%d\n%s\n", len(msg), c.LocalAddr())
				if err != nil || string(back) != want {
					t.Errorf("client %d read %q, %v; want %q", i, back, err, want)
				}
			}
			p.cmd.Process.Signal(syscall.SIGINT)
			if code := p.wait(t); code != 0 {
				t.Errorf("exit %d: %s", code, p.stderr)
			}
			if order == "program first" && !strings.Contains(p.stderr.String(), "; b ended first, then both") {
				t.Errorf("-v should count in the order given (the client is b):\n%s", p.stderr)
			}
		})
	}
}

// TestRelayDatagrams: a UDP relay keeps a session per client, each with
// its own socket towards the server, so every client gets its own replies;
// and a stream client is carried over UDP, its end of stream ending the
// pairing.
func TestRelayDatagrams(t *testing.T) {
	srv := startServe(t, 1, "udp://127.0.0.1:0")
	p := startRelay(t, 1, "-k", "-w", "5", "udp://127.0.0.1:0", srv.addrs[0])
	server, err := net.ResolveUDPAddr("udp", p.listening[0].Address)
	if err != nil {
		t.Fatal(err)
	}
	const clients, rounds = 20, 3
	var wg sync.WaitGroup
	for i := range clients {
		c, err := net.DialUDP("udp", nil, server)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		wg.Go(func() {
			buf := make([]byte, 256)
			for r := range rounds {
				msg := fmt.Sprintf("client %d round %d", i, r)
				c.Write([]byte(msg))
				n, err := c.Read(buf)
				if err != nil || string(buf[:n]) != msg {
					t.Errorf("client %d read %q, %v; want %q", i, buf[:n], err, msg)
					return
				}
			}
		})
	}
	wg.Wait()

	stream := startRelay(t, 1, "-v", "tcp://127.0.0.1:0", srv.addrs[0])
	c, err := stream.listening[0].Dial(testnet.Context(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "one datagram")
	buf := make([]byte, 64)
	if n, err := c.Read(buf); err != nil || string(buf[:n]) != "one datagram" {
		t.Fatalf("stream client read %q, %v", buf[:n], err)
	}
	c.(interface{ CloseWrite() error }).CloseWrite()
	if rest, err := io.ReadAll(c); err != nil || len(rest) != 0 {
		t.Errorf("after its end of stream, the client read %q, %v; want end-of-file", rest, err)
	}
	if code := stream.wait(t); code != 0 || !strings.Contains(stream.stderr.String(), "12 bytes a->b, 12 bytes b->a; a ended first, then both") {
		t.Errorf("relay exit %d: %s", code, stream.stderr)
	}
}

// TestRelayStdioAndFile: "-" joins standard input and output to a
// socket; file: serves a file's content and appends what arrives.
func TestRelayStdioAndFile(t *testing.T) {
	srv := startServe(t, 1, "tcp://127.0.0.1:0")
	r := sockit(t, "through stdio\n", "relay", "--text", "-", srv.addrs[0])
	// The two records may come in either order: each is written after its
	// own system call returns.
	if r.code != 0 || r.stdout != "through stdio\n" ||
		!regexp.MustCompile(`(?m)^> [\d:.]+ sent 14 bytes at offset 0\n  through stdio\\n$`).MatchString(r.stderr) ||
		!regexp.MustCompile(`(?m)^< [\d:.]+ received 14 bytes at offset 0\n  through stdio\\n$`).MatchString(r.stderr) {
		t.Errorf("relay --text - ADDR: %+v", r)
	}

	// Two clients, one after the other: the first appends to the empty
	// file, the second reads what the first wrote, then appends.
	path := filepath.Join(t.TempDir(), "log")
	for _, step := range []struct{ send, want string }{{"one\n", ""}, {"two\n", "one\n"}} {
		p := startRelay(t, 1, "tcp://127.0.0.1:0", "file:"+path)
		c, err := p.listening[0].Dial(testnet.Context(t))
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		got, err := io.ReadAll(c) // the content so far, then end-of-file
		if err != nil || string(got) != step.want {
			t.Errorf("client read %q, %v; want %q", got, err, step.want)
		}
		io.WriteString(c, step.send)
		c.Close()
		if code := p.wait(t); code != 0 {
			t.Fatalf("relay exit %d: %s", code, p.stderr)
		}
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != "one\ntwo\n" {
		t.Errorf("file holds %q, %v", got, err)
	}
}
