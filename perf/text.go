package perf

import (
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/sockit/sockit/endpoint"
)

func versionNote(v string) string {
	if v == "" {
		return ""
	}
	return ", client " + v
}

// hostPort is an address as iperf3 prints one: "127.0.0.1 port 5201", or
// a Unix socket's name.
func hostPort(a net.Addr) string {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.IP.String() + " port " + strconv.Itoa(a.Port)
	case *net.UDPAddr:
		return a.IP.String() + " port " + strconv.Itoa(a.Port)
	case *net.UnixAddr:
		if a.Name == "" || a.Name == "@" {
			return "(unnamed)"
		}
		return a.Name
	case nil:
		return "?"
	}
	return a.String()
}

func hostOnly(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	return hostPort(a)
}

// Text writes a test's lines as iperf3 does (its text output, column
// for column): the connections, an interval line per stream and the
// sums, and the summary of what each sender sent and each receiver
// received. A server's Text prefixes each line with its test's number.
// It is not safe for use by several goroutines at once.
type Text struct {
	w         io.Writer
	separated bool // the last line written is the separator
	unit      byte
	cfg       Config
	udp       bool
	tcp       bool // TCP or TLS: retransmits and the congestion window are shown
	server    bool
	prefix    string // "#3 " on a server's lines
}

func tcpNetwork(n string) bool { return strings.HasPrefix(n, "tcp") || strings.HasPrefix(n, "tls") }

// NewText is a Text of a test on network with cfg, written to w; unit
// fixes the rates' unit as -f does (0: adaptive); server says it is the
// server's side; prefix starts every line ("#3 ").
func NewText(w io.Writer, unit byte, cfg Config, network string, server bool, prefix string) *Text {
	return &Text{w: w, unit: unit, cfg: cfg, udp: DatagramNetwork(network), tcp: tcpNetwork(network), server: server, prefix: prefix}
}

// Accepted writes a server's first lines of a test (a TestStarted
// event): the client, its version, the streams and the interval header.
func (p *Text) Accepted(e ServerEvent) {
	p.Linef("Accepted connection from %s (test #%d%s)", hostPort(e.Client), e.Test, versionNote(e.Result.PeerVersion))
	for _, s := range e.Result.Streams {
		p.Linef("[%3d] local %s connected to %s", s.ID, hostPort(s.Local), hostPort(s.Remote))
	}
	p.header(false)
}

// Linef writes one line, with the Text's prefix.
func (p *Text) Linef(format string, args ...any) {
	fmt.Fprintf(p.w, p.prefix+format+"\n", args...)
	p.separated = false
}

// separator writes iperf3's dashed line, once.
func (p *Text) separator() {
	if !p.separated {
		p.Linef("- - - - - - - - - - - - - - - - - - - - - - - - -")
		p.separated = true
	}
}

// ClientEvent writes a client's lines for e: the connections, the
// header, each interval; ep is the server the test runs against.
func (p *Text) ClientEvent(e ClientEvent, ep endpoint.Endpoint) {
	switch e.Kind {
	case Connected:
		if h, port, err := net.SplitHostPort(ep.Address); err == nil && !ep.IsUnix() {
			p.Linef("Connecting to host %s, port %s", h, port)
		} else {
			p.Linef("Connecting to %s", ep)
		}
		if p.cfg.Reverse {
			p.Linef("Reverse mode, remote host %s is sending", hostOnly(e.Remote))
		}
	case StreamConnected:
		p.Linef("[%3d] local %s connected to %s", e.Stream.ID, hostPort(e.Stream.Local), hostPort(e.Stream.Remote))
	case Started:
		p.header(true)
	case IntervalEnded:
		p.Interval(e.Interval)
	}
}

// role is a bidir stream's tag: [TX-C] for what the client sends, [RX-C]
// what it receives ([TX-S], [RX-S] on the server); "" when not bidir.
func (p *Text) role(sender bool) string {
	if !p.cfg.Bidir {
		return ""
	}
	side := "C"
	if p.server {
		side = "S"
	}
	if sender {
		return "[TX-" + side + "]"
	}
	return "[RX-" + side + "]"
}

func (p *Text) header(local bool) {
	id := "[ ID]"
	if p.cfg.Bidir {
		id = "[ ID][Role]"
	}
	// The interval columns are the sender's when this side sends.
	sends := p.cfg.Bidir || (local != p.cfg.Reverse)
	switch {
	case p.udp && sends && !p.cfg.Bidir:
		p.Linef("%s Interval           Transfer     Bitrate         Total Datagrams", id)
	case p.udp:
		p.Linef("%s Interval           Transfer     Bitrate         Jitter    Lost/Total Datagrams", id)
	case sends && p.tcp:
		p.Linef("%s Interval           Transfer     Bitrate         Retr  Cwnd", id)
	default:
		p.Linef("%s Interval           Transfer     Bitrate", id)
	}
}

func (p *Text) span(from, to float64, bytes uint64, seconds float64) string {
	bps := 0.0
	if seconds > 0 {
		bps = float64(bytes) * 8 / seconds
	}
	// Transfers are in adaptive units whatever -f says, as in iperf3.
	return fmt.Sprintf("%6.2f-%-6.2f sec  %s  %s", from, to, FormatBytes(float64(bytes), 0), FormatBits(bps, p.unit))
}

