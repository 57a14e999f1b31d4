package bench

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// latencyOf makes a Latency from values, and returns the histogram too.
func latencyOf(t *testing.T, values []int64) *Latency {
	t.Helper()
	h := newHistogram()
	for _, v := range values {
		if err := h.RecordValue(v); err != nil {
			t.Fatal(err)
		}
	}
	l, err := summarise(h)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func randomLatencies(seed uint64, n int, scale int64) []int64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]int64, n)
	for i := range out {
		out[i] = 1000 + rng.Int64N(scale)
	}
	return out
}

func sampleResult(t *testing.T, label, host string, seed uint64) *Result {
	values := randomLatencies(seed, 5000, 2e6)
	return &Result{
		Label: label, Target: "tcp://127.0.0.1:7777", Mode: Pingpong,
		Load:  Load{Conns: 10, Size: 64, Seconds: 2, Pipeline: 1, Workers: 2},
		Hosts: []string{host}, Start: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
		Seconds: 2, Messages: 5000, Bytes: 5000 * 64, MsgsPerSec: 2500, MBPerSec: 0.16,
		Latency: latencyOf(t, values),
		Connect: latencyOf(t, []int64{30000, 40000, 50000}),
		Errors:  map[string]int64{},
		Series:  []Sample{{T: 1, Messages: 2600, Bytes: 2600 * 64}, {T: 2, Messages: 2400, Bytes: 2400 * 64}},
	}
}

func TestJSONRoundTrip(t *testing.T) {
	in := sampleResult(t, "evloop", "a", 1)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, in); err != nil {
		t.Fatal(err)
	}
	f, err := ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(f.Runs))
	}
	out := f.Runs[0]
	if out.Messages != in.Messages || out.Label != in.Label || !out.Start.Equal(in.Start) || len(out.Series) != 2 {
		t.Errorf("read back %+v, wrote %+v", out, in)
	}
	hin, _ := in.Latency.Hist()
	hout, err := out.Latency.Hist()
	if err != nil {
		t.Fatal(err)
	}
	if !hin.Equals(hout) {
		t.Error("the histogram changed on the way through JSON")
	}
	if *withoutHist(out.Latency) != *withoutHist(in.Latency) {
		t.Errorf("latency %+v, want %+v", out.Latency, in.Latency)
	}
}

// withoutHist is l with its decoded histogram dropped, for comparison.
func withoutHist(l *Latency) *Latency {
	c := *l
	c.hist = nil
	return &c
}

func TestReadJSONRejects(t *testing.T) {
	tests := map[string]string{
		"not json":      "hello",
		"other schema":  `{"schema":"sockit.bench/v0","runs":[]}`,
		"no schema":     `{"runs":[]}`,
		"bad histogram": `{"schema":"sockit.bench/v1","runs":[{"label":"x","latency":{"histogram":"!!"}}]}`,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := ReadJSON(strings.NewReader(in)); err == nil {
				t.Errorf("ReadJSON(%q): no error", in)
			}
		})
	}
}

// TestMerge merges two machines' runs: counts and rates add, and the
// merged percentiles are those of all the values together, not an
// average of each run's.
func TestMerge(t *testing.T) {
	a := sampleResult(t, "evloop", "host-a", 1)
	b := sampleResult(t, "evloop", "host-b", 2)
	b.Latency = latencyOf(t, randomLatencies(2, 5000, 20e6)) // a slower machine
	b.Series = append(b.Series, Sample{T: 2.5, Messages: 100, Bytes: 6400})
	b.Errors = map[string]int64{ErrTimeout: 1}
	other := sampleResult(t, "threaded", "host-b", 3)

	m, err := Merge(&File{Schema: Schema, Runs: []*Result{a}}, &File{Schema: Schema, Runs: []*Result{b, other}})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Runs) != 2 || m.Runs[0].Label != "evloop" || m.Runs[1].Label != "threaded" {
		t.Fatalf("merged runs %v, want evloop then threaded", labels(m.Runs))
	}
	got := m.Runs[0]
	if got.Messages != 10000 || got.MsgsPerSec != 5000 || got.Load.Conns != 20 || got.Errors[ErrTimeout] != 1 {
		t.Errorf("merged %d messages at %v/s over %d conns, errors %v", got.Messages, got.MsgsPerSec, got.Load.Conns, got.Errors)
	}
	if strings.Join(got.Hosts, ",") != "host-a,host-b" {
		t.Errorf("hosts %v", got.Hosts)
	}
	if len(got.Series) != 3 || got.Series[0].Messages != 5200 || got.Series[2].Messages != 100 {
		t.Errorf("series %+v", got.Series)
	}
	all := latencyOf(t, append(randomLatencies(1, 5000, 2e6), randomLatencies(2, 5000, 20e6)...))
	if got.Latency.Count != 10000 || got.Latency.P50 != all.P50 || got.Latency.P99 != all.P99 || got.Latency.Max != all.Max {
		t.Errorf("merged latency %+v, want that of all values %+v", got.Latency, all)
	}
	// The inputs are untouched.
	if a.Messages != 5000 || a.Latency.Count != 5000 {
		t.Errorf("merge changed its input: %d messages, %d latencies", a.Messages, a.Latency.Count)
	}
	// Through JSON and back, the merge is the same.
	var buf bytes.Buffer
	if err := WriteJSON(&buf, m.Runs...); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if back.Runs[0].Latency.P99 != got.Latency.P99 {
		t.Errorf("p99 %d after JSON, %d before", back.Runs[0].Latency.P99, got.Latency.P99)
	}
}

func TestMergeModes(t *testing.T) {
	a := sampleResult(t, "x", "a", 1)
	b := sampleResult(t, "x", "b", 2)
	b.Mode = Stream
	if _, err := Merge(&File{Runs: []*Result{a}}, &File{Runs: []*Result{b}}); err == nil {
		t.Error("merged a pingpong run with a stream run")
	}
}

func labels(runs []*Result) []string {
	var out []string
	for _, r := range runs {
		out = append(out, r.Label)
	}
	return out
}

// FuzzReadJSON: whatever the input, ReadJSON returns a file or an error,
// and a file it accepts writes back and reads again.
func FuzzReadJSON(f *testing.F) {
	var buf bytes.Buffer
	h := newHistogram()
	for i := range int64(100) {
		h.RecordValue(1000 + i*37)
	}
	l, _ := summarise(h)
	WriteJSON(&buf, &Result{Label: "x", Mode: Pingpong, Messages: 100, Latency: l, Errors: map[string]int64{}})
	f.Add(buf.Bytes())
	f.Add([]byte(`{"schema":"sockit.bench/v1","runs":[]}`))
	f.Add([]byte(`{"schema":"sockit.bench/v1","runs":[{"latency":{"histogram":"HISTFAAAAB"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := ReadJSON(bytes.NewReader(data))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := WriteJSON(&out, file.Runs...); err != nil {
			t.Fatalf("WriteJSON of an accepted file: %v", err)
		}
		if _, err := ReadJSON(&out); err != nil {
			t.Fatalf("a file ReadJSON accepted does not read back: %v", err)
		}
	})
}
