package cli_test

import (
	"testing"

	"github.com/sockit/sockit/internal/testnet"
)

// TestMulticastCLI: listen joins a group in one namespace, connect sends
// to it from another, as the README shows.
func TestMulticastCLI(t *testing.T) {
	n := testnet.New(t)
	a, b := n.Host("a"), n.Host("b")
	va, vb := n.Link(a, []string{"198.51.100.1/24"}, b, []string{"198.51.100.2/24"}).Names()
	ctx := testnet.Context(t)
	p := startCmd(t, b.Command(ctx, sockitBin, "listen", "-v", "udp://239.1.2.3:5000?join&iface="+vb))
	r := sockitCmd(t, a.Command(ctx, sockitBin, "connect", "--linger", "0", "udp://239.1.2.3:5000?iface="+va+"&mttl=1"), "hello, group\n")
	if r.code != 0 {
		t.Fatalf("connect to the group: exit %d: %s", r.code, r.stderr)
	}
	p.waitOutput(t, "hello, group\n")
	p.waitLine(t, `^sockit: #1 accepted udp 0\.0\.0\.0:5000 -> 198\.51\.100\.1:\d+$`)
}
