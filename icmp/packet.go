package icmp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	xicmp "golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// IP protocol numbers.
const (
	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoICMPv6 = 58
)

// Packet is one packet an ICMP socket received, decoded.
type Packet struct {
	IP    IPHeader  `json:"ip"`   // the network layer, as far as the socket shows it
	ICMP  Message   `json:"icmp"` // the ICMP or ICMPv6 message it carries
	Time  time.Time `json:"time"` // when the kernel received it
	Bytes []byte    `json:"-"`    // the packet as the socket received it; valid until the next Receive
}

// IPHeader is the network layer of a packet. A raw IPv4 socket receives
// the whole header; for the others (IPv6, datagram sockets) the kernel
// removes it and FromSocket is set: only Version, TTL, Protocol, Src and
// Dst are known, from the socket's ancillary data.
type IPHeader struct {
	Version    int        `json:"version"`
	FromSocket bool       `json:"from_socket,omitempty"` // the fields come from ancillary data, not a header on the wire
	HeaderLen  int        `json:"header_len,omitempty"`  // bytes; 0 when FromSocket
	TOS        int        `json:"tos"`                   // IPv4 type of service, IPv6 traffic class
	TotalLen   int        `json:"total_len,omitempty"`   // bytes of the packet, header included (IPv4)
	ID         int        `json:"id"`                    // IPv4 identification
	Flags      int        `json:"flags"`                 // IPv4 flags: 2 don't fragment, 1 more fragments
	FragOff    int        `json:"frag_off"`              // IPv4 fragment offset
	TTL        int        `json:"ttl"`                   // IPv4 TTL or IPv6 hop limit; -1 if unknown
	Protocol   int        `json:"protocol"`              // IPv4 protocol or IPv6 next header: 1 ICMP, 6 TCP, 17 UDP, 58 ICMPv6
	Checksum   int        `json:"checksum"`              // IPv4 header checksum
	Src        netip.Addr `json:"src"`
	Dst        netip.Addr `json:"dst"`
}

// Message is an ICMP (IPv4) or ICMPv6 message.
type Message struct {
	V6       bool    `json:"v6"` // ICMPv6
	Type     int     `json:"type"`
	Code     int     `json:"code"`
	Checksum int     `json:"checksum"`
	Len      int     `json:"len"`              // bytes of the message, header included; 0 if unknown
	ID       int     `json:"id"`               // echo request and reply: the identifier
	Seq      int     `json:"seq"`              // echo request and reply: the sequence number
	Data     []byte  `json:"-"`                // echo request and reply: the payload
	MTU      int     `json:"mtu,omitempty"`    // "fragmentation needed" and "packet too big": the next hop's MTU
	Quoted   *Quoted `json:"quoted,omitempty"` // an error's packet
}

// Quoted is the start of the packet an ICMP error is about, which the
// error carries: its IP header, then its transport header.
type Quoted struct {
	IP      IPHeader `json:"ip"`
	SrcPort int      `json:"src_port,omitempty"` // UDP or TCP
	DstPort int      `json:"dst_port,omitempty"`
	Echo    bool     `json:"echo,omitempty"` // the packet was an ICMP echo request: ID, Seq and Data are its
	ID      int      `json:"id,omitempty"`
	Seq     int      `json:"seq,omitempty"`
	Data    []byte   `json:"-"` // the quoted echo's payload, as much as was quoted
}

// ICMP types this package acts on.
const (
	typeEchoReply4     = 0
	typeUnreachable4   = 3
	typeEchoRequest4   = 8
	typeTimeExceeded4  = 11
	typeUnreachable6   = 1
	typePacketTooBig6  = 2
	typeTimeExceeded6  = 3
	typeEchoRequest6   = 128
	typeEchoReply6     = 129
	codePortUnreach4   = 3
	codePortUnreach6   = 4
	codeFragNeeded4    = 4
	echoHeaderLen      = 8
	udpHeaderLen       = 8
	ipv4MinHeaderLen   = 20
	ipv6HeaderLen      = 40
	tcpPortsHeaderSize = 4
)

func (m Message) proto() int {
	if m.V6 {
		return protoICMPv6
	}
	return protoICMP
}

// IsEchoReply reports whether m is an echo reply.
func (m Message) IsEchoReply() bool {
	return (!m.V6 && m.Type == typeEchoReply4) || (m.V6 && m.Type == typeEchoReply6)
}

// IsEchoRequest reports whether m is an echo request.
func (m Message) IsEchoRequest() bool {
	return (!m.V6 && m.Type == typeEchoRequest4) || (m.V6 && m.Type == typeEchoRequest6)
}

// IsTimeExceeded reports whether m says a packet's TTL (hop limit) ran out.
func (m Message) IsTimeExceeded() bool {
	return (!m.V6 && m.Type == typeTimeExceeded4) || (m.V6 && m.Type == typeTimeExceeded6)
}

// IsUnreachable reports whether m is a destination unreachable message.
func (m Message) IsUnreachable() bool {
	return (!m.V6 && m.Type == typeUnreachable4) || (m.V6 && m.Type == typeUnreachable6)
}

// IsPortUnreachable reports whether m says the destination had no socket
// on the port: the end of a UDP trace.
func (m Message) IsPortUnreachable() bool {
	return m.IsUnreachable() && ((!m.V6 && m.Code == codePortUnreach4) || (m.V6 && m.Code == codePortUnreach6))
}

