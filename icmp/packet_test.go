package icmp

import (
	"encoding/binary"
	"net"
	"net/netip"
	"strings"
	"testing"

	xicmp "golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// ipv4Packet marshals an IPv4 header for payload.
func ipv4Packet(t testing.TB, proto, ttl int, src, dst string, payload []byte) []byte {
	t.Helper()
	h := ipv4.Header{Version: 4, Len: 20, TotalLen: 20 + len(payload), ID: 0x1234, Flags: ipv4.DontFragment,
		TTL: ttl, Protocol: proto, Src: net.ParseIP(src), Dst: net.ParseIP(dst)}
	b, err := h.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return append(b, payload...)
}

// ipv6Packet builds an IPv6 header for payload.
func ipv6Packet(next, hops int, src, dst string, payload []byte) []byte {
	b := make([]byte, 40, 40+len(payload))
	b[0] = 6 << 4
	binary.BigEndian.PutUint16(b[4:6], uint16(len(payload)))
	b[6], b[7] = byte(next), byte(hops)
	copy(b[8:24], net.ParseIP(src).To16())
	copy(b[24:40], net.ParseIP(dst).To16())
	return append(b, payload...)
}

func marshal(t testing.TB, m xicmp.Message) []byte {
	t.Helper()
	b, err := m.Marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func udpHeader(src, dst int) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint16(b[0:2], uint16(src))
	binary.BigEndian.PutUint16(b[2:4], uint16(dst))
	binary.BigEndian.PutUint16(b[4:6], 8)
	return b
}

func TestParseMessage(t *testing.T) {
	echo4 := marshal(t, xicmp.Message{Type: ipv4.ICMPTypeEcho, Body: &xicmp.Echo{ID: 77, Seq: 5, Data: []byte("token123rest")}})
	echo6 := marshal(t, xicmp.Message{Type: ipv6.ICMPTypeEchoRequest, Body: &xicmp.Echo{ID: 78, Seq: 6, Data: []byte("abc")}})
	tests := []struct {
		name  string
		v6    bool
		msg   []byte
		check func(t *testing.T, m Message)
	}{
		{"echo reply", false, marshal(t, xicmp.Message{Type: ipv4.ICMPTypeEchoReply, Body: &xicmp.Echo{ID: 7, Seq: 9, Data: []byte("hi")}}),
			func(t *testing.T, m Message) {
				if !m.IsEchoReply() || m.ID != 7 || m.Seq != 9 || string(m.Data) != "hi" || m.Len != 10 {
					t.Errorf("got %+v", m)
				}
			}},
		{"time exceeded quoting an echo", false,
			marshal(t, xicmp.Message{Type: ipv4.ICMPTypeTimeExceeded, Body: &xicmp.TimeExceeded{Data: ipv4Packet(t, 1, 1, "192.0.2.1", "203.0.113.2", echo4)}}),
			func(t *testing.T, m Message) {
				q := m.Quoted
				if !m.IsTimeExceeded() || q == nil || !q.Echo || q.ID != 77 || q.Seq != 5 || string(q.Data[:8]) != "token123" ||
					q.IP.Dst != netip.MustParseAddr("203.0.113.2") || q.IP.TTL != 1 {
					t.Errorf("got %+v quoted %+v", m, q)
				}
				if m.Describe() != "Time to live exceeded" {
					t.Errorf("Describe = %q", m.Describe())
				}
			}},
		{"port unreachable quoting UDP", false,
			marshal(t, xicmp.Message{Type: ipv4.ICMPTypeDestinationUnreachable, Code: 3, Body: &xicmp.DstUnreach{Data: ipv4Packet(t, 17, 1, "192.0.2.1", "203.0.113.2", udpHeader(40000, 33434))}}),
			func(t *testing.T, m Message) {
				if !m.IsPortUnreachable() || m.Quoted == nil || m.Quoted.SrcPort != 40000 || m.Quoted.DstPort != 33434 || m.Flag() != "" {
					t.Errorf("got %+v quoted %+v flag %q", m, m.Quoted, m.Flag())
				}
			}},
		{"host unreachable", false,
			marshal(t, xicmp.Message{Type: ipv4.ICMPTypeDestinationUnreachable, Code: 1, Body: &xicmp.DstUnreach{Data: ipv4Packet(t, 1, 64, "192.0.2.1", "203.0.113.2", echo4)}}),
			func(t *testing.T, m Message) {
				if m.Describe() != "Destination Host Unreachable" || m.Flag() != "!H" {
					t.Errorf("Describe %q Flag %q", m.Describe(), m.Flag())
				}
			}},
		{"icmpv6 echo reply", true, marshal(t, xicmp.Message{Type: ipv6.ICMPTypeEchoReply, Body: &xicmp.Echo{ID: 1, Seq: 2}}),
			func(t *testing.T, m Message) {
				if !m.IsEchoReply() || m.IsEchoRequest() || m.TypeName() != "echo reply" {
					t.Errorf("got %+v", m)
				}
			}},
		{"icmpv6 time exceeded quoting an echo", true,
			marshal(t, xicmp.Message{Type: ipv6.ICMPTypeTimeExceeded, Body: &xicmp.TimeExceeded{Data: ipv6Packet(58, 1, "2001:db8:1::1", "2001:db8:3::2", echo6)}}),
			func(t *testing.T, m Message) {
				q := m.Quoted
				if !m.IsTimeExceeded() || q == nil || !q.Echo || q.ID != 78 || q.Seq != 6 || q.IP.Dst != netip.MustParseAddr("2001:db8:3::2") {
					t.Errorf("got %+v quoted %+v", m, q)
				}
				if m.Describe() != "Time exceeded: Hop limit" {
					t.Errorf("Describe = %q", m.Describe())
				}
			}},
		{"icmpv6 port unreachable", true,
			marshal(t, xicmp.Message{Type: ipv6.ICMPTypeDestinationUnreachable, Code: 4, Body: &xicmp.DstUnreach{Data: ipv6Packet(17, 1, "2001:db8:1::1", "2001:db8:3::2", udpHeader(1, 33435))}}),
			func(t *testing.T, m Message) {
				if !m.IsPortUnreachable() || m.Quoted == nil || m.Quoted.DstPort != 33435 {
					t.Errorf("got %+v quoted %+v", m, m.Quoted)
				}
			}},
		{"icmpv6 packet too big", true,
			marshal(t, xicmp.Message{Type: ipv6.ICMPTypePacketTooBig, Body: &xicmp.PacketTooBig{MTU: 1280, Data: ipv6Packet(17, 1, "2001:db8:1::1", "2001:db8:3::2", udpHeader(1, 2))}}),
			func(t *testing.T, m Message) {
				if m.MTU != 1280 || m.Describe() != "Packet too big: mtu=1280" {
					t.Errorf("got %+v: %q", m, m.Describe())
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMessage(tt.v6, tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, m)
		})
	}
}

func TestParseMessageErrors(t *testing.T) {
	for _, b := range [][]byte{nil, {8}, {8, 0, 0}} {
		if _, err := ParseMessage(false, b); err == nil || !strings.Contains(err.Error(), "bad ICMP message") {
			t.Errorf("ParseMessage(%v) error = %v, want a bad ICMP message", b, err)
		}
	}
	// A quote too short to decode leaves Quoted nil, not an error.
	m, err := ParseMessage(false, marshal(t, xicmp.Message{Type: ipv4.ICMPTypeTimeExceeded, Body: &xicmp.TimeExceeded{Data: []byte{0x45, 0, 0}}}))
	if err != nil || m.Quoted != nil {
		t.Errorf("short quote: %+v, %v", m, err)
	}
}

func TestLayers(t *testing.T) {
	echo := marshal(t, xicmp.Message{Type: ipv4.ICMPTypeEcho, Body: &xicmp.Echo{ID: 4321, Seq: 3, Data: make([]byte, 56)}})
	raw := ipv4Packet(t, 1, 1, "192.0.2.1", "203.0.113.2", echo)
	te := marshal(t, xicmp.Message{Type: ipv4.ICMPTypeTimeExceeded, Body: &xicmp.TimeExceeded{Data: raw}})
	h, m, err := parseRawIPv4(ipv4Packet(t, 1, 63, "198.51.100.1", "192.0.2.1", te))
	if err != nil {
		t.Fatal(err)
	}
	got := Packet{IP: h, ICMP: m}.Layers()
	want := []string{
		"IPv4  version 4, header 20 bytes, tos 0x00, length 112, id 0x1234, flags DF, ttl 63, protocol 1 (ICMP), checksum 0x0000, 198.51.100.1 -> 192.0.2.1",
		"ICMP  type 11 (time exceeded), code 0 (Time to live exceeded), checksum " + hex4(m.Checksum) + ", 92 bytes, quoting the packet that caused it:",
		"  IPv4  version 4, header 20 bytes, tos 0x00, length 84, id 0x1234, flags DF, ttl 1, protocol 1 (ICMP), checksum 0x0000, 192.0.2.1 -> 203.0.113.2",
		"  ICMP  echo request, id 4321, seq 3",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Layers:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func hex4(n int) string {
	const digits = "0123456789abcdef"
	return "0x" + string([]byte{digits[n>>12&15], digits[n>>8&15], digits[n>>4&15], digits[n&15]})
}

// FuzzParseMessage checks that decoding never panics on what a raw socket
// may receive, and that what decodes describes itself.
func FuzzParseMessage(f *testing.F) {
	echo := marshal(f, xicmp.Message{Type: ipv4.ICMPTypeEcho, Body: &xicmp.Echo{ID: 1, Seq: 2, Data: []byte("x")}})
	f.Add(false, ipv4Packet(f, 1, 64, "192.0.2.1", "192.0.2.2", echo))
	f.Add(false, ipv4Packet(f, 1, 64, "192.0.2.1", "192.0.2.2",
		marshal(f, xicmp.Message{Type: ipv4.ICMPTypeTimeExceeded, Body: &xicmp.TimeExceeded{Data: ipv4Packet(f, 17, 1, "192.0.2.1", "203.0.113.2", udpHeader(1, 2))}})))
	f.Add(true, marshal(f, xicmp.Message{Type: ipv6.ICMPTypeDestinationUnreachable, Code: 4, Body: &xicmp.DstUnreach{Data: ipv6Packet(58, 1, "2001:db8::1", "2001:db8::2", echo)}}))
	f.Add(true, []byte{129, 0, 0, 0, 0, 1, 0, 2})
	f.Fuzz(func(t *testing.T, v6 bool, b []byte) {
		var p Packet
		var err error
		if v6 {
			p.IP = IPHeader{Version: 6, FromSocket: true, TTL: -1, Protocol: protoICMPv6}
			p.ICMP, err = ParseMessage(true, b)
		} else {
			p.IP, p.ICMP, err = parseRawIPv4(b)
		}
		if err != nil {
			return
		}
		for _, l := range p.Layers() {
			if l == "" || strings.Contains(l, "\n") {
				t.Fatalf("layer line %q", l)
			}
		}
		_ = p.ICMP.Describe()
		_ = p.ICMP.Flag()
	})
}
