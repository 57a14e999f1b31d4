package cli_test

import (
	"bufio"
	"strings"
	"testing"

	"github.com/sockit/sockit/internal/testnet"
)

// TestMulticastCLI: listen joins a group in one namespace, connect sends
// to it from another, as the README shows.
func TestMulticastCLI(t *testing.T) {
	n := testnet.New(t)
	a, b := n.Host("a"), n.Host("b")
	link := n.Link(a, []string{"198.51.100.1/24", "2001:db8:1::1/64"}, b, []string{"198.51.100.2/24", "2001:db8:1::2/64"})
	link.WaitIPv6(t, "2001:db8:1::2")
	va, vb := link.Names()
	for _, tt := range []struct{ name, listen, send, accepted string }{
		{"ipv4", "udp://239.1.2.3:5000?join&iface=" + vb, "udp://239.1.2.3:5000?iface=" + va + "&mttl=1",
			`^sockit: #1 accepted udp 0\.0\.0\.0:5000 -> 198\.51\.100\.1:\d+$`},
		{"ipv6", "udp6://[ff0e::1234]:5000?join&iface=" + vb, "udp6://[ff0e::1234]:5000?iface=" + va + "&mttl=1",
			`^sockit: #1 accepted udp \[::\]:5000 -> \[2001:db8:1::1\]:\d+$`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testnet.Context(t)
			p := startCmd(t, b.Command(ctx, sockitBin, "listen", "-v", tt.listen))
			r := sockitCmd(t, a.Command(ctx, sockitBin, "connect", "--linger", "0", tt.send), "hello, group\n")
			if r.code != 0 {
				t.Fatalf("connect to the group: exit %d: %s", r.code, r.stderr)
			}
			p.waitOutput(t, "hello, group\n")
			p.waitLine(t, tt.accepted)
		})
	}
}

// TestMulticastRelay: relay bridges a group to a stream and back: what
// is sent to the group arrives at a TCP listener relay dials, and what a
// TCP client sends into a relay that dials the group reaches the group's
// members.
func TestMulticastRelay(t *testing.T) {
	n := testnet.New(t)
	a, b := n.Host("a"), n.Host("b")
	va, vb := n.Link(a, []string{"198.51.100.1/24"}, b, []string{"198.51.100.2/24"}).Names()
	ctx := testnet.Context(t)
	sink := startCmd(t, b.Command(ctx, sockitBin, "listen", "tcp://127.0.0.1:0"))
	relay := b.Command(ctx, sockitBin, "relay", "udp://239.1.2.3:5001?join&iface="+vb, sink.addr.String())
	out, err := relay.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := relay.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { relay.Process.Kill(); relay.Wait() })
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || !strings.HasPrefix(line, "listening on udp://0.0.0.0:5001") {
		t.Fatalf("relay's first line %q, %v", line, err)
	}
	r := sockitCmd(t, a.Command(ctx, sockitBin, "connect", "--linger", "0", "udp://239.1.2.3:5001?iface="+va), "bridged\n")
	if r.code != 0 {
		t.Fatalf("connect to the group: exit %d: %s", r.code, r.stderr)
	}
	sink.waitOutput(t, "bridged\n")

	member := startCmd(t, b.Command(ctx, sockitBin, "listen", "udp://239.1.2.3:5002?join&iface="+vb))
	back := a.Command(ctx, sockitBin, "relay", "tcp://127.0.0.1:0", "udp://239.1.2.3:5002?iface="+va)
	out, err = back.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := back.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { back.Process.Kill(); back.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	stream, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if err != nil || !ok {
		t.Fatalf("relay's first line %q, %v", line, err)
	}
	if r := sockitCmd(t, a.Command(ctx, sockitBin, "connect", stream), "into the group\n"); r.code != 0 {
		t.Fatalf("connect to the relay: exit %d: %s", r.code, r.stderr)
	}
	member.waitOutput(t, "into the group\n")
}
