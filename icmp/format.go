package icmp

import (
	"fmt"
	"net/netip"
	"strings"
)

// Layers describes p one layer per line, outermost first: the IP header,
// then the ICMP message; for an ICMP error, then the packet it quotes,
// indented: that packet's IP header and its transport.
func (p Packet) Layers() []string {
	lines := []string{p.IP.describe(), p.ICMP.describe()}
	if q := p.ICMP.Quoted; q != nil {
		lines = append(lines, "  "+q.IP.describe())
		if t := q.describeTransport(p.ICMP.V6); t != "" {
			lines = append(lines, "  "+t)
		}
	}
	return lines
}

// protoName names an IP protocol number.
func protoName(n int) string {
	switch n {
	case protoICMP:
		return "ICMP"
	case protoTCP:
		return "TCP"
	case protoUDP:
		return "UDP"
	case protoICMPv6:
		return "ICMPv6"
	}
	return "?"
}

func (h IPHeader) describe() string {
	var b strings.Builder
	if h.Version == 6 {
		b.WriteString("IPv6  version 6, ")
		if h.TTL >= 0 {
			fmt.Fprintf(&b, "hop limit %d, ", h.TTL)
		}
		fmt.Fprintf(&b, "next header %d (%s), %s -> %s", h.Protocol, protoName(h.Protocol), addrText(h.Src), addrText(h.Dst))
		if h.FromSocket {
			b.WriteString(" (the kernel strips the IPv6 header: these fields come from the socket)")
		} else {
			fmt.Fprintf(&b, ", traffic class %#02x, payload %d bytes", h.TOS, h.TotalLen-ipv6HeaderLen)
		}
		return b.String()
	}
	b.WriteString("IPv4  version 4, ")
	if h.FromSocket {
		if h.TTL >= 0 {
			fmt.Fprintf(&b, "ttl %d, ", h.TTL)
		}
		fmt.Fprintf(&b, "protocol %d (%s), %s -> %s (the datagram socket strips the header: these fields come from the socket)",
			h.Protocol, protoName(h.Protocol), addrText(h.Src), addrText(h.Dst))
		return b.String()
	}
	fmt.Fprintf(&b, "header %d bytes, tos %#02x, length %d, id %#04x, ", h.HeaderLen, h.TOS, h.TotalLen, h.ID)
	if f := ipFlags(h.Flags); f != "" {
		fmt.Fprintf(&b, "flags %s, ", f)
	}
	if h.FragOff != 0 {
		fmt.Fprintf(&b, "fragment offset %d, ", h.FragOff*8)
	}
	fmt.Fprintf(&b, "ttl %d, protocol %d (%s), checksum %#04x, %s -> %s", h.TTL, h.Protocol, protoName(h.Protocol), h.Checksum, addrText(h.Src), addrText(h.Dst))
	return b.String()
}

func ipFlags(f int) string {
	var s []string
	if f&2 != 0 {
		s = append(s, "DF")
	}
	if f&1 != 0 {
		s = append(s, "MF")
	}
	return strings.Join(s, "|")
}

func (m Message) describe() string {
	var b strings.Builder
	name := "ICMP  "
	if m.V6 {
		name = "ICMPv6  "
	}
	fmt.Fprintf(&b, "%stype %d (%s), code %d", name, m.Type, m.TypeName(), m.Code)
	switch {
	case m.IsEchoReply() || m.IsEchoRequest():
		fmt.Fprintf(&b, ", checksum %#04x, id %d, seq %d, %d bytes of data", m.Checksum, m.ID, m.Seq, len(m.Data))
		return b.String()
	case m.Quoted != nil || m.IsUnreachable() || m.IsTimeExceeded():
		fmt.Fprintf(&b, " (%s)", m.Describe())
	}
	if m.Len > 0 {
		fmt.Fprintf(&b, ", checksum %#04x, %d bytes", m.Checksum, m.Len)
	}
	if m.Quoted != nil {
		b.WriteString(", quoting the packet that caused it:")
	}
	return b.String()
}

// describeTransport describes the quoted packet's transport header.
func (q *Quoted) describeTransport(v6 bool) string {
	switch {
	case q.Echo:
		name := "ICMP"
		if v6 {
			name = "ICMPv6"
		}
		return fmt.Sprintf("%s  echo request, id %d, seq %d", name, q.ID, q.Seq)
	case q.IP.Protocol == protoUDP || q.IP.Protocol == protoTCP:
		return fmt.Sprintf("%s   port %d -> %d", protoName(q.IP.Protocol), q.SrcPort, q.DstPort)
	}
	return ""
}

func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return "?"
	}
	return a.String()
}
