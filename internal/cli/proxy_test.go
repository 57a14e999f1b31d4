package cli_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sockit/sockit/internal/testnet"
)

// startMicrosocks runs Debian's microsocks on a free port and returns
// its address once it accepts connections (tried until it does: it says
// nothing when ready).
func startMicrosocks(t *testing.T) string {
	t.Helper()
	path := testnet.PeerProgram(t, "microsocks", "microsocks")
	port := testnet.FreePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.CommandContext(testnet.Context(t), path, "-i", "127.0.0.1", "-p", strconv.Itoa(port))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	testnet.WaitListening(t, addr)
	return addr
}

// TestConnectProxy: sockit connect through a real SOCKS5 proxy, by URL
// and in ncat's --proxy HOST:PORT --proxy-type form, reaches a listener
// and gets its answer; a proxy that is down is one line naming the hop.
func TestConnectProxy(t *testing.T) {
	socks := startMicrosocks(t)
	for _, args := range [][]string{
		{"--proxy", "socks5h://" + socks},
		{"--proxy", socks, "--proxy-type", "socks5"},
	} {
		p := startCmd(t, exec.CommandContext(testnet.Context(t), sockitBin, "listen", "-v", "tcp://127.0.0.1:0"))
		r := sockit(t, "through socks5\n", append(append([]string{"connect", "-v"}, args...), p.addr.Address)...)
		if r.code != 0 {
			t.Fatalf("connect %v: exit %d: %s", args, r.code, r.stderr)
		}
		p.waitOutput(t, "through socks5\n")
		// The listener sees microsocks, not connect, as its peer.
		if !strings.Contains(r.stderr, "connected tcp 127.0.0.1:") || !bytes.Contains([]byte(r.stderr), []byte("-> "+socks)) {
			t.Errorf("connect -v through a proxy: %s", r.stderr)
		}
	}
	// TLS through the proxy: the handshake goes over the tunnel.
	// The listener only receives, and as a TLS peer it does not end its
	// side until connect's close_notify has come through the tunnel
	// (microsocks ends a tunnel whole at the first FIN, and would race
	// the data).
	p := startCmd(t, exec.CommandContext(testnet.Context(t), sockitBin, "listen", "--recv-only", "tls://127.0.0.1:0"))
	r := sockit(t, "secret through socks5\n", "connect", "--insecure", "--proxy", "socks5h://"+socks, "tls://"+p.addr.Address)
	if r.code != 0 {
		t.Fatalf("connect tls:// through a proxy: exit %d: %s", r.code, r.stderr)
	}
	p.waitOutput(t, "secret through socks5\n")

	down := "127.0.0.1:" + strconv.Itoa(testnet.FreePort(t))
	r = sockit(t, "", "connect", "--proxy", "socks5://"+down, "127.0.0.1", "9")
	if r.code != 1 || !strings.Contains(r.stderr, "proxy 1 (socks5://"+down+"): dial tcp "+down+": connection refused") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("a proxy that is down: exit %d, %q", r.code, r.stderr)
	}
	r = sockit(t, "", "connect", "--proxy-type", "socks5", "127.0.0.1", "9")
	if r.code != 2 || !strings.Contains(r.stderr, "describe a --proxy: give one") {
		t.Errorf("--proxy-type alone: exit %d, %q", r.code, r.stderr)
	}
}

// TestRelayProxy: relay dials its B side through a real SOCKS5 proxy;
// what a client sends A comes back from an echo server behind the proxy,
// byte for byte.
func TestRelayProxy(t *testing.T) {
	socks := startMicrosocks(t)
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		c, err := echo.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 64<<10)
		for {
			n, err := c.Read(buf)
			if n > 0 {
				c.Write(buf[:n])
			}
			if err != nil {
				return
			}
		}
	}()
	p := startRelay(t, 1, "-v", "--proxy", "socks5h://"+socks, "tcp://127.0.0.1:0", "tcp://"+echo.Addr().String())
	c, err := p.listening[0].Dial(testnet.Context(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(testnet.Timeout))
	msg := bytes.Repeat([]byte("relayed through socks5 "), 4000)
	go c.Write(msg)
	got := make([]byte, len(msg))
	if n, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("echo through relay and proxy: %d of %d bytes, %v", n, len(msg), err)
	}
	c.Close()
	p.wait(t)
	// B's connection went to the proxy, not to the echo server.
	if !strings.Contains(p.stderr.String(), "<-> tcp 127.0.0.1:") || !strings.Contains(p.stderr.String(), "-> "+socks+"\n") {
		t.Errorf("relay -v: B's 5-tuple is not the proxy's:\n%s", p.stderr)
	}
}

// TestPerfProxy: a perf test runs through a real SOCKS5 proxy, control
// connection and streams: the client's streams are connections to the
// proxy, and every byte arrives.
func TestPerfProxy(t *testing.T) {
	socks := startMicrosocks(t)
	ps := startPerfServer(t, "-B", "127.0.0.1", "-p", "0")
	r := sockit(t, "", "perf", "-c", "127.0.0.1", "-p", ps.port, "--proxy", "socks5h://"+socks, "-n", "4M", "-P", "2", "-J")
	var doc struct {
		Start struct {
			Connected []struct {
				RemotePort int `json:"remote_port"`
			} `json:"connected"`
		} `json:"start"`
		End struct {
			SumSent struct {
				Bytes int64 `json:"bytes"`
			} `json:"sum_sent"`
			SumReceived struct {
				Bytes int64 `json:"bytes"`
			} `json:"sum_received"`
		} `json:"end"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != 0 {
		t.Fatalf("perf through a proxy: exit %d, %v: %s\n%s", r.code, err, r.stderr, r.stdout)
	}
	_, port, _ := net.SplitHostPort(socks)
	for _, c := range doc.Start.Connected {
		if strconv.Itoa(c.RemotePort) != port {
			t.Errorf("a stream's remote port %d is not the proxy's %s", c.RemotePort, port)
		}
	}
	if len(doc.Start.Connected) != 2 {
		t.Errorf("%d streams, want 2", len(doc.Start.Connected))
	}
	if doc.End.SumSent.Bytes < 4<<20 || doc.End.SumReceived.Bytes != doc.End.SumSent.Bytes {
		t.Errorf("through the proxy: %d bytes sent, %d received", doc.End.SumSent.Bytes, doc.End.SumReceived.Bytes)
	}
	if r := sockit(t, "", "perf", "-c", "127.0.0.1", "-p", ps.port, "--proxy", "socks5h://"+socks, "-u", "-t", "1"); r.code != 1 || !strings.Contains(r.stderr, "a UDP test cannot go through a proxy") {
		t.Errorf("UDP through a proxy: exit %d, %q", r.code, r.stderr)
	}
}
