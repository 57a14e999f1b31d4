package cli_test

import (
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	xicmp "golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"

	"github.com/sockit/sockit/internal/testnet"
)

// TestPingDupAndOutOfOrder has a raw socket answer sockit's three echo
// requests itself, in the namespace of a host whose kernel ignores them:
// request 2 first, then 1 twice, then 3.
func TestPingDupAndOutOfOrder(t *testing.T) {
	h := testnet.New(t).Host("forge")
	h.Sysctl(t, "net.ipv4.icmp_echo_ignore_all", "1")
	var conn net.PacketConn
	if err := h.Do(func() (err error) {
		conn, err = net.ListenPacket("ip4:icmp", "127.0.0.1")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	forged := make(chan error, 1)
	go func() {
		req := map[int]*xicmp.Echo{}
		buf := make([]byte, 1500)
		conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		for len(req) < 3 {
			n, _, err := conn.ReadFrom(buf)
			if err != nil {
				forged <- err
				return
			}
			if m, err := xicmp.ParseMessage(1, buf[:n]); err == nil && m.Type == ipv4.ICMPTypeEcho {
				e := m.Body.(*xicmp.Echo)
				req[e.Seq] = e
			}
		}
		for _, seq := range []int{2, 1, 1, 3} {
			b, _ := (&xicmp.Message{Type: ipv4.ICMPTypeEchoReply, Body: req[seq]}).Marshal(nil)
			if _, err := conn.WriteTo(b, &net.IPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
				forged <- err
				return
			}
		}
		forged <- nil
	}()
	r := inNS(t, h, "ping", "-c", "3", "-i", "0", "-W", "10", "127.0.0.1")
	if err := <-forged; err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(r.stdout, "\n")
	want := []string{`icmp_seq=2 ttl=64 time=\S+ ms$`, `icmp_seq=1 ttl=64 time=\S+ ms \(out of order\)$`, `icmp_seq=1 ttl=64 time=\S+ ms \(DUP!\)$`, `icmp_seq=3 ttl=64 time=\S+ ms$`}
	if r.code != 0 || len(lines) < 8 || !strings.Contains(r.stdout, "3 packets transmitted, 3 received, +1 duplicates, 0% packet loss") {
		t.Fatalf("exit %d, stderr %q, output:\n%s", r.code, r.stderr, r.stdout)
	}
	for i, w := range want {
		if !regexp.MustCompile(`^64 bytes from 127\.0\.0\.1: ` + w).MatchString(lines[i+1]) {
			t.Errorf("line %q, want %s", lines[i+1], w)
		}
	}
}

// TestTraceSilence traces to a server that answers nothing: its hop and
// those after it are all "*", and the trace ends at -m without the
// destination.
func TestTraceSilence(t *testing.T) {
	r := testnet.NewRouted(t)
	r.Server.Sysctl(t, "net.ipv4.icmp_echo_ignore_all", "1")
	res := inNS(t, r.Client, "trace", "-m", "4", "-q", "2", "-w", "0.3", testnet.ServerIP)
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	if res.code != 1 || len(lines) != 5 || !hopRE(1, testnet.AClientIP, 2).MatchString(lines[1]) || !hopRE(2, testnet.BtoAIP, 2).MatchString(lines[2]) ||
		lines[3] != " 3  *  *" || lines[4] != " 4  *  *" || !strings.Contains(res.stderr, "no answer from the destination within 4 hops") {
		t.Errorf("exit %d, stderr %q, output:\n%s", res.code, res.stderr, res.stdout)
	}
}
