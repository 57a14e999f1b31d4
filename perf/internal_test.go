package perf

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// datagram is one arrival for udpStats.note: its sequence number and its
// transit time (arrival minus the sender's stamp).
type datagram struct {
	seq     int64
	transit time.Duration
}

// udpWant is udpStats after a datagram.
type udpWant struct {
	highest, lost, outOfOrder, duplicates int64
}

func TestUDPStatsNote(t *testing.T) {
	const ms = time.Millisecond
	base := time.Unix(1_700_000_000, 0)
	for _, tc := range []struct {
		name string
		in   []datagram
		want []udpWant // after each datagram
	}{
		{"in order", []datagram{{1, ms}, {2, ms}, {3, ms}, {4, ms}},
			[]udpWant{{1, 0, 0, 0}, {2, 0, 0, 0}, {3, 0, 0, 0}, {4, 0, 0, 0}}},
		{"gap then the late ones", []datagram{{1, ms}, {2, ms}, {5, ms}, {3, ms}, {4, ms}, {6, ms}},
			[]udpWant{{1, 0, 0, 0}, {2, 0, 0, 0}, {5, 2, 0, 0}, {5, 1, 1, 0}, {5, 0, 2, 0}, {6, 0, 2, 0}}},
		{"swapped pair", []datagram{{1, ms}, {3, ms}, {2, ms}, {4, ms}},
			[]udpWant{{1, 0, 0, 0}, {3, 1, 0, 0}, {3, 0, 1, 0}, {4, 0, 1, 0}}},
		{"lost for good", []datagram{{1, ms}, {4, ms}, {5, ms}},
			[]udpWant{{1, 0, 0, 0}, {4, 2, 0, 0}, {5, 2, 0, 0}}},
		{"first datagrams missing", []datagram{{3, ms}, {4, ms}},
			[]udpWant{{3, 2, 0, 0}, {4, 2, 0, 0}}},
		{"duplicate of the highest", []datagram{{1, ms}, {2, ms}, {2, ms}, {3, ms}},
			[]udpWant{{1, 0, 0, 0}, {2, 0, 0, 0}, {2, 0, 0, 1}, {3, 0, 0, 1}}},
		{"old datagram again, nothing lost", []datagram{{1, ms}, {2, ms}, {3, ms}, {1, ms}},
			[]udpWant{{1, 0, 0, 0}, {2, 0, 0, 0}, {3, 0, 0, 0}, {3, 0, 1, 0}}}, // lost stays at 0
		{"late one after a big gap", []datagram{{1, ms}, {100, ms}, {50, ms}},
			[]udpWant{{1, 0, 0, 0}, {100, 98, 0, 0}, {100, 97, 1, 0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var u udpStats
			for i, d := range tc.in {
				sent := base.Add(time.Duration(i) * ms)
				u.note(d.seq, sent, sent.Add(d.transit))
				got := udpWant{u.highest, u.lost, u.outOfOrder, u.duplicates}
				if got != tc.want[i] {
					t.Fatalf("after seq %d (#%d): {highest lost outOfOrder duplicates} = %v; want %v", d.seq, i, got, tc.want[i])
				}
			}
			if u.jitter != 0 {
				t.Errorf("jitter %v with constant transit; want 0", u.jitter)
			}
		})
	}
}

func TestUDPStatsJitter(t *testing.T) {
	base := time.Unix(1_700_000_000, 0)
	run := func(transits []time.Duration) []float64 {
		var u udpStats
		var l []float64
		for i, tr := range transits {
			sent := base.Add(time.Duration(i) * 10 * time.Millisecond)
			u.note(int64(i+1), sent, sent.Add(tr))
			l = append(l, u.jitter)
		}
		return l
	}
	// Transit alternating 0.5 s and 0.25 s: |D| is 0.25 after the first,
	// and J_n = 0.25 (1 - (15/16)^n), all exact in binary.
	got := run([]time.Duration{500 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond, 250 * time.Millisecond})
	want := []float64{0, 0.015625, 0.0302734375, 0.04400634765625}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("alternating transit: jitter %v; want %v", got, want)
	}
	// A constant transit, even a negative one (the two clocks differ),
	// has no jitter.
	for _, tr := range []time.Duration{0, 3 * time.Millisecond, -2 * time.Second} {
		for i, j := range run([]time.Duration{tr, tr, tr, tr, tr}) {
			if j != 0 {
				t.Errorf("constant transit %v: jitter %v after #%d; want 0", tr, j, i)
			}
		}
	}
	// A single step of 16 ms: J = 1 ms, then decays by 15/16 a datagram.
	got = run([]time.Duration{0, 16 * time.Millisecond, 16 * time.Millisecond, 16 * time.Millisecond})
	want = []float64{0, 0.001, 0.001 * 15 / 16, 0.001 * 15 / 16 * 15 / 16}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-15 {
			t.Errorf("step: jitter #%d = %v; want %v", i, got[i], want[i])
		}
	}
	// Converges toward |D| for a long alternating run.
	var tr []time.Duration
	for i := range 400 {
		tr = append(tr, time.Duration(i%2)*time.Millisecond)
	}
	if j := run(tr)[len(tr)-1]; math.Abs(j-0.001) > 1e-12 {
		t.Errorf("long alternating 0/1 ms transit: jitter %v; want ~0.001", j)
	}
}

