package perf

import (
	"net"
	"time"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/socket"
)

// Result is a test as one side saw it, with the other side's counts
// joined in once the two have exchanged them.
type Result struct {
	Cookie  string
	Network string // the data streams' network: tcp, udp, unix, unixpacket, tls
	Config  Config
	// Local and Remote are the control connection's addresses.
	Local, Remote net.Addr
	Start         time.Time // when the streams began to send
	Streams       []StreamResult
	Intervals     []Interval // this side's
	// CPU and PeerCPU: the process's CPU use on each side over the test.
	CPU, PeerCPU CPU
	// Congestion and PeerCongestion: the TCP congestion control each
	// side's streams used.
	Congestion, PeerCongestion string
	// PeerVersion is what the client said it is (on a server), or empty.
	PeerVersion string
	// SentBy is how this side's streams were written: "write",
	// "sendfile", "MSG_ZEROCOPY", "UDP GSO", "sendmmsg"; empty if this
	// side did not send. ZeroCopySends counts the MSG_ZEROCOPY sends that
	// completed, ZeroCopyCopied those the kernel copied after all.
	SentBy                        string
	ZeroCopySends, ZeroCopyCopied int64
	// SndBuf and RcvBuf are the first stream's socket buffers as the
	// kernel set them, and MSS its TCP segment size (iperf3's
	// sndbuf_actual, rcvbuf_actual, tcp_mss_default).
	SndBuf, RcvBuf, MSS int
}

// sockets fills r's socket figures from the first stream.
func (r *Result) sockets(streams []*stream) {
	if len(streams) == 0 {
		return
	}
	c := streams[0].conn
	r.SndBuf, _ = getOption(c, socket.SendBuffer)
	r.RcvBuf, _ = getOption(c, socket.RecvBuffer)
	if streams[0].tcp {
		r.MSS, _ = getOption(c, socket.MaxSeg)
	}
}

// StreamResult is one data stream's totals, over the counted part of the
// test, from the side that sent on it and the side that received.
type StreamResult struct {
	ID            int
	Local, Remote net.Addr
	// Reverse: the server sent on this stream (-R, and half of --bidir).
	Reverse        bool
	Sent, Received StreamStats
	// The sender's TCP figures over the intervals, where this side sent:
	// RTT range and mean, and the largest congestion and peer windows.
	MinRTT, MaxRTT, MeanRTT time.Duration
	MaxCwnd, MaxSndWnd      int
}

// Sum adds up the streams going one way: client to server, or with
// reverse the other way. Jitter is the streams' mean, as iperf3 sums it.
func (r *Result) Sum(reverse bool) (sent, received StreamStats) {
	var sl, rl []StreamStats
	for _, s := range r.Streams {
		if s.Reverse == reverse {
			sl, rl = append(sl, s.Sent), append(rl, s.Received)
		}
	}
	sent, received = SumStats(sl), SumStats(rl)
	sent.Sender, received.Sender = true, false
	return sent, received
}

// Directions lists the ways data went: false for client to server, true
// for server to client.
func (r *Result) Directions() []bool {
	switch {
	case r.Config.Bidir:
		return []bool{false, true}
	case r.Config.Reverse:
		return []bool{true}
	}
	return []bool{false}
}

// ownResults is what this side tells the other: its count of each stream.
func ownResults(r *run, totals []StreamStats, cpu CPU, congestion string) results {
	res := results{CPUTotal: cpu.Total, CPUUser: cpu.User, CPUSystem: cpu.System, Congestion: congestion}
	for i, s := range r.streams {
		t := totals[i]
		sr := streamResults{ID: s.id, Bytes: t.Bytes, Retransmits: -1, StartTime: 0, EndTime: t.Seconds}
		if s.sender {
			sr.Packets = count(t.Packets)
			if s.tcp {
				sr.Retransmits = count(t.Retransmits)
			}
		} else if s.udp {
			sr.Packets = count(t.Packets + t.Lost) // iperf3's count: the highest sequence number
			sr.Errors = count(t.Lost)
			sr.Jitter = t.Jitter.Seconds()
		}
		res.Streams = append(res.Streams, sr)
	}
	switch {
	case r.hasTCPSender():
		res.SenderRetransmits = 1
	case !r.hasSender():
		res.SenderRetransmits = -1 // a pure receiver, as iperf3 says it
	}
	return res
}

func (r *run) hasSender() bool { return hasSender(r.streams) }

func (r *run) hasTCPSender() bool {
	for _, s := range r.streams {
		if s.tcp && s.sender {
			return true
		}
	}
	return false
}

// peerStats is a stream as the other side counted it.
func peerStats(sr streamResults, sender, udp bool) StreamStats {
	st := StreamStats{ID: sr.ID, Sender: sender, Seconds: sr.EndTime - sr.StartTime, Bytes: sr.Bytes}
	switch {
	case sender:
		st.Packets = int64(sr.Packets)
		if sr.Retransmits > 0 {
			st.Retransmits = int(sr.Retransmits)
		}
	case udp:
		st.Lost = int64(sr.Errors)
		st.Packets = max(int64(sr.Packets-sr.Errors), 0)
		st.Jitter = time.Duration(sr.Jitter * float64(time.Second))
	}
	return st
}

// join builds the Result of a test from this side's run and the peer's
// results; server says which side this is.
func join(res *Result, r *run, totals []StreamStats, peer results, server bool) {
	byID := map[int]streamResults{}
	for _, sr := range peer.Streams {
		byID[sr.ID] = sr
	}
	res.Start = r.started
	res.Intervals = r.intervals
	res.PeerCPU = CPU{Total: peer.CPUTotal, User: peer.CPUUser, System: peer.CPUSystem}
	res.PeerCongestion = peer.Congestion
	for _, s := range r.streams {
		if s.sender && res.SentBy == "" {
			res.SentBy = s.sentBy
		}
		res.ZeroCopySends += s.zcDone.Load()
		res.ZeroCopyCopied += s.zcCopied.Load()
	}
	res.Streams = nil
	for i, s := range r.streams {
		sr := StreamResult{ID: s.id, Local: s.conn.LocalAddr(), Remote: s.conn.RemoteAddr(), Reverse: s.sender == server}
		other := peerStats(byID[s.id], !s.sender, s.udp)
		if s.sender {
			sr.Sent, sr.Received = totals[i], other
			rt := r.rttOf(i)
			sr.MinRTT, sr.MaxRTT, sr.MaxCwnd, sr.MaxSndWnd = rt.min, rt.max, rt.maxCwnd, rt.maxSndWnd
			if rt.n > 0 {
				sr.MeanRTT = rt.sum / time.Duration(rt.n)
			}
		} else {
			sr.Sent, sr.Received = other, totals[i]
		}
		res.Streams = append(res.Streams, sr)
	}
}

// skeleton is the streams of a test that has not ended: their ids,
// addresses and directions.
func skeleton(streams []*stream, server bool) []StreamResult {
	var l []StreamResult
	for _, s := range streams {
		l = append(l, StreamResult{ID: s.id, Local: s.conn.LocalAddr(), Remote: s.conn.RemoteAddr(), Reverse: s.sender == server})
	}
	return l
}

// dataOptions are the socket options a test's parameters ask of its
// data sockets.
func (c Config) dataOptions(tcp bool) endpoint.Options {
	var o endpoint.Options
	if c.Window > 0 {
		o.RecvBuffer, o.SendBuffer = c.Window, c.Window
	}
	if tcp {
		o.MaxSeg, o.Congestion = c.MSS, c.Congestion
		if c.NoDelay {
			on := true
			o.NoDelay = &on
		}
	}
	return o
}
