package perf_test

import (
	"encoding/json"
	"math"
	"net"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sockit/sockit/perf"
)

// The key paths below are those of iperf 3.12's -J documents (tcp.json,
// udp.json, bidir.json, server-udp.json captured from a real iperf3),
// "[]" standing for any element of an array, each with its JSON kind.

var startKeys = []string{
	"start.connected[].socket number",
	"start.connected[].local_host string",
	"start.connected[].local_port number",
	"start.connected[].remote_host string",
	"start.connected[].remote_port number",
	"start.version string",
	"start.system_info string",
	"start.timestamp.time string",
	"start.timestamp.timesecs number",
	"start.cookie string",
	"start.target_bitrate number",
	"start.sock_bufsize number",
	"start.test_start.protocol string",
	"start.test_start.num_streams number",
	"start.test_start.blksize number",
	"start.test_start.omit number",
	"start.test_start.duration number",
	"start.test_start.bytes number",
	"start.test_start.blocks number",
	"start.test_start.reverse number",
	"start.test_start.tos number",
	"start.test_start.target_bitrate number",
}

var clientKeys = []string{
	"start.connecting_to.host string",
	"start.connecting_to.port number",
}

var cpuKeys = []string{
	"end.cpu_utilization_percent.host_total number",
	"end.cpu_utilization_percent.host_user number",
	"end.cpu_utilization_percent.host_system number",
	"end.cpu_utilization_percent.remote_total number",
	"end.cpu_utilization_percent.remote_user number",
	"end.cpu_utilization_percent.remote_system number",
}

// stats is the keys of a stats object at prefix: iperf3's six common
// ones, then those named.
func stats(prefix string, more ...string) []string {
	l := []string{
		prefix + ".start number", prefix + ".end number", prefix + ".seconds number",
		prefix + ".bytes number", prefix + ".bits_per_second number", prefix + ".sender bool",
	}
	for _, m := range more {
		kind := "number"
		if m == "omitted" {
			kind = "bool"
		}
		l = append(l, prefix+"."+m+" "+kind)
	}
	return l
}

func join(ls ...[]string) []string {
	var l []string
	for _, x := range ls {
		l = append(l, x...)
	}
	return l
}

var tcpKeys = join(startKeys, clientKeys, cpuKeys,
	stats("intervals[].streams[]", "socket", "omitted", "retransmits", "snd_cwnd", "snd_wnd", "rtt"),
	stats("intervals[].sum", "omitted", "retransmits"),
	stats("end.streams[].sender", "socket", "retransmits", "max_snd_cwnd", "max_snd_wnd", "max_rtt", "min_rtt", "mean_rtt"),
	stats("end.streams[].receiver", "socket"),
	stats("end.sum_sent", "retransmits"),
	stats("end.sum_received"),
	[]string{"end.sender_tcp_congestion string", "end.receiver_tcp_congestion string"},
)

var udpKeys = join(startKeys, clientKeys, cpuKeys,
	stats("intervals[].streams[]", "socket", "omitted", "packets"),
	stats("intervals[].sum", "omitted", "packets"),
	stats("end.streams[].udp", "socket", "jitter_ms", "lost_packets", "packets", "lost_percent", "out_of_order"),
	stats("end.sum", "jitter_ms", "lost_packets", "packets", "lost_percent"),
	stats("end.sum_sent", "jitter_ms", "lost_packets", "packets", "lost_percent"),
	stats("end.sum_received", "jitter_ms", "lost_packets", "packets", "lost_percent"),
)

