package perf

import (
	"net"
	"os"
	"strings"
	"time"
)

// Document is a test's report laid out as iperf3's -J output, so that the
// scripts and dashboards written for iperf3 read sockit's: start,
// intervals and end, with iperf3's field names and units (seconds,
// bytes, bits a second, RTT in microseconds, jitter in milliseconds).
// Where iperf3 has no field for what sockit measures (duplicates, the
// network of a Unix test) the field is sockit's own and named so.
type Document struct {
	Start     DocStart      `json:"start"`
	Intervals []DocInterval `json:"intervals"`
	End       DocEnd        `json:"end"`
	Error     string        `json:"error,omitempty"`
}

type DocStart struct {
	Connected    []DocConnected `json:"connected"`
	Version      string         `json:"version"`
	SystemInfo   string         `json:"system_info"`
	Timestamp    DocTimestamp   `json:"timestamp"`
	ConnectingTo *DocHost       `json:"connecting_to,omitempty"`
	Accepted     *DocHost       `json:"accepted_connection,omitempty"`
	Cookie       string         `json:"cookie"`
	TCPMSS       int            `json:"tcp_mss_default,omitempty"`
	TargetRate   uint64         `json:"target_bitrate"`
	SockBufsize  int            `json:"sock_bufsize"`
	SndBuf       int            `json:"sndbuf_actual"`
	RcvBuf       int            `json:"rcvbuf_actual"`
	TestStart    DocTestStart   `json:"test_start"`
	Network      string         `json:"sockit_network,omitempty"`
}

type DocConnected struct {
	Socket     int    `json:"socket"`
	LocalHost  string `json:"local_host"`
	LocalPort  int    `json:"local_port"`
	RemoteHost string `json:"remote_host"`
	RemotePort int    `json:"remote_port"`
}

type DocTimestamp struct {
	Time     string `json:"time"`
	TimeSecs int64  `json:"timesecs"`
}

type DocHost struct {
	Host string `json:"host"`
	Port int    `json:"port"`
}

type DocTestStart struct {
	Protocol   string `json:"protocol"`
	NumStreams int    `json:"num_streams"`
	BlockSize  int    `json:"blksize"`
	Omit       int    `json:"omit"`
	Duration   int    `json:"duration"`
	Bytes      int64  `json:"bytes"`
	Blocks     int64  `json:"blocks"`
	Reverse    int    `json:"reverse"`
	Bidir      int    `json:"bidir,omitempty"`
	TOS        int    `json:"tos"`
	TargetRate uint64 `json:"target_bitrate"`
}

// DocStats is one stream's, or a sum's, figures over an interval or the
// whole test; the fields a protocol or role lacks are left out.
type DocStats struct {
	Socket        int      `json:"socket,omitempty"`
	Start         float64  `json:"start"`
	End           float64  `json:"end"`
	Seconds       float64  `json:"seconds"`
	Bytes         uint64   `json:"bytes"`
	BitsPerSecond float64  `json:"bits_per_second"`
	Retransmits   *int     `json:"retransmits,omitempty"`
	SndCwnd       *int     `json:"snd_cwnd,omitempty"`
	SndWnd        *int     `json:"snd_wnd,omitempty"`
	RTT           *int64   `json:"rtt,omitempty"`
	RTTVar        *int64   `json:"rttvar,omitempty"`
	PMTU          *int     `json:"pmtu,omitempty"`
	MaxSndCwnd    *int     `json:"max_snd_cwnd,omitempty"`
	MaxSndWnd     *int     `json:"max_snd_wnd,omitempty"`
	MaxRTT        *int64   `json:"max_rtt,omitempty"`
	MinRTT        *int64   `json:"min_rtt,omitempty"`
	MeanRTT       *int64   `json:"mean_rtt,omitempty"`
	JitterMS      *float64 `json:"jitter_ms,omitempty"`
	LostPackets   *int64   `json:"lost_packets,omitempty"`
	Packets       *int64   `json:"packets,omitempty"`
	LostPercent   *float64 `json:"lost_percent,omitempty"`
	OutOfOrder    *int64   `json:"out_of_order,omitempty"`
	Duplicates    *int64   `json:"sockit_duplicates,omitempty"`
	Omitted       *bool    `json:"omitted,omitempty"`
	Sender        bool     `json:"sender"`
}

type DocInterval struct {
	Streams         []DocStats `json:"streams"`
	Sum             DocStats   `json:"sum"`
	SumBidirReverse *DocStats  `json:"sum_bidir_reverse,omitempty"`
}

type DocEndStream struct {
	Sender   *DocStats `json:"sender,omitempty"`
	Receiver *DocStats `json:"receiver,omitempty"`
	UDP      *DocStats `json:"udp,omitempty"`
}

