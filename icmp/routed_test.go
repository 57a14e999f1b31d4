package icmp

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/sockit/sockit/internal/testnet"
)

// family is one address family of the routed network.
type family struct {
	name                  string
	server                string
	a, aToB, b, bToC, cTo string // who answers at each hop
	absent                string // an address on the server's link that no host has
}

var families = []family{
	{"ipv4", testnet.ServerIP, testnet.AClientIP, testnet.AtoBIP, testnet.BtoAIP, testnet.BtoCIP, testnet.CtoAIP, "203.0.113.9"},
	{"ipv6", testnet.ServerIP6, testnet.AClientIP6, testnet.AtoBIP6, testnet.BtoAIP6, testnet.BtoCIP6, testnet.CtoAIP6, "2001:db8:3::9"},
}

// pingFrom runs a pinger whose socket lives in h's namespace.
func pingFrom(t *testing.T, h *testnet.Host, cfg Config) pingResult {
	t.Helper()
	var p *Pinger
	if err := h.Do(func() (err error) {
		p, err = NewPinger(cfg)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var r pingResult
	p.OnReply = func(rep Reply) { r.replies = append(r.replies, rep) }
	p.OnError = func(e ErrorReply) { r.errors = append(r.errors, e) }
	var err error
	if r.sum, err = p.Run(testnet.Context(t)); err != nil {
		t.Fatal(err)
	}
	return r
}

// traceFrom runs a trace whose socket lives in h's namespace.
func traceFrom(t *testing.T, h *testnet.Host, cfg TraceConfig) []Hop {
	t.Helper()
	var tr *Tracer
	if err := h.Do(func() (err error) {
		tr, err = NewTracer(cfg)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	hops, err := tr.Run(testnet.Context(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	return hops
}

// checkPath checks that each hop's probes were all answered by the
// address in want, the last one the destination.
func checkPath(t *testing.T, hops []Hop, want ...string) {
	t.Helper()
	if len(hops) != len(want) {
		t.Fatalf("%d hops %+v, want %d: %v", len(hops), hops, len(want), want)
	}
	for i, h := range hops {
		for _, p := range h.Probes {
			last := i == len(want)-1
			if !p.Answered || p.From.String() != want[i] || p.Reached != last || (!last && !p.Message.IsTimeExceeded()) {
				t.Errorf("hop %d probe %+v: want an answer from %s (reached %v)", h.TTL, p, want[i], last)
			}
		}
	}
}

// TestRouted pings and traces across client - A - B - server, and through
// C once the route is switched, with every kind of socket and probe.
func TestRouted(t *testing.T) {
	r := testnet.NewRouted(t)
	// Unprivileged ICMP sockets for every group in the client's namespace:
	// the sysctl is the namespace's own.
	r.Client.Sysctl(t, "net.ipv4.ping_group_range", "0 2147483647")
	for _, f := range families {
		dst := netip.MustParseAddr(f.server)
		// First, while B has sent this client no ICMP error yet: an IPv4
		// router's "no route" errors share a per-host budget (five at
		// once, then one a second, whatever net.ipv4.icmp_ratelimit says)
		// with the errors it sent just before.
		t.Run(f.name+"/link-down", func(t *testing.T) {
			r.BServer.Down(t)
			defer func() {
				r.BServer.Up(t)
				r.ViaB(t)
			}()
			for _, kind := range []Kind{Raw, Datagram} {
				res := pingFrom(t, r.Client, Config{Dst: dst, Count: 2, Interval: 10 * time.Millisecond, Kind: kind, Timeout: 5 * time.Second})
				if res.sum.Received != 0 || res.sum.Errors != 2 {
					t.Fatalf("%s: %+v", kind, res.sum)
				}
				for _, e := range res.errors {
					if e.From.String() != f.b || !e.Message.IsUnreachable() {
						t.Errorf("%s: error %+v (%s), want unreachable from %s", kind, e, e.Message.Describe(), f.b)
					}
				}
			}
			hops := traceFrom(t, r.Client, TraceConfig{Dst: dst, UDP: true, Wait: 5 * time.Second})
			if len(hops) != 2 || !hops[1].Stopped() || hops[1].Probes[0].Flag() != "!N" || hops[1].Probes[0].From.String() != f.b {
				t.Errorf("trace with the server's link down: %+v", hops)
			}
		})
		t.Run(f.name+"/host-unreachable", func(t *testing.T) {
			// B, the last router, looks for the absent host on the
			// server's link (ARP, neighbour discovery: three solicitations
			// a second apart) before it answers the third hop's probes
			// "host unreachable". With the default wait that answer counts
			// for the hop it belongs to, and the trace stops there, as
			// traceroute's does.
			hops := traceFrom(t, r.Client, TraceConfig{Dst: netip.MustParseAddr(f.absent)})
			if len(hops) != 3 {
				t.Fatalf("%d hops %+v, want 3: %s, %s, then %s with !H", len(hops), hops, f.a, f.b, f.b)
			}
			for _, p := range hops[2].Probes {
				if !p.Answered || p.From.String() != f.b || p.Flag() != "!H" || p.Reached {
					t.Errorf("hop 3 probe %+v (%s): want !H from %s", p, p.Message.Describe(), f.b)
				}
			}
		})
		for _, kind := range []Kind{Raw, Datagram} {
			t.Run(fmt.Sprintf("%s/%s/ping", f.name, kind), func(t *testing.T) {
				res := pingFrom(t, r.Client, Config{Dst: dst, Count: 3, Interval: 10 * time.Millisecond, Size: 56, Kind: kind, Timeout: 5 * time.Second})
				if res.sum.Received != 3 || len(res.replies) != 3 {
					t.Fatalf("%+v", res.sum)
				}
				for _, rep := range res.replies {
					if rep.TTL != 62 || rep.From != dst { // 64, lowered by B and by A
						t.Errorf("reply %+v: want ttl 62 from %v", rep, dst)
					}
				}
			})
			t.Run(fmt.Sprintf("%s/%s/ttl", f.name, kind), func(t *testing.T) {
				for ttl, router := range map[int]string{1: f.a, 2: f.b} {
					res := pingFrom(t, r.Client, Config{Dst: dst, Count: 2, Interval: 10 * time.Millisecond, TTL: ttl, Kind: kind, Timeout: 5 * time.Second})
					if res.sum.Received != 0 || res.sum.Errors != 2 || len(res.errors) != 2 {
						t.Fatalf("ttl %d: %+v", ttl, res.sum)
					}
					for i, e := range res.errors {
						if e.From.String() != router || !e.Message.IsTimeExceeded() || e.Seq != i+1 {
							t.Errorf("ttl %d: error %+v (%s), want time exceeded from %s", ttl, e, e.Message.Describe(), router)
						}
					}
				}
			})
			t.Run(fmt.Sprintf("%s/%s/trace", f.name, kind), func(t *testing.T) {
				hops := traceFrom(t, r.Client, TraceConfig{Dst: dst, Kind: kind, Wait: 5 * time.Second})
				checkPath(t, hops, f.a, f.b, f.server)
			})
		}
		t.Run(f.name+"/udp/trace", func(t *testing.T) {
			hops := traceFrom(t, r.Client, TraceConfig{Dst: dst, UDP: true, Wait: 5 * time.Second})
			checkPath(t, hops, f.a, f.b, f.server)
		})
		t.Run(f.name+"/via-c", func(t *testing.T) {
			r.ViaC(t)
			defer r.ViaB(t)
			for _, udp := range []bool{false, true} {
				hops := traceFrom(t, r.Client, TraceConfig{Dst: dst, UDP: udp, Wait: 5 * time.Second})
				checkPath(t, hops, f.a, f.cTo, f.bToC, f.server)
			}
			res := pingFrom(t, r.Client, Config{Dst: dst, Count: 1, Timeout: 5 * time.Second})
			if len(res.replies) != 1 || res.replies[0].TTL != 61 {
				t.Errorf("through three routers: %+v", res.replies)
			}
		})
		t.Run(f.name+"/silent", func(t *testing.T) {
			// A server that ignores echo requests: nothing comes back, and
			// the loss is all there is to report.
			key := "net.ipv4.icmp_echo_ignore_all"
			if f.name == "ipv6" {
				key = "net.ipv6.icmp.echo_ignore_all"
			}
			r.Server.Sysctl(t, key, "1")
			defer r.Server.Sysctl(t, key, "0")
			res := pingFrom(t, r.Client, Config{Dst: dst, Count: 3, Interval: 10 * time.Millisecond, Timeout: 300 * time.Millisecond})
			if res.sum.Transmitted != 3 || res.sum.Received != 0 || res.sum.Errors != 0 || res.sum.Loss() != 100 {
				t.Errorf("%+v", res.sum)
			}
		})
	}
}