// udpServerKeys: a server receiving datagrams (server-udp.json).
var udpServerKeys = join(startKeys, cpuKeys,
	[]string{"start.accepted_connection.host string", "start.accepted_connection.port number"},
	stats("intervals[].streams[]", "socket", "omitted", "jitter_ms", "lost_packets", "packets", "lost_percent"),
	stats("intervals[].sum", "omitted", "jitter_ms", "lost_packets", "packets", "lost_percent"),
	stats("end.streams[].udp", "socket", "jitter_ms", "lost_packets", "packets", "lost_percent", "out_of_order"),
	stats("end.sum", "jitter_ms", "lost_packets", "packets", "lost_percent"),
	stats("end.sum_sent", "jitter_ms", "lost_packets", "packets", "lost_percent"),
	stats("end.sum_received", "jitter_ms", "lost_packets", "packets", "lost_percent"),
)

var bidirKeys = join(tcpKeys,
	stats("intervals[].sum_bidir_reverse", "omitted"),
	stats("end.sum_sent_bidir_reverse", "retransmits"),
	stats("end.sum_received_bidir_reverse"),
)

// iperfOnly is what iperf 3.12 writes over TCP (UDP: the two buffer
// sizes only) and Document does not (reported,
// not failed): the socket buffer sizes the kernel gave, the default MSS,
// and TCP_INFO's rttvar and path MTU.
var iperfOnly = []string{
	"start.tcp_mss_default number",
	"start.sndbuf_actual number",
	"start.rcvbuf_actual number",
	"intervals[].streams[].rttvar number",
	"intervals[].streams[].pmtu number",
}

// keyPaths flattens a JSON document into its key paths and their kinds.
func keyPaths(t *testing.T, v any) map[string]string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	var walk func(v any, p string)
	walk = func(v any, p string) {
		switch v := v.(type) {
		case map[string]any:
			out[p] = "object"
			for k, x := range v {
				if p == "" {
					walk(x, k)
				} else {
					walk(x, p+"."+k)
				}
			}
		case []any:
			out[p] = "array"
			for _, x := range v {
				walk(x, p+"[]")
			}
		case string:
			out[p] = "string"
		case float64:
			out[p] = "number"
		case bool:
			out[p] = "bool"
		case nil:
			out[p] = "null"
		}
	}
	walk(doc, "")
	return out
}

// value is the value at path in doc marshalled to JSON: dot-separated
// keys and array indexes ("end.streams.0.sender.sender").
func value(t *testing.T, doc perf.Document, path string) any {
	t.Helper()
	b, _ := json.Marshal(doc)
	var v any
	json.Unmarshal(b, &v)
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[k]; !ok {
				t.Fatalf("%s: no key %q", path, k)
			}
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i >= len(x) {
				t.Fatalf("%s: no element %q of %d", path, k, len(x))
			}
			v = x[i]
		default:
			t.Fatalf("%s: %q inside a %T", path, k, v)
		}
	}
	return v
}

func checkKeys(t *testing.T, doc perf.Document, want, iperfOnly []string) {
	t.Helper()
	got := keyPaths(t, doc)
	for _, w := range want {
		path, kind, _ := strings.Cut(w, " ")
		switch g, ok := got[path]; {
		case !ok:
			t.Errorf("no %s (iperf3 has it, a %s)", path, kind)
		case g != kind:
			t.Errorf("%s is a %s; iperf3's is a %s", path, g, kind)
		}
	}
	var missing []string
	for _, w := range iperfOnly {
		if path, _, _ := strings.Cut(w, " "); got[path] == "" {
			missing = append(missing, path)
		}
	}
	known := map[string]bool{}
	for _, w := range append(append([]string{}, want...), iperfOnly...) {
		path, _, _ := strings.Cut(w, " ")
		for p := path; p != ""; {
			known[p] = true
			i := strings.LastIndexAny(p, ".[")
			if i < 0 {
				break
			}
			p = p[:i]
		}
	}
	var extra []string
	for p, kind := range got {
		if !known[p] && p != "" && kind != "object" && kind != "array" {
			extra = append(extra, p)
		}
	}
	sort.Strings(extra)
	t.Logf("iperf3 keys not in Document: %v", missing)
	t.Logf("Document keys iperf3 lacks here: %v", extra)
}