// ParseMessage decodes b, an ICMP message (v6 false) or an ICMPv6 one,
// header first. For an error message it also decodes the packet quoted.
func ParseMessage(v6 bool, b []byte) (Message, error) {
	m := Message{V6: v6, Len: len(b)}
	pm, err := xicmp.ParseMessage(m.proto(), b)
	if err != nil {
		return Message{}, fmt.Errorf("bad %s message (%d bytes): %w", m.protoName(), len(b), err)
	}
	m.Code, m.Checksum = pm.Code, pm.Checksum
	switch t := pm.Type.(type) {
	case ipv4.ICMPType:
		m.Type = int(t)
	case ipv6.ICMPType:
		m.Type = int(t)
	}
	var quoted []byte
	switch body := pm.Body.(type) {
	case *xicmp.Echo:
		m.ID, m.Seq, m.Data = body.ID, body.Seq, body.Data
	case *xicmp.DstUnreach:
		quoted = body.Data
		if !v6 && m.Code == codeFragNeeded4 && len(b) >= 8 {
			m.MTU = int(binary.BigEndian.Uint16(b[6:8]))
		}
	case *xicmp.TimeExceeded:
		quoted = body.Data
	case *xicmp.PacketTooBig:
		m.MTU, quoted = body.MTU, body.Data
	case *xicmp.ParamProb:
		quoted = body.Data
	}
	if quoted != nil {
		if q, err := parseQuoted(v6, quoted); err == nil {
			m.Quoted = &q
		}
	}
	return m, nil
}

func (m Message) protoName() string {
	if m.V6 {
		return "ICMPv6"
	}
	return "ICMP"
}

// errShortQuote is the error for a quoted packet too short to decode.
var errShortQuote = errors.New("quoted packet too short")

// parseQuoted decodes the start of a packet quoted by an ICMP error: an IP
// header, then the first bytes of its transport.
func parseQuoted(v6 bool, b []byte) (Quoted, error) {
	var q Quoted
	var rest []byte
	if v6 {
		h, err := ipv6.ParseHeader(b)
		if err != nil {
			return q, err
		}
		q.IP = IPHeader{Version: 6, HeaderLen: ipv6HeaderLen, TOS: h.TrafficClass, TotalLen: ipv6HeaderLen + h.PayloadLen,
			TTL: h.HopLimit, Protocol: h.NextHeader, Src: addrOf(h.Src), Dst: addrOf(h.Dst)}
		rest = b[ipv6HeaderLen:]
	} else {
		h, err := ipv4.ParseHeader(b)
		if err != nil {
			return q, err
		}
		q.IP = ipv4Header(h)
		rest = b[h.Len:]
	}
	if err := q.parseTransport(v6, rest); err != nil {
		return q, err
	}
	return q, nil
}

// parseTransport decodes the quoted packet's transport header: ports of
// UDP and TCP, identifier and sequence of an echo request.
func (q *Quoted) parseTransport(v6 bool, b []byte) error {
	switch q.IP.Protocol {
	case protoUDP, protoTCP:
		if len(b) < tcpPortsHeaderSize {
			return errShortQuote
		}
		q.SrcPort = int(binary.BigEndian.Uint16(b[0:2]))
		q.DstPort = int(binary.BigEndian.Uint16(b[2:4]))
	case protoICMP, protoICMPv6:
		return q.parseEcho(v6, b)
	}
	return nil
}

// parseEcho decodes b as the echo request an error quotes.
func (q *Quoted) parseEcho(v6 bool, b []byte) error {
	if len(b) < echoHeaderLen {
		return errShortQuote
	}
	m := Message{V6: v6, Type: int(b[0])}
	if !m.IsEchoRequest() {
		return nil
	}
	q.Echo = true
	q.ID = int(binary.BigEndian.Uint16(b[4:6]))
	q.Seq = int(binary.BigEndian.Uint16(b[6:8]))
	q.Data = b[echoHeaderLen:]
	return nil
}

// ipv4Header converts x/net's header.
func ipv4Header(h *ipv4.Header) IPHeader {
	return IPHeader{Version: 4, HeaderLen: h.Len, TOS: h.TOS, TotalLen: h.TotalLen, ID: h.ID, Flags: int(h.Flags),
		FragOff: h.FragOff, TTL: h.TTL, Protocol: h.Protocol, Checksum: h.Checksum, Src: addrOf(h.Src), Dst: addrOf(h.Dst)}
}

// addrOf converts ip, unmapping IPv4-mapped addresses; the zero Addr for
// nil.
func addrOf(ip net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(ip)
	if a.Is4In6() {
		a = a.Unmap()
	}
	return a
}

// parseRawIPv4 decodes what a raw IPv4 ICMP socket receives: an IPv4
// header, then the ICMP message.
func parseRawIPv4(b []byte) (IPHeader, Message, error) {
	h, err := ipv4.ParseHeader(b)
	if err != nil {
		return IPHeader{}, Message{}, fmt.Errorf("bad IPv4 header (%d bytes): %w", len(b), err)
	}
	m, err := ParseMessage(false, b[h.Len:])
	return ipv4Header(h), m, err
}