// realParams is what iperf 3.12 clients sent (docs/perf-protocol.md §2.1).
var realParams = []string{
	`{"tcp":true,"omit":0,"time":3,"num":0,"blockcount":0,"parallel":1,"len":131072,"pacing_timer":1000,"client_version":"3.12"}`,
	`{"udp":true,"omit":0,"time":3,"num":0,"blockcount":0,"parallel":1,"len":1400,"bandwidth":10000000,"pacing_timer":1000,"client_version":"3.12"}`,
	`{"udp":true,"omit":0,"time":1,"num":0,"blockcount":0,"parallel":2,"len":32768,"bandwidth":1048576,"pacing_timer":1000,"client_version":"3.12"}`,
	`{"tcp":true,"omit":0,"time":3,"num":0,"blockcount":0,"parallel":2,"reverse":true,"len":131072,"pacing_timer":1000,"client_version":"3.12"}`,
	`{"tcp":true,"omit":0,"time":3,"num":0,"blockcount":0,"parallel":1,"bidirectional":true,"len":131072,"pacing_timer":1000,"client_version":"3.12"}`,
	`{"tcp":true,"omit":0,"time":0,"num":10485760,"blockcount":0,"parallel":1,"len":131072,"pacing_timer":1000,"client_version":"3.12"}`,
	`{"tcp":true,"omit":0,"time":0,"num":0,"blockcount":100,"parallel":1,"reverse":true,"len":131072,"pacing_timer":1000,"client_version":"3.12"}`,
	`{"tcp":true,"omit":1,"time":3,"num":0,"blockcount":0,"parallel":1,"len":131072,"pacing_timer":1000,"client_version":"3.12"}`,
	`{"udp":true,"omit":0,"time":3,"num":0,"blockcount":0,"parallel":1,"len":1460,"bandwidth":1048576,"pacing_timer":1000,"udp_counters_64bit":1,"repeating_payload":1,"client_version":"3.12"}`,
	`{"tcp":true,"omit":0,"server_affinity":0,"time":1,"num":0,"blockcount":0,"MSS":1400,"nodelay":true,"parallel":1,"window":262144,"len":131072,"bandwidth":5000000000,"fqrate":100000000,"pacing_timer":2000,"burst":10,"TOS":16,"title":"mytitle","extra_data":"xyz","congestion":"cubic","get_server_output":1,"zerocopy":1,"client_version":"3.12"}`,
}

// realResults is what iperf 3.12 sent in EXCHANGE_RESULTS (§4).
var realResults = []string{
	`{"cpu_util_total":41.97461935187026,"cpu_util_user":0.40088200032826976,"cpu_util_system":41.572572093672086,"sender_has_retransmits":1,"congestion_used":"bbr","streams":[{"id":1,"bytes":3725066240,"retransmits":87,"jitter":0,"errors":0,"packets":0,"start_time":0,"end_time":3.000173}]}`,
	`{"cpu_util_total":31.746161349783826,"cpu_util_user":0.782810365530349,"cpu_util_system":30.963284330895263,"sender_has_retransmits":18446744073709551615,"congestion_used":"bbr","streams":[{"id":1,"bytes":3720871936,"retransmits":18446744073709551615,"jitter":0,"errors":0,"packets":0,"start_time":0,"end_time":3.000411}]}`,
	`{"cpu_util_total":6.7166119159596347,"cpu_util_user":0,"cpu_util_system":6.715713181078768,"sender_has_retransmits":0,"streams":[{"id":1,"bytes":3749200,"retransmits":18446744073709551615,"jitter":0,"errors":0,"packets":2678,"start_time":0,"end_time":3.000176}]}`,
	`{"cpu_util_total":3.4188088304981838,"cpu_util_user":0,"cpu_util_system":3.4180090389771731,"sender_has_retransmits":18446744073709551615,"streams":[{"id":1,"bytes":3749200,"retransmits":18446744073709551615,"jitter":3.1775435324680966e-05,"errors":0,"packets":2678,"start_time":0,"end_time":3.000557}]}`,
}