type DocEnd struct {
	Streams                 []DocEndStream `json:"streams"`
	Sum                     *DocStats      `json:"sum,omitempty"`
	SumBidirReverse         *DocStats      `json:"sum_bidir_reverse,omitempty"`
	SumSent                 DocStats       `json:"sum_sent"`
	SumReceived             DocStats       `json:"sum_received"`
	SumSentBidirReverse     *DocStats      `json:"sum_sent_bidir_reverse,omitempty"`
	SumReceivedBidirReverse *DocStats      `json:"sum_received_bidir_reverse,omitempty"`
	CPU                     DocCPU         `json:"cpu_utilization_percent"`
	SenderCongestion        string         `json:"sender_tcp_congestion,omitempty"`
	ReceiverCongestion      string         `json:"receiver_tcp_congestion,omitempty"`
}

type DocCPU struct {
	HostTotal    float64 `json:"host_total"`
	HostUser     float64 `json:"host_user"`
	HostSystem   float64 `json:"host_system"`
	RemoteTotal  float64 `json:"remote_total"`
	RemoteUser   float64 `json:"remote_user"`
	RemoteSystem float64 `json:"remote_system"`
}

// Document lays r out as iperf3 -J does; server says r is a server's.
func (r *Result) Document(server bool) Document {
	udp := r.udp()
	proto := "TCP"
	if udp {
		proto = "UDP"
	}
	cfg := r.Config
	d := Document{Start: DocStart{
		Version: "sockit perf " + Version, SystemInfo: systemInfo(),
		Timestamp: DocTimestamp{Time: r.Start.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT"), TimeSecs: r.Start.Unix()},
		Cookie:    r.Cookie, TCPMSS: r.MSS, TargetRate: cfg.rate(udp), SockBufsize: cfg.Window,
		SndBuf: r.SndBuf, RcvBuf: r.RcvBuf,
		TestStart: DocTestStart{Protocol: proto, NumStreams: cfg.streams(), BlockSize: cfg.blockSize(udp),
			Omit: int(cfg.Omit / time.Second), Duration: int(cfg.duration() / time.Second), Bytes: cfg.Bytes, Blocks: cfg.Blocks,
			Reverse: b2i(cfg.Reverse), Bidir: b2i(cfg.Bidir), TargetRate: cfg.rate(udp)},
	}}
	if r.Network != "tcp" && r.Network != "udp" {
		d.Start.Network = r.Network
	}
	// Arrays, never null, even for a test that never ran (as iperf3).
	d.Start.Connected, d.Intervals, d.End.Streams = []DocConnected{}, []DocInterval{}, []DocEndStream{}
	if h := hostOf(r.Remote); h != nil {
		if server {
			d.Start.Accepted = h
		} else {
			d.Start.ConnectingTo = h
		}
	}
	for _, s := range r.Streams {
		c := DocConnected{Socket: s.ID}
		if h := hostOf(s.Local); h != nil {
			c.LocalHost, c.LocalPort = h.Host, h.Port
		}
		if h := hostOf(s.Remote); h != nil {
			c.RemoteHost, c.RemotePort = h.Host, h.Port
		}
		d.Start.Connected = append(d.Start.Connected, c)
	}
	// This side sends on a stream when it is the client and the stream
	// goes forward, or the server and it goes back.
	sends := func(reverse bool) bool { return reverse == server }
	for _, iv := range r.Intervals {
		di := DocInterval{}
		var fwd, back []StreamStats
		for _, st := range iv.Streams {
			ds := intervalStats(st, iv, udp)
			di.Streams = append(di.Streams, ds)
			if st.Sender == sends(false) {
				fwd = append(fwd, st)
			} else {
				back = append(back, st)
			}
		}
		first, second := fwd, back
		if !cfg.Bidir && cfg.Reverse {
			first, second = back, fwd
		}
		di.Sum = intervalStats(SumStats(first), iv, udp)
		di.Sum.Socket = 0
		if cfg.Bidir {
			s := intervalStats(SumStats(second), iv, udp)
			s.Socket = 0
			di.SumBidirReverse = &s
		}
		d.Intervals = append(d.Intervals, di)
	}
	for _, s := range r.Streams {
		local := sends(s.Reverse)
		if udp {
			u := endStats(s.Sent, local)
			u.Socket = s.ID
			setUDP(&u, s.Sent.Packets, s.Received)
			u.OutOfOrder = ptr(s.Received.OutOfOrder)
			d.End.Streams = append(d.End.Streams, DocEndStream{UDP: &u})
			continue
		}
		snd, rcv := endStats(s.Sent, local), endStats(s.Received, local)
		snd.Socket, rcv.Socket = s.ID, s.ID
		snd.Retransmits = ptr(s.Sent.Retransmits)
		snd.MaxSndCwnd, snd.MaxSndWnd = ptr(s.MaxCwnd), ptr(s.MaxSndWnd)
		snd.MaxRTT, snd.MinRTT, snd.MeanRTT = ptr(s.MaxRTT.Microseconds()), ptr(s.MinRTT.Microseconds()), ptr(s.MeanRTT.Microseconds())
		d.End.Streams = append(d.End.Streams, DocEndStream{Sender: &snd, Receiver: &rcv})
	}
	dirs := r.Directions()
	for i, reverse := range dirs {
		sent, recv := r.Sum(reverse)
		ds, dr := endStats(sent, sends(reverse)), endStats(recv, sends(reverse))
		if udp {
			setUDP(&ds, sent.Packets, StreamStats{Packets: sent.Packets})
			setUDP(&dr, sent.Packets, recv)
			ds.Sender, dr.Sender = true, false // iperf3 says so for UDP, whichever side sends
		} else {
			ds.Retransmits = ptr(sent.Retransmits)
		}
		var sum *DocStats
		if udp {
			s := dr
			s.Bytes, s.BitsPerSecond, s.Sender = ds.Bytes, ds.BitsPerSecond, sends(reverse)
			sum = &s
		}
		if i == 0 {
			d.End.SumSent, d.End.SumReceived, d.End.Sum = ds, dr, sum
		} else {
			d.End.SumSentBidirReverse, d.End.SumReceivedBidirReverse, d.End.SumBidirReverse = &ds, &dr, sum
		}
	}
	d.End.CPU = DocCPU{HostTotal: r.CPU.Total, HostUser: r.CPU.User, HostSystem: r.CPU.System,
		RemoteTotal: r.PeerCPU.Total, RemoteUser: r.PeerCPU.User, RemoteSystem: r.PeerCPU.System}
	if !udp {
		d.End.SenderCongestion, d.End.ReceiverCongestion = r.Congestion, r.PeerCongestion
		if server != (cfg.Reverse && !cfg.Bidir) {
			d.End.SenderCongestion, d.End.ReceiverCongestion = r.PeerCongestion, r.Congestion
		}
	}
	return d
}

func (r *Result) udp() bool { return DatagramNetwork(r.Network) }

// DatagramNetwork reports whether a test on network sends datagrams
// (udp, udp4, udp6, unixgram): loss and jitter, not retransmits.
func DatagramNetwork(network string) bool {
	return strings.HasPrefix(network, "udp") || network == "unixgram"
}

func intervalStats(st StreamStats, iv Interval, udp bool) DocStats {
	ds := DocStats{Socket: st.ID, Start: iv.Start.Seconds(), End: iv.End.Seconds(), Seconds: st.Seconds,
		Bytes: st.Bytes, BitsPerSecond: st.BitsPerSecond(), Omitted: ptr(iv.Omitted), Sender: st.Sender}
	switch {
	case udp && st.Sender:
		ds.Packets = ptr(st.Packets)
	case udp:
		setUDP(&ds, st.Packets+st.Lost, st)
	case st.Sender:
		ds.Retransmits = ptr(st.Retransmits)
		if st.Cwnd > 0 || st.RTT > 0 {
			ds.SndCwnd, ds.SndWnd, ds.RTT = ptr(st.Cwnd), ptr(st.SndWnd), ptr(st.RTT.Microseconds())
			ds.RTTVar, ds.PMTU = ptr(st.RTTVar.Microseconds()), ptr(st.PMTU)
		}
	}
	return ds
}

// setUDP fills a receiver's datagram figures; total is the datagrams
// sent (or the highest sequence number seen), lost of them missing.
func setUDP(ds *DocStats, total int64, recv StreamStats) {
	ds.JitterMS = ptr(float64(recv.Jitter) / float64(time.Millisecond))
	ds.LostPackets = ptr(recv.Lost)
	ds.Packets = ptr(total)
	pct := 0.0
	if total > 0 {
		pct = 100 * float64(recv.Lost) / float64(total)
	}
	ds.LostPercent = ptr(pct)
	if recv.Duplicates > 0 {
		ds.Duplicates = ptr(recv.Duplicates)
	}
}

func endStats(st StreamStats, sender bool) DocStats {
	return DocStats{Start: 0, End: st.Seconds, Seconds: st.Seconds, Bytes: st.Bytes, BitsPerSecond: st.BitsPerSecond(), Sender: sender}
}

func hostOf(a net.Addr) *DocHost {
	switch a := a.(type) {
	case *net.TCPAddr:
		return &DocHost{Host: a.IP.String(), Port: a.Port}
	case *net.UDPAddr:
		return &DocHost{Host: a.IP.String(), Port: a.Port}
	case *net.UnixAddr:
		return &DocHost{Host: a.Name}
	}
	return nil
}

// systemInfo is the host's uname line, as iperf3's system_info.
func systemInfo() string {
	read := func(p string) string {
		b, _ := os.ReadFile(p)
		return strings.TrimSpace(string(b))
	}
	host, _ := os.Hostname()
	return strings.Join([]string{read("/proc/sys/kernel/ostype"), host, read("/proc/sys/kernel/osrelease"), read("/proc/sys/kernel/version")}, " ")
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func ptr[T any](v T) *T { return &v }
