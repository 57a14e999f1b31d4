package peer

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
)

// Gate decides which peers a Server serves: a peer must be in Allow, if
// it is not empty, and not in Deny, and no more than Max are served at
// once. The zero Gate lets every peer in. A Gate counts the peers it let
// in, so it must not be copied once used.
type Gate struct {
	// Allow, if not empty, lists the only addresses served.
	Allow []netip.Prefix
	// Deny lists addresses never served.
	Deny []netip.Prefix
	// Max bounds the peers served at once. If zero, no bound.
	Max int

	open atomic.Int64
}

// The reasons Admit refuses a peer.
var (
	ErrNotIP      = errors.New("its address is not an IP address")
	ErrNotAllowed = errors.New("not in the allow list")
	ErrDenied     = errors.New("in the deny list")
	ErrFull       = errors.New("as many peers as allowed are being served already")
)

// Filters reports whether the gate looks at addresses at all.
func (g *Gate) Filters() bool { return len(g.Allow) > 0 || len(g.Deny) > 0 }

// Admit lets the peer at a in, counting it until Leave, or returns why
// not: ErrNotIP, ErrNotAllowed, ErrDenied or ErrFull.
func (g *Gate) Admit(a net.Addr) error {
	if g.Filters() {
		ip := AddrIP(a)
		if !ip.IsValid() {
			return ErrNotIP
		}
		if len(g.Allow) > 0 && !matchAny(g.Allow, ip) {
			return ErrNotAllowed
		}
		if matchAny(g.Deny, ip) {
			return ErrDenied
		}
	}
	if n := g.open.Add(1); g.Max > 0 && n > int64(g.Max) {
		g.open.Add(-1)
		return ErrFull
	}
	return nil
}

// Leave counts a peer Admit let in out again.
func (g *Gate) Leave() { g.open.Add(-1) }

// Open is how many peers are in.
func (g *Gate) Open() int { return int(g.open.Load()) }

// ParsePrefixes parses IP addresses and CIDR prefixes ("192.0.2.7",
// "198.51.100.0/24", "2001:db8::/32") for Allow and Deny. IPv4-mapped
// IPv6 prefixes are unmapped, as peers' addresses are.
func ParsePrefixes(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("%q: not an IP address or CIDR prefix like 192.0.2.0/24", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 { // peers' addresses are compared unmapped
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// AddrIP is the IP address of a TCP or UDP address, unmapped; the zero
// Addr for any other.
func AddrIP(a net.Addr) netip.Addr {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.AddrPort().Addr().Unmap()
	case *net.UDPAddr:
		return a.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

func matchAny(ps []netip.Prefix, ip netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// SplitAddressList splits the text of an address file, as ncat's
// --allowfile and --denyfile take it, into the entries ParsePrefixes
// reads: separated by white space or commas, # to the end of a line a
// comment.
func SplitAddressList(text string) []string {
	var list []string
	for line := range strings.Lines(text) {
		line, _, _ = strings.Cut(line, "#")
		list = append(list, strings.FieldsFunc(line, func(r rune) bool {
			return r == ',' || r == ' ' || r == '\t' || r == '\r' || r == '\n'
		})...)
	}
	return list
}