// frame is doc with iperf3's 4-byte big-endian length in front.
func frame(doc string) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(doc)))
	return append(b, doc...)
}

func TestJSONRoundTrip(t *testing.T) {
	p := params{
		TCP: true, Omit: 2, Time: 5, Num: 1 << 40, BlockCount: 7, MSS: 1400, NoDelay: true,
		Parallel: 4, Reverse: true, Bidir: true, Window: 262144, Len: 131072, Bandwidth: 5_000_000_000,
		FQRate: 100_000_000, PacingTimer: 1000, Burst: 10, TOS: 16, Congestion: "bbr",
		ServerOutput: 1, UDPCounters64: 1, Repeating: 1, ZeroCopy: 1, Version: "sockit 1",
		Sockit: 1, Network: "unix",
	}
	res := results{
		CPUTotal: 41.97461935187026, CPUUser: 0.40088200032826976, CPUSystem: 41.572572093672086,
		SenderRetransmits: -1, Congestion: "cubic", ServerOutputText: "line 1\nline 2",
		Streams: []streamResults{
			{ID: 1, Bytes: 3725066240, Retransmits: 87, Jitter: 3.1775435324680966e-05, Errors: 3, Packets: 2678, EndTime: 3.000173},
			{ID: 3, Bytes: math.MaxUint64, Retransmits: -1, Errors: -1, OmittedErrors: 2, Packets: -1, OmittedPackets: 9, StartTime: 0, EndTime: 1e-6},
		},
	}
	for _, v := range []any{p, res, params{}, results{}} {
		var buf bytes.Buffer
		if err := writeJSON(&buf, v); err != nil {
			t.Fatalf("writeJSON(%+v): %v", v, err)
		}
		raw := buf.Bytes()
		if n := binary.BigEndian.Uint32(raw); int(n) != len(raw)-4 {
			t.Fatalf("length prefix %d for a %d-byte document", n, len(raw)-4)
		}
		if !json.Valid(raw[4:]) {
			t.Fatalf("not JSON: %q", raw[4:])
		}
		got := reflect.New(reflect.TypeOf(v))
		if err := readJSON(&buf, got.Interface()); err != nil {
			t.Fatalf("readJSON: %v", err)
		}
		if !reflect.DeepEqual(got.Elem().Interface(), v) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got.Elem().Interface(), v)
		}
		if buf.Len() != 0 {
			t.Errorf("readJSON left %d bytes", buf.Len())
		}
	}
}

func TestJSONBackToBack(t *testing.T) {
	// Two documents on one stream: each read takes exactly its own.
	var buf bytes.Buffer
	writeJSON(&buf, params{TCP: true, Parallel: 2, Len: 10})
	writeState(&buf, exchangeResults)
	writeJSON(&buf, results{CPUTotal: 1})
	var p params
	var r results
	if err := readJSON(&buf, &p); err != nil || p.Parallel != 2 || p.Len != 10 {
		t.Fatalf("first: %+v, %v", p, err)
	}
	if s, err := readState(&buf); err != nil || s != exchangeResults {
		t.Fatalf("state: %v, %v", s, err)
	}
	if err := readJSON(&buf, &r); err != nil || r.CPUTotal != 1 {
		t.Fatalf("second: %+v, %v", r, err)
	}
}