// Interval writes an interval's lines: one per stream, and the sums of
// each direction of several streams.
func (p *Text) Interval(iv Interval) {
	omitted := ""
	if iv.Omitted {
		omitted = "  (omitted)"
	}
	from, to := iv.Start.Seconds(), iv.End.Seconds()
	line := func(tag, role string, st StreamStats) {
		s := p.span(from, to, st.Bytes, st.Seconds)
		switch {
		case p.udp && st.Sender:
			p.Linef("%s%s %s  %d  %s", tag, role, s, st.Packets, omitted)
		case p.udp:
			p.Linef("%s%s %s  %5.3f ms  %d/%d (%.2g%%)  %s", tag, role, s, float64(st.Jitter)/1e6, st.Lost, st.Packets+st.Lost, st.LostPercent(), omitted)
		case st.Sender && p.tcp:
			p.Linef("%s%s %s  %3d   %s       %s", tag, role, s, st.Retransmits, FormatBytes(float64(st.Cwnd), 0), omitted)
		default:
			p.Linef("%s%s %s                  %s", tag, role, s, omitted)
		}
	}
	for _, st := range iv.Streams {
		line(fmt.Sprintf("[%3d]", st.ID), p.role(st.Sender), st)
	}
	if len(iv.Streams) > 1 {
		summed := false
		first := iv.Streams[0].Sender
		for _, sender := range []bool{first, !first} {
			var of []StreamStats
			for _, st := range iv.Streams {
				if st.Sender == sender {
					of = append(of, st)
				}
			}
			if len(of) < 2 {
				continue // a direction of one stream has no sum
			}
			sum := SumStats(of)
			summed = true
			if p.tcp && sender {
				p.Linef("[SUM]%s %s  %3d             %s", p.role(sender), p.span(from, to, sum.Bytes, sum.Seconds), sum.Retransmits, omitted)
			} else {
				line("[SUM]", p.role(sender), sum)
			}
		}
		if summed {
			p.separator()
		}
	}
}

// Summary writes the end of a test: for each stream what its sender sent
// and its receiver received, and the sums.
func (p *Text) Summary(res *Result) {
	server := p.server
	p.separator()
	id := "[ ID]"
	if p.cfg.Bidir {
		id = "[ ID][Role]"
	}
	switch {
	case p.udp:
		p.Linef("%s Interval           Transfer     Bitrate         Jitter    Lost/Total Datagrams", id)
	case p.tcp:
		p.Linef("%s Interval           Transfer     Bitrate         Retr", id)
	default:
		p.Linef("%s Interval           Transfer     Bitrate", id)
	}
	streams := append([]StreamResult(nil), res.Streams...)
	sort.SliceStable(streams, func(i, j int) bool { return streams[i].ID < streams[j].ID })
	pair := func(tag string, reverse bool, sent, recv StreamStats) {
		role := p.role(reverse == server)
		if p.udp {
			total := sent.Packets
			p.Linef("%s%s %s  %5.3f ms  %d/%d (%.2g%%)  sender", tag, role, p.span(0, sent.Seconds, sent.Bytes, sent.Seconds), 0.0, 0, total, 0.0)
			lostPct := 0.0
			if total > 0 {
				lostPct = 100 * float64(recv.Lost) / float64(total)
			}
			p.Linef("%s%s %s  %5.3f ms  %d/%d (%.2g%%)  receiver", tag, role, p.span(0, recv.Seconds, recv.Bytes, recv.Seconds), float64(recv.Jitter)/1e6, recv.Lost, total, lostPct)
			return
		}
		if !p.tcp {
			p.Linef("%s%s %s                  sender", tag, role, p.span(0, sent.Seconds, sent.Bytes, sent.Seconds))
		} else {
			p.Linef("%s%s %s  %3d             sender", tag, role, p.span(0, sent.Seconds, sent.Bytes, sent.Seconds), sent.Retransmits)
		}
		p.Linef("%s%s %s                  receiver", tag, role, p.span(0, recv.Seconds, recv.Bytes, recv.Seconds))
	}
	for _, s := range streams {
		pair(fmt.Sprintf("[%3d]", s.ID), s.Reverse, s.Sent, s.Received)
	}
	for _, reverse := range res.Directions() {
		n := 0
		for _, s := range streams {
			if s.Reverse == reverse {
				n++
			}
		}
		if n > 1 {
			sent, recv := res.Sum(reverse)
			pair("[SUM]", reverse, sent, recv)
		}
	}
	if res.SentBy != "" && res.SentBy != "write" {
		line := "Sent by " + res.SentBy
		if res.ZeroCopySends > 0 {
			line += fmt.Sprintf(": %d of %d sends copied by the kernel after all", res.ZeroCopyCopied, res.ZeroCopySends)
			if res.ZeroCopyCopied == res.ZeroCopySends {
				line += " (it copies what it delivers on this host: loopback)"
			}
		}
		p.Linef("%s", line)
	}
	if !p.udp && res.Congestion != "" {
		p.Linef("TCP congestion control: %s here, %s at the peer", res.Congestion, orUnknown(res.PeerCongestion))
	}
	p.Linef("CPU: %.1f%% here (%.1f%% user, %.1f%% system), %.1f%% at the peer", res.CPU.Total, res.CPU.User, res.CPU.System, res.PeerCPU.Total)
}