func tcpAddr(s string) *net.TCPAddr {
	a, err := net.ResolveTCPAddr("tcp", s)
	if err != nil {
		panic(err)
	}
	return a
}

func udpAddr(s string) *net.UDPAddr {
	a, err := net.ResolveUDPAddr("udp", s)
	if err != nil {
		panic(err)
	}
	return a
}

// start is tcp.json's timestamp: "Tue, 08 Dec 2026 02:07:52 GMT".
var start = time.Unix(1796695672, 0)

func tcpResult() *perf.Result {
	return &perf.Result{
		Cookie: "cjpuuzoxwjycmfmqx6duu2vkofbv2aspmdyp", Network: "tcp",
		Config: perf.Config{Duration: 3 * time.Second},
		Local:  tcpAddr("127.0.0.1:43948"), Remote: tcpAddr("127.0.0.1:5299"),
		Start: start,
		Streams: []perf.StreamResult{{
			ID: 5, Local: tcpAddr("127.0.0.1:43950"), Remote: tcpAddr("127.0.0.1:5299"),
			Sent:     perf.StreamStats{ID: 5, Sender: true, Seconds: 3.000173, Bytes: 3725066240, Retransmits: 87},
			Received: perf.StreamStats{ID: 5, Seconds: 3.000411, Bytes: 3720871936},
			MinRTT:   61 * time.Microsecond, MaxRTT: 229 * time.Microsecond, MeanRTT: 143 * time.Microsecond,
			MaxCwnd: 1047728, MaxSndWnd: 1777664,
		}},
		Intervals: []perf.Interval{{Start: 0, End: 1000567 * time.Microsecond, Streams: []perf.StreamStats{
			{ID: 5, Sender: true, Seconds: 1.0005669593811035, Bytes: 1213726720, Retransmits: 3, Cwnd: 785796, RTT: 61 * time.Microsecond, SndWnd: 1777664},
		}}},
		CPU:        perf.CPU{Total: 41.97, User: 0.40, System: 41.57},
		PeerCPU:    perf.CPU{Total: 31.74, User: 0.78, System: 30.96},
		Congestion: "bbr", PeerCongestion: "cubic",
	}
}

func udpResult() *perf.Result {
	return &perf.Result{
		Cookie: "cjpuuzoxwjycmfmqx6duu2vkofbv2aspmdyp", Network: "udp",
		Config: perf.Config{Duration: 3 * time.Second},
		Local:  tcpAddr("127.0.0.1:43948"), Remote: tcpAddr("127.0.0.1:5299"),
		Start: start,
		Streams: []perf.StreamResult{{
			ID: 5, Local: udpAddr("127.0.0.1:45072"), Remote: udpAddr("127.0.0.1:5299"),
			Sent:     perf.StreamStats{ID: 5, Sender: true, Seconds: 3.000176, Bytes: 3749200, Packets: 2678},
			Received: perf.StreamStats{ID: 5, Seconds: 3.000557, Bytes: 3735200, Packets: 2668, Lost: 10, OutOfOrder: 2, Jitter: 31775 * time.Nanosecond},
		}},
		Intervals: []perf.Interval{{Start: 0, End: 1000161 * time.Microsecond, Streams: []perf.StreamStats{
			{ID: 5, Sender: true, Seconds: 1.000161051750183, Bytes: 1250200, Packets: 893},
		}}},
	}
}

func bidirResult() *perf.Result {
	r := tcpResult()
	r.Config.Bidir = true
	r.Streams = append(r.Streams, perf.StreamResult{
		ID: 7, Local: tcpAddr("127.0.0.1:43952"), Remote: tcpAddr("127.0.0.1:5299"), Reverse: true,
		Sent:     perf.StreamStats{ID: 7, Sender: true, Seconds: 3.000288, Bytes: 2378956800, Retransmits: 8},
		Received: perf.StreamStats{ID: 7, Seconds: 3.001547, Bytes: 2377908224},
	})
	r.Intervals[0].Streams = append(r.Intervals[0].Streams,
		perf.StreamStats{ID: 7, Seconds: 1.0000669956207275, Bytes: 704643072})
	return r
}