func TestReadJSONReal(t *testing.T) {
	for _, doc := range realParams {
		var p params
		if err := readJSON(bytes.NewReader(frame(doc)), &p); err != nil {
			t.Errorf("readJSON(%s): %v", doc, err)
		}
	}
	want := []results{
		{CPUTotal: 41.97461935187026, CPUUser: 0.40088200032826976, CPUSystem: 41.572572093672086, SenderRetransmits: 1, Congestion: "bbr",
			Streams: []streamResults{{ID: 1, Bytes: 3725066240, Retransmits: 87, EndTime: 3.000173}}},
		{CPUTotal: 31.746161349783826, CPUUser: 0.782810365530349, CPUSystem: 30.963284330895263, SenderRetransmits: -1, Congestion: "bbr",
			Streams: []streamResults{{ID: 1, Bytes: 3720871936, Retransmits: -1, EndTime: 3.000411}}},
		{CPUTotal: 6.7166119159596347, CPUSystem: 6.715713181078768, SenderRetransmits: 0,
			Streams: []streamResults{{ID: 1, Bytes: 3749200, Retransmits: -1, Packets: 2678, EndTime: 3.000176}}},
		{CPUTotal: 3.4188088304981838, CPUSystem: 3.4180090389771731, SenderRetransmits: -1,
			Streams: []streamResults{{ID: 1, Bytes: 3749200, Retransmits: -1, Jitter: 3.1775435324680966e-05, Packets: 2678, EndTime: 3.000557}}},
	}
	for i, doc := range realResults {
		var r results
		if err := readJSON(bytes.NewReader(frame(doc)), &r); err != nil {
			t.Errorf("readJSON(%s): %v", doc, err)
			continue
		}
		if !reflect.DeepEqual(r, want[i]) {
			t.Errorf("readJSON(%s):\n got %+v\nwant %+v", doc, r, want[i])
		}
	}
}

func TestReadJSONErrors(t *testing.T) {
	huge := binary.BigEndian.AppendUint32(nil, maxJSON+1)
	for _, tc := range []struct {
		name string
		in   []byte
		bad  bool  // errBadJSON
		want error // or this error
	}{
		{"nothing", nil, false, io.EOF},
		{"short length", []byte{0, 0}, false, io.ErrUnexpectedEOF},
		{"length 0", []byte{0, 0, 0, 0}, true, nil},
		{"length 0 and a body", []byte{0, 0, 0, 0, '{', '}'}, true, nil},
		{"length past maxJSON", append(huge, "{}"...), true, nil},
		{"length 2^32-1", []byte{0xff, 0xff, 0xff, 0xff}, true, nil},
		{"no body", []byte{0, 0, 0, 2}, false, io.EOF},
		{"truncated body", append([]byte{0, 0, 0, 10}, `{"tcp"`...), false, io.ErrUnexpectedEOF},
		{"not JSON", frame("hello"), true, nil},
		{"half a document", frame(`{"tcp":true,`), true, nil},
		{"two documents in one frame", frame(`{}{}`), true, nil},
		{"wrong type", frame(`{"parallel":"four"}`), true, nil},
		{"an array", frame(`[1,2]`), true, nil},
	} {
		var p params
		err := readJSON(bytes.NewReader(tc.in), &p)
		switch {
		case err == nil:
			t.Errorf("%s: readJSON = nil, %+v; want an error", tc.name, p)
		case tc.bad && !errors.Is(err, errBadJSON):
			t.Errorf("%s: readJSON = %v; want errBadJSON", tc.name, err)
		case !tc.bad && !errors.Is(err, tc.want):
			t.Errorf("%s: readJSON = %v; want %v", tc.name, err, tc.want)
		}
	}
	// A length at maxJSON itself is allowed, and is read in full.
	doc := `{"len":1}` + strings.Repeat(" ", maxJSON-len(`{"len":1}`))
	var p params
	if err := readJSON(bytes.NewReader(frame(doc)), &p); err != nil || p.Len != 1 {
		t.Errorf("a maxJSON-byte document: %+v, %v", p, err)
	}
}

func TestCountUnmarshal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want count
	}{
		{"18446744073709551615", -1}, // iperf 3.12's -1
		{"9223372036854775808", -1},  // 2^63
		{"1e30", -1},
		{"-1e30", -1},
		{"-1", -1},
		{"5", 5},
		{"0", 0},
		{"2.0", 2},
		{"2.9", 2},
		{"-3", -3},
		{"87", 87},
		{"4294967296", 1 << 32},
		{"9007199254740992", 1 << 53},
	} {
		var c count = 42
		if err := c.UnmarshalJSON([]byte(tc.in)); err != nil || c != tc.want {
			t.Errorf("UnmarshalJSON(%s) = %d, %v; want %d", tc.in, c, err, tc.want)
		}
		var s struct{ C count }
		if err := json.Unmarshal([]byte(`{"C":`+tc.in+`}`), &s); err != nil || s.C != tc.want {
			t.Errorf("json.Unmarshal({C:%s}) = %d, %v; want %d", tc.in, s.C, err, tc.want)
		}
	}
	for _, in := range []string{`"x"`, `"5"`, `true`, `[]`, `{}`, `x`, ``} {
		var c count
		if err := c.UnmarshalJSON([]byte(in)); err == nil {
			t.Errorf("UnmarshalJSON(%s) = %d, nil; want an error", in, c)
		}
	}
	// And it goes out as a plain number, -1 included.
	b, err := json.Marshal(struct{ A, B count }{-1, 7})
	if err != nil || string(b) != `{"A":-1,"B":7}` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
}

