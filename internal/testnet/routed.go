package testnet

import "testing"

// Routed is the routed test network of the ping and trace tests: a client
// and a server two routers apart, with a second path through a third
// router that ViaC switches to.
//
//	client ── A ── B ── server
//	           \   /
//	             C
//
// Every link has an IPv4 address (from the documentation ranges) and an
// IPv6 one (2001:db8::/32) at each end; the constants below name them.
// The routers forward, and send their ICMP errors without a rate limit.
type Routed struct {
	Net                          *Net
	Client, A, B, C, Server      *Host
	ClientA, AB, AC, CB, BServer *Link
}

// The addresses of the routed network. Each router answers a trace with
// the address of the interface its reply leaves by, the one towards the
// client.
const (
	ClientIP   = "192.0.2.2"
	AClientIP  = "192.0.2.1"    // A, on the client's link
	AtoBIP     = "198.51.100.1" // A, on the link to B
	BtoAIP     = "198.51.100.2" // B, on the link to A
	AtoCIP     = "198.51.100.65"
	CtoAIP     = "198.51.100.66"
	CtoBIP     = "198.51.100.129"
	BtoCIP     = "198.51.100.130"
	BServerIP  = "203.0.113.1" // B, on the server's link
	ServerIP   = "203.0.113.2"
	ClientIP6  = "2001:db8:1::2"
	AClientIP6 = "2001:db8:1::1"
	AtoBIP6    = "2001:db8:2::1"
	BtoAIP6    = "2001:db8:2::2"
	AtoCIP6    = "2001:db8:4::1"
	CtoAIP6    = "2001:db8:4::2"
	CtoBIP6    = "2001:db8:5::1"
	BtoCIP6    = "2001:db8:5::2"
	BServerIP6 = "2001:db8:3::1"
	ServerIP6  = "2001:db8:3::2"
)

// NewRouted builds the routed network, with traffic between client and
// server going through A and B. It skips the test where namespaces cannot
// be made (see New).
func NewRouted(t testing.TB) *Routed {
	t.Helper()
	n := New(t)
	r := &Routed{Net: n, Client: n.Host("client"), A: n.Host("a"), B: n.Host("b"), C: n.Host("c"), Server: n.Host("server")}
	r.ClientA = n.Link(r.Client, []string{ClientIP + "/24", ClientIP6 + "/64"}, r.A, []string{AClientIP + "/24", AClientIP6 + "/64"})
	r.AB = n.Link(r.A, []string{AtoBIP + "/26", AtoBIP6 + "/64"}, r.B, []string{BtoAIP + "/26", BtoAIP6 + "/64"})
	r.AC = n.Link(r.A, []string{AtoCIP + "/26", AtoCIP6 + "/64"}, r.C, []string{CtoAIP + "/26", CtoAIP6 + "/64"})
	r.CB = n.Link(r.C, []string{CtoBIP + "/26", CtoBIP6 + "/64"}, r.B, []string{BtoCIP + "/26", BtoCIP6 + "/64"})
	r.BServer = n.Link(r.B, []string{BServerIP + "/24", BServerIP6 + "/64"}, r.Server, []string{ServerIP + "/24", ServerIP6 + "/64"})
	for _, h := range []*Host{r.A, r.B, r.C} {
		h.Forward(t)
	}
	r.Server.NoICMPRateLimit(t) // its port unreachables end UDP traces
	r.ViaB(t)
	return r
}

// ViaB routes traffic between client and server through A and B (the
// shortest path). It adds every route of the network, so it also brings
// back those a link taken down removed, once the link is up.
func (r *Routed) ViaB(t testing.TB) {
	t.Helper()
	r.Client.Route(t, "default", AClientIP)
	r.Client.Route(t, "default", AClientIP6)
	r.Server.Route(t, "default", BServerIP)
	r.Server.Route(t, "default", BServerIP6)
	r.C.Route(t, "203.0.113.0/24", BtoCIP)
	r.C.Route(t, "2001:db8:3::/64", BtoCIP6)
	r.C.Route(t, "192.0.2.0/24", AtoCIP)
	r.C.Route(t, "2001:db8:1::/64", AtoCIP6)
	r.A.Route(t, "203.0.113.0/24", BtoAIP)
	r.A.Route(t, "2001:db8:3::/64", BtoAIP6)
	r.B.Route(t, "192.0.2.0/24", AtoBIP)
	r.B.Route(t, "2001:db8:1::/64", AtoBIP6)
}

// ViaC routes traffic between client and server, both ways, through A, C
// and B.
func (r *Routed) ViaC(t testing.TB) {
	t.Helper()
	r.A.Route(t, "203.0.113.0/24", CtoAIP)
	r.A.Route(t, "2001:db8:3::/64", CtoAIP6)
	r.B.Route(t, "192.0.2.0/24", CtoBIP)
	r.B.Route(t, "2001:db8:1::/64", CtoBIP6)
}