func num(t *testing.T, doc perf.Document, path string) float64 {
	t.Helper()
	f, ok := value(t, doc, path).(float64)
	if !ok {
		t.Fatalf("%s = %v: not a number", path, value(t, doc, path))
	}
	return f
}

func want(t *testing.T, doc perf.Document, path string, w any) {
	t.Helper()
	if got := value(t, doc, path); got != w {
		t.Errorf("%s = %v (%T); want %v", path, got, got, w)
	}
}

func TestDocumentTCP(t *testing.T) {
	doc := tcpResult().Document(false)
	checkKeys(t, doc, tcpKeys, iperfOnly)
	want(t, doc, "start.version", "sockit perf "+perf.Version)
	want(t, doc, "start.cookie", "cjpuuzoxwjycmfmqx6duu2vkofbv2aspmdyp")
	want(t, doc, "start.timestamp.timesecs", 1796695672.0)
	want(t, doc, "start.connecting_to.host", "127.0.0.1")
	want(t, doc, "start.connecting_to.port", 5299.0)
	want(t, doc, "start.connected.0.socket", 5.0)
	want(t, doc, "start.connected.0.local_port", 43950.0)
	want(t, doc, "start.connected.0.remote_port", 5299.0)
	want(t, doc, "start.test_start.protocol", "TCP")
	want(t, doc, "start.test_start.num_streams", 1.0)
	want(t, doc, "start.test_start.blksize", 131072.0)
	want(t, doc, "start.test_start.duration", 3.0)
	want(t, doc, "start.test_start.reverse", 0.0)
	want(t, doc, "start.test_start.target_bitrate", 0.0)
	want(t, doc, "intervals.0.streams.0.rtt", 61.0)
	want(t, doc, "intervals.0.streams.0.snd_cwnd", 785796.0)
	want(t, doc, "intervals.0.streams.0.retransmits", 3.0)
	want(t, doc, "intervals.0.streams.0.omitted", false)
	want(t, doc, "intervals.0.streams.0.sender", true)
	want(t, doc, "intervals.0.sum.sender", true)
	want(t, doc, "intervals.0.sum.retransmits", 3.0)
	if bps := num(t, doc, "intervals.0.streams.0.bits_per_second"); math.Abs(bps-1213726720*8/1.0005669593811035) > 1e-3 {
		t.Errorf("interval bits_per_second %v", bps)
	}
	// In a forward test every end group is the client's sending one.
	want(t, doc, "end.streams.0.sender.sender", true)
	want(t, doc, "end.streams.0.receiver.sender", true)
	want(t, doc, "end.streams.0.sender.retransmits", 87.0)
	want(t, doc, "end.streams.0.sender.max_rtt", 229.0)
	want(t, doc, "end.streams.0.sender.min_rtt", 61.0)
	want(t, doc, "end.streams.0.sender.mean_rtt", 143.0)
	want(t, doc, "end.streams.0.sender.max_snd_cwnd", 1047728.0)
	want(t, doc, "end.streams.0.receiver.bytes", 3720871936.0)
	want(t, doc, "end.streams.0.receiver.end", 3.000411)
	want(t, doc, "end.sum_sent.sender", true)
	want(t, doc, "end.sum_sent.retransmits", 87.0)
	want(t, doc, "end.sum_received.sender", true)
	want(t, doc, "end.sum_received.bytes", 3720871936.0)
	want(t, doc, "end.sender_tcp_congestion", "bbr")
	want(t, doc, "end.receiver_tcp_congestion", "cubic")
	want(t, doc, "end.cpu_utilization_percent.host_total", 41.97)
	want(t, doc, "end.cpu_utilization_percent.remote_system", 30.96)
	paths := keyPaths(t, doc)
	for _, p := range []string{"intervals[].sum.socket", "end.sum_sent.socket", "end.sum", "intervals[].sum_bidir_reverse", "end.sum_sent_bidir_reverse"} {
		if _, ok := paths[p]; ok {
			t.Errorf("%s: iperf3 has none in a one-way TCP test", p)
		}
	}
}