func TestBudget(t *testing.T) {
	if b := newBudget(0, 0); b != nil {
		t.Errorf("newBudget(0, 0) = %+v; want nil", b)
	}
	if b := newBudget(-5, -1); b != nil {
		t.Errorf("newBudget(-5, -1) = %+v; want nil", b)
	}
	var none *budget
	for range 1000 {
		if !none.take(1 << 20) {
			t.Fatal("a nil budget refused a block")
		}
	}
	if none.spent() {
		t.Error("a nil budget is spent")
	}

	// Bytes: a block goes while any byte is left, even if it overshoots.
	b := newBudget(100, 0)
	if b == nil || b.perBlock {
		t.Fatalf("newBudget(100, 0) = %+v; want a byte budget", b)
	}
	steps := []struct {
		n     int
		ok    bool
		spent bool
	}{
		{60, true, false}, // 40 left
		{30, true, false}, // 10 left
		{60, true, true},  // -50: the last block went
		{1, false, true},
		{60, false, true},
	}
	for i, s := range steps {
		if ok := b.take(s.n); ok != s.ok {
			t.Errorf("bytes step %d: take(%d) = %v; want %v", i, s.n, ok, s.ok)
		}
		if sp := b.spent(); sp != s.spent {
			t.Errorf("bytes step %d: spent = %v; want %v", i, sp, s.spent)
		}
	}
	b = newBudget(120, 0)
	if !b.take(60) || !b.take(60) || !b.spent() || b.take(60) {
		t.Error("120 bytes in blocks of 60: want two blocks, then spent")
	}

	// Blocks: exactly that many, whatever their size; blocks wins over bytes.
	for _, bytes := range []int64{0, 1, 1 << 30} {
		b := newBudget(bytes, 3)
		if b == nil || !b.perBlock {
			t.Fatalf("newBudget(%d, 3) = %+v; want a block budget", bytes, b)
		}
		for i := range 3 {
			if b.spent() {
				t.Errorf("blocks: spent before block %d", i)
			}
			if !b.take(1 << 20) {
				t.Errorf("blocks: block %d refused", i)
			}
		}
		if !b.spent() {
			t.Error("blocks: not spent after 3")
		}
		if b.take(1) {
			t.Error("blocks: a 4th block went")
		}
	}
}

func TestBudgetConcurrent(t *testing.T) {
	// Streams share a budget: exactly the budgeted blocks go, over all.
	for _, tc := range []struct {
		b    *budget
		want int64
	}{
		{newBudget(0, 1000), 1000},
		{newBudget(1000*100-1, 0), 1000}, // the 1000th block of 100 goes with 99 bytes left
	} {
		var went atomic.Int64
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for tc.b.take(100) {
					went.Add(1)
				}
			})
		}
		wg.Wait()
		if went.Load() != tc.want || !tc.b.spent() {
			t.Errorf("%d blocks went (spent %v); want %d", went.Load(), tc.b.spent(), tc.want)
		}
	}
}

func TestCookie(t *testing.T) {
	var real [cookieLen]byte
	copy(real[:], "cjpuuzoxwjycmfmqx6duu2vkofbv2aspmdyp") // an iperf 3.12 cookie
	if !validCookie(real) {
		t.Errorf("iperf3's cookie %q is not valid", real)
	}
	seen := map[[cookieLen]byte]bool{}
	for range 1000 {
		c := newCookie()
		if c[36] != 0 {
			t.Fatalf("newCookie() = %q: want 36 characters and a NUL", c)
		}
		if !validCookie(c) {
			t.Fatalf("newCookie() = %q is not valid", c)
		}
		if bytes.IndexByte(c[:36], 0) >= 0 {
			t.Fatalf("newCookie() = %q has a NUL inside", c)
		}
		seen[c] = true
	}
	if len(seen) < 1000 {
		t.Errorf("1000 cookies, %d different", len(seen))
	}
	bad := func(name string, f func(c *[cookieLen]byte)) {
		c := real
		f(&c)
		if validCookie(c) {
			t.Errorf("%s: validCookie(%q) = true", name, c)
		}
	}
	bad("no NUL", func(c *[cookieLen]byte) { c[36] = 'a' })
	bad("NUL inside", func(c *[cookieLen]byte) { c[10] = 0 })
	bad("all zero", func(c *[cookieLen]byte) { *c = [cookieLen]byte{} })
	for _, ch := range []byte("AZ0189 _-=+/\n\xff") {
		bad("char "+string(ch), func(c *[cookieLen]byte) { c[5] = ch })
	}
	var c [cookieLen]byte
	copy(c[:], strings.Repeat("a", 36))
	if !validCookie(c) {
		t.Error("36 a's is a valid cookie")
	}
	copy(c[:], strings.Repeat("7", 36))
	if !validCookie(c) {
		t.Error("36 7's is a valid cookie")
	}
}

// carried is params' fields that survive params -> config -> params.
func carried(p params) params {
	return params{TCP: p.TCP, UDP: p.UDP, Omit: p.Omit, Time: p.Time, Num: p.Num, BlockCount: p.BlockCount,
		MSS: p.MSS, NoDelay: p.NoDelay, Parallel: p.Parallel, Reverse: p.Reverse, Bidir: p.Bidir,
		Window: p.Window, Len: p.Len, Bandwidth: p.Bandwidth, Congestion: p.Congestion, UDPCounters64: p.UDPCounters64}
}

func TestParamsConfigRoundTrip(t *testing.T) {
	for _, doc := range realParams {
		var p params
		if err := json.Unmarshal([]byte(doc), &p); err != nil {
			t.Fatal(err)
		}
		c := p.config()
		if err := c.Check(); err != nil {
			t.Errorf("%s: config %+v: Check: %v", doc, c, err)
		}
		back := c.params(p.UDP, "tcp")
		if got, want := carried(back), carried(p); got != want {
			t.Errorf("%s:\n got %+v\nwant %+v", doc, got, want)
		}
		if back.Version != "sockit "+Version || back.Sockit != 1 || back.PacingTimer != 1000 || back.Network != "tcp" {
			t.Errorf("%s: sockit's own keys %+v", doc, back)
		}
		if (p.Num != 0 || p.BlockCount != 0) && c.Duration != 0 {
			t.Errorf("%s: a counted test's Duration = %v; want 0", doc, c.Duration)
		}
	}

	// A count ends the test even if the client sent a time too.
	for _, p := range []params{
		{TCP: true, Time: 3, Num: 10 << 20, Parallel: 1, Len: 131072},
		{TCP: true, Time: 7, BlockCount: 100, Parallel: 1, Len: 131072},
	} {
		c := p.config()
		if c.Duration != 0 || c.Bytes != p.Num || c.Blocks != p.BlockCount {
			t.Errorf("%+v.config() = %+v; want Duration 0 and the count", p, c)
		}
		if back := c.params(false, "tcp"); back.Time != 0 || back.Num != p.Num || back.BlockCount != p.BlockCount {
			t.Errorf("%+v -> %+v", p, back)
		}
	}

	// Config -> params -> config keeps a Config whose fields are all set.
	cfgs := []Config{
		{Streams: 4, Reverse: true, Duration: 5 * time.Second, BlockSize: 1000, Rate: 5_000_000,
			Omit: 2 * time.Second, Window: 262144, MSS: 1400, Congestion: "bbr", NoDelay: true, Counters64: true},
		{Streams: 2, Bidir: true, Bytes: 1 << 30, BlockSize: 8192, Rate: 1},
		{Streams: 1, Blocks: 100, BlockSize: 1460, Unpaced: true},
	}
	for _, c := range cfgs {
		for _, udp := range []bool{false, true} {
			got := c.params(udp, "udp").config()
			if got != c {
				t.Errorf("udp %v:\n got %+v\nwant %+v", udp, got, c)
			}
		}
	}
	// The defaults come back explicit: UDP's 1 Mbit/s, 10 s, one stream.
	got := Config{}.params(true, "udp").config()
	want := Config{Streams: 1, Duration: 10 * time.Second, BlockSize: DefaultDatagramBlock, Rate: defaultDatagramRate}
	if got != want {
		t.Errorf("default UDP:\n got %+v\nwant %+v", got, want)
	}
	got = Config{}.params(false, "tcp").config()
	want = Config{Streams: 1, Duration: 10 * time.Second, BlockSize: DefaultStreamBlock, Unpaced: true}
	if got != want {
		t.Errorf("default TCP:\n got %+v\nwant %+v", got, want)
	}
}