func TestDocumentUDP(t *testing.T) {
	doc := udpResult().Document(false)
	checkKeys(t, doc, udpKeys, iperfOnly[1:3])
	want(t, doc, "start.test_start.protocol", "UDP")
	want(t, doc, "start.test_start.blksize", 1460.0)
	want(t, doc, "start.test_start.target_bitrate", 1e6)
	want(t, doc, "start.target_bitrate", 1e6)
	want(t, doc, "start.connected.0.local_port", 45072.0)
	want(t, doc, "intervals.0.streams.0.packets", 893.0)
	want(t, doc, "intervals.0.sum.packets", 893.0)
	want(t, doc, "intervals.0.sum.sender", true)
	want(t, doc, "end.streams.0.udp.socket", 5.0)
	want(t, doc, "end.streams.0.udp.sender", true)
	want(t, doc, "end.streams.0.udp.packets", 2678.0)
	want(t, doc, "end.streams.0.udp.lost_packets", 10.0)
	want(t, doc, "end.streams.0.udp.out_of_order", 2.0)
	if j := num(t, doc, "end.streams.0.udp.jitter_ms"); math.Abs(j-0.031775) > 1e-12 {
		t.Errorf("jitter_ms %v; want 0.031775", j)
	}
	if p := num(t, doc, "end.streams.0.udp.lost_percent"); math.Abs(p-100*10/2678.0) > 1e-12 {
		t.Errorf("lost_percent %v", p)
	}
	want(t, doc, "end.sum.bytes", 3749200.0)
	want(t, doc, "end.sum.lost_packets", 10.0)
	want(t, doc, "end.sum.sender", true)
	want(t, doc, "end.sum_sent.jitter_ms", 0.0)
	want(t, doc, "end.sum_sent.lost_packets", 0.0)
	want(t, doc, "end.sum_sent.packets", 2678.0)
	want(t, doc, "end.sum_received.bytes", 3735200.0)
	want(t, doc, "end.sum_received.lost_packets", 10.0)
	paths := keyPaths(t, doc)
	for _, p := range []string{"end.streams[].sender", "end.streams[].receiver", "end.sender_tcp_congestion", "intervals[].streams[].retransmits"} {
		if _, ok := paths[p]; ok {
			t.Errorf("%s: iperf3 has none in a UDP test", p)
		}
	}
}

// TestDocumentUDPSenderFlags: DISAGREES WITH IPERF3. In a UDP test iperf
// 3.12 writes end.sum_sent with "sender":true and end.sum_received with
// "sender":false whichever side it is (iperf_api.c writes the literals 1
// and 0; udp.json has sum_received.sender false on a client that sent).
// Document gives sum_received the group's flag, true on a sending client.
func TestDocumentUDPSenderFlags(t *testing.T) {
	doc := udpResult().Document(false)
	want(t, doc, "end.sum_sent.sender", true)
	want(t, doc, "end.sum_received.sender", false)
	r := udpResult()
	r.Config.Reverse = true
	r.Streams[0].Reverse = true
	doc = r.Document(false)
	want(t, doc, "end.sum_sent.sender", true)
	want(t, doc, "end.sum_received.sender", false)
}

func TestDocumentUDPServer(t *testing.T) {
	r := udpResult()
	r.Intervals[0].Streams[0] = perf.StreamStats{ID: 5, Seconds: 1.000133991241455, Bytes: 1250200, Packets: 890, Lost: 3, Jitter: 25924 * time.Nanosecond}
	doc := r.Document(true)
	checkKeys(t, doc, udpServerKeys, iperfOnly[1:3])
	want(t, doc, "start.accepted_connection.host", "127.0.0.1")
	want(t, doc, "intervals.0.streams.0.sender", false)
	want(t, doc, "intervals.0.streams.0.lost_packets", 3.0)
	want(t, doc, "intervals.0.streams.0.packets", 893.0) // iperf3's: the highest sequence number
	want(t, doc, "intervals.0.sum.sender", false)
	want(t, doc, "end.streams.0.udp.sender", false)
	if _, ok := keyPaths(t, doc)["start.connecting_to"]; ok {
		t.Error("a server's document has connecting_to")
	}
}

func TestDocumentBidir(t *testing.T) {
	doc := bidirResult().Document(false)
	checkKeys(t, doc, bidirKeys, iperfOnly)
	want(t, doc, "start.test_start.num_streams", 1.0)
	want(t, doc, "start.connected.1.socket", 7.0)
	want(t, doc, "intervals.0.streams.0.sender", true)
	want(t, doc, "intervals.0.streams.1.sender", false)
	want(t, doc, "intervals.0.sum.sender", true)
	want(t, doc, "intervals.0.sum.bytes", 1213726720.0)
	want(t, doc, "intervals.0.sum_bidir_reverse.sender", false)
	want(t, doc, "intervals.0.sum_bidir_reverse.bytes", 704643072.0)
	// The client's sending streams first; the reverse group's flags false.
	want(t, doc, "end.streams.0.sender.socket", 5.0)
	want(t, doc, "end.streams.0.sender.sender", true)
	want(t, doc, "end.streams.0.receiver.sender", true)
	want(t, doc, "end.streams.1.sender.socket", 7.0)
	want(t, doc, "end.streams.1.sender.sender", false)
	want(t, doc, "end.streams.1.receiver.sender", false)
	want(t, doc, "end.streams.1.sender.retransmits", 8.0)
	want(t, doc, "end.sum_sent.bytes", 3725066240.0)
	want(t, doc, "end.sum_sent.sender", true)
	want(t, doc, "end.sum_received.sender", true)
	want(t, doc, "end.sum_sent_bidir_reverse.bytes", 2378956800.0)
	want(t, doc, "end.sum_sent_bidir_reverse.retransmits", 8.0)
	want(t, doc, "end.sum_sent_bidir_reverse.sender", false)
	want(t, doc, "end.sum_received_bidir_reverse.bytes", 2377908224.0)
	want(t, doc, "end.sum_received_bidir_reverse.sender", false)
	if _, ok := keyPaths(t, doc)["intervals[].sum_bidir_reverse.retransmits"]; ok {
		t.Error("intervals[].sum_bidir_reverse.retransmits: iperf3 has none for the receiving group")
	}
}

// TestDocumentTimestamp: DISAGREES WITH IPERF3. iperf3 writes the start
// time as an RFC 1123 date in GMT ("Tue, 08 Dec 2026 02:07:52 GMT");
// time.RFC1123 on a UTC time writes the zone as "UTC".
func TestDocumentTimestamp(t *testing.T) {
	doc := tcpResult().Document(false)
	want(t, doc, "start.timestamp.time", "Tue, 08 Dec 2026 02:07:52 GMT")
}

// TestDocumentEmpty: DISAGREES WITH IPERF3. A test that never started
// (the document an error goes in) has iperf3's empty arrays,
// "connected":[] and "intervals":[] (docs/perf-protocol.md §5); a nil
// slice marshals as null, which a script iterating over it trips on.
func TestDocumentEmpty(t *testing.T) {
	r := &perf.Result{Network: "tcp"}
	got := keyPaths(t, r.Document(false))
	for _, p := range []string{"start.connected", "intervals", "end.streams"} {
		if got[p] != "array" {
			t.Errorf("%s is a %s; want an array", p, got[p])
		}
	}
}
