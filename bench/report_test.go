package bench

import (
	"bytes"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// testRun makes a ping-pong run whose latency has n values around
// median nanoseconds with a long tail, and a ten-second series around
// rate messages per second.
func testRun(t testing.TB, label string, median int64, n int, rate float64) *Result {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(median), uint64(n)))
	h := newHistogram()
	for range n {
		v := median/2 + rng.Int64N(median)
		if rng.IntN(100) == 0 {
			v *= 1 + rng.Int64N(20) // the tail
		}
		if err := h.RecordValue(v); err != nil {
			t.Fatal(err)
		}
	}
	lat, err := summarise(h)
	if err != nil {
		t.Fatal(err)
	}
	r := &Result{
		Label:      label,
		Target:     "tcp://127.0.0.1:7007",
		Mode:       Pingpong,
		Load:       Load{Conns: 100, Size: 64, Pipeline: 1, Workers: 4},
		Hosts:      []string{"bench-1"},
		Start:      time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC),
		Seconds:    10,
		MsgsPerSec: rate,
		MBPerSec:   rate * 64 / 1e6,
		Latency:    lat,
		Errors:     map[string]int64{},
	}
	for i := range 10 {
		msgs := int64(rate * (0.9 + 0.2*rng.Float64()))
		r.Series = append(r.Series, Sample{T: float64(i + 1), Messages: msgs, Bytes: msgs * 64})
		r.Messages += msgs
		r.Bytes += msgs * 64
	}
	return r
}

// failedRun is a run whose server corrupted an echo.
func failedRun(t *testing.T) *Result {
	t.Helper()
	r := testRun(t, "broken", 40_000, 500, 1000)
	r.Errors[ErrMismatch] = 1
	r.Failure = "conn 3: byte 17 came back 0x41, sent 0x42"
	return r
}

// connectRun is a connect-mode run: no message latency.
func connectRun(t *testing.T) *Result {
	t.Helper()
	r := testRun(t, "connector", 60_000, 2000, 5000)
	r.Mode = Connect
	r.Connect, r.Latency = r.Latency, nil
	return r
}

// viaJSON sends runs through WriteJSON and ReadJSON, so their histograms
// are decoded ones.
func viaJSON(t *testing.T, runs ...*Result) []*Result {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteJSON(&buf, runs...); err != nil {
		t.Fatal(err)
	}
	f, err := ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return f.Runs
}

// chartElement is the element with id in page, up to its end tag.
func chartElement(t *testing.T, page, id string) string {
	t.Helper()
	start := strings.Index(page, `id="`+id+`"`)
	if start < 0 {
		t.Fatalf("no element with id %q", id)
	}
	start = strings.LastIndex(page[:start], "<")
	tag := page[start+1:]
	tag = tag[:strings.IndexAny(tag, " >")]
	end := strings.Index(page[start:], "</"+tag+">")
	if end < 0 {
		t.Fatalf("element %q (<%s>) has no end tag", id, tag)
	}
	return page[start : start+end]
}

var (
	xmlnsAttr   = regexp.MustCompile(`xmlns(:\w+)?="[^"]*"`)
	externalRef = regexp.MustCompile(`(?i)(src|href)\s*=|url\(\s*['"]?\s*(https?:)?//|@import`)
)

func TestReportHTML(t *testing.T) {
	tests := []struct {
		name string
		runs func(t *testing.T) []*Result
		// want is text the page must have and notWant text it must not;
		// inLatency and inThroughput must appear in those charts, and
		// notInLatency must not.
		want, notWant, inLatency, notInLatency, inThroughput []string
		// latencyEmpty says the latency chart is a note, not an SVG.
		latencyEmpty bool
	}{{
		name: "two engines",
		runs: func(t *testing.T) []*Result {
			return []*Result{testRun(t, "threaded", 40_000, 5000, 50_000), testRun(t, "evloop", 25_000, 8000, 80_000)}
		},
		want:         []string{"threaded", "evloop", "pingpong", "64 B", "50,", "80,"},
		inLatency:    []string{"threaded", "evloop", "99.9%", "percentile", "latency ("},
		inThroughput: []string{"threaded", "evloop", "messages per second", "time (s)"},
	}, {
		name: "from JSON",
		runs: func(t *testing.T) []*Result {
			return viaJSON(t, testRun(t, "threaded", 40_000, 5000, 50_000), testRun(t, "evloop", 25_000, 8000, 80_000))
		},
		inLatency:    []string{"threaded", "evloop"},
		inThroughput: []string{"threaded", "evloop"},
	}, {
		name: "failed run",
		runs: func(t *testing.T) []*Result {
			return []*Result{testRun(t, "evloop", 25_000, 8000, 80_000), failedRun(t)}
		},
		want:         []string{"FAILED: conn 3: byte 17 came back 0x41, sent 0x42", "1 mismatch"},
		inLatency:    []string{"evloop", "broken (FAILED)"},
		inThroughput: []string{"evloop", "broken (FAILED)"},
	}, {
		name: "markup in a label and a failure is text",
		runs: func(t *testing.T) []*Result {
			r := failedRun(t)
			r.Label = `<script>alert("a & b")</script>`
			r.Target = `<b>'host'</b>:7`
			r.Failure = "<i>peer</i> closed"
			return []*Result{r}
		},
		want: []string{"&lt;script&gt;alert(&#34;a &amp; b&#34;)&lt;/script&gt;", "&lt;b&gt;&#39;host&#39;&lt;/b&gt;:7",
			"FAILED: &lt;i&gt;peer&lt;/i&gt; closed"},
		notWant:      []string{"<script>", "<b>", "<i>"},
		inLatency:    []string{"&lt;script&gt;"},
		inThroughput: []string{"&lt;script&gt;"},
	}, {
		name: "connect run left out of latency",
		runs: func(t *testing.T) []*Result {
			return []*Result{testRun(t, "evloop", 25_000, 8000, 80_000), connectRun(t)}
		},
		want:         []string{"connector", "connect"},
		inLatency:    []string{"evloop"},
		notInLatency: []string{"connector"},
		inThroughput: []string{"evloop", "connector"},
	}, {
		name: "no latency at all",
		runs: func(t *testing.T) []*Result {
			return []*Result{connectRun(t)}
		},
		inThroughput: []string{"connector"},
		latencyEmpty: true,
	}, {
		name: "same label twice",
		runs: func(t *testing.T) []*Result {
			a, b := testRun(t, "evloop", 25_000, 8000, 80_000), testRun(t, "evloop", 30_000, 8000, 90_000)
			b.Load.Conns = 1000
			return []*Result{a, b}
		},
		inLatency: []string{"evloop (pingpong, 100 conns, 64 B)", "evloop (pingpong, 1000 conns, 64 B)"},
	}, {
		name: "one message, nothing per second",
		runs: func(t *testing.T) []*Result {
			r := testRun(t, "tiny", 1000, 1, 0)
			r.Series = []Sample{{T: 0.5}, {T: 0.5}} // an empty interval, then none at all
			return []*Result{r}
		},
		inLatency:    []string{"tiny"},
		inThroughput: []string{"tiny"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := WriteHTML(&buf, tt.runs(t)); err != nil {
				t.Fatalf("WriteHTML: %v", err)
			}
			page := buf.String()
			if !strings.HasPrefix(page, "<!DOCTYPE html>") {
				t.Errorf("page starts %.40q, want <!DOCTYPE html>", page)
			}
			for _, s := range tt.want {
				if !strings.Contains(page, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			for _, s := range tt.notWant {
				if strings.Contains(page, s) {
					t.Errorf("page has %q", s)
				}
			}
			// The page must fetch nothing: the only URLs in it name XML
			// namespaces.
			rest := xmlnsAttr.ReplaceAllString(page, "")
			if m := externalRef.FindString(rest); m != "" {
				t.Errorf("page refers to something outside it: %q", m)
			}
			for _, scheme := range []string{"http://", "https://"} {
				if i := strings.Index(rest, scheme); i >= 0 {
					t.Errorf("page has a URL outside an xmlns attribute: %q", rest[max(0, i-40):min(len(rest), i+40)])
				}
			}

			lat := chartElement(t, page, "latency-chart")
			if got := strings.HasPrefix(lat, "<svg"); got == tt.latencyEmpty {
				t.Errorf("latency chart is an SVG: %v, want %v", got, !tt.latencyEmpty)
			}
			for _, s := range tt.inLatency {
				if !strings.Contains(lat, s) {
					t.Errorf("latency chart lacks %q", s)
				}
			}
			for _, s := range tt.notInLatency {
				if strings.Contains(lat, s) {
					t.Errorf("latency chart has %q", s)
				}
			}
			tput := chartElement(t, page, "throughput-chart")
			if !strings.HasPrefix(tput, "<svg") {
				t.Errorf("throughput chart is not an SVG: %.60q", tput)
			}
			for _, s := range tt.inThroughput {
				if !strings.Contains(tput, s) {
					t.Errorf("throughput chart lacks %q", s)
				}
			}
		})
	}
}

func TestReportPNG(t *testing.T) {
	tests := []struct {
		name string
		runs func(t *testing.T) []*Result
		want []string // the files written
	}{{
		name: "two engines",
		runs: func(t *testing.T) []*Result {
			return []*Result{testRun(t, "threaded", 40_000, 5000, 50_000), testRun(t, "evloop", 25_000, 8000, 80_000)}
		},
		want: []string{"latency.png", "throughput.png"},
	}, {
		name: "no latency",
		runs: func(t *testing.T) []*Result { return []*Result{connectRun(t)} },
		want: []string{"throughput.png"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "charts") // WritePNG makes it
			paths, err := WritePNG(dir, tt.runs(t))
			if err != nil {
				t.Fatalf("WritePNG: %v", err)
			}
			var got []string
			for _, p := range paths {
				got = append(got, filepath.Base(p))
				if filepath.Dir(p) != dir {
					t.Errorf("wrote %s, outside %s", p, dir)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("wrote %q, want %q", got, tt.want)
			}
			for _, p := range paths {
				f, err := os.Open(p)
				if err != nil {
					t.Fatal(err)
				}
				img, err := png.Decode(f)
				f.Close()
				if err != nil {
					t.Fatalf("%s: %v", p, err)
				}
				if b := img.Bounds(); b.Dx() != 1152 || b.Dy() != 648 {
					t.Errorf("%s is %dx%d, want 1152x648", p, b.Dx(), b.Dy())
				}
			}
		})
	}
}

func TestReportNoRuns(t *testing.T) {
	if err := WriteHTML(&bytes.Buffer{}, nil); err == nil {
		t.Error("WriteHTML of no runs succeeded")
	}
	dir := filepath.Join(t.TempDir(), "charts")
	if _, err := WritePNG(dir, nil); err == nil {
		t.Error("WritePNG of no runs succeeded")
	}
}

func TestReportPercentileLabels(t *testing.T) {
	ticks := percentileTicks{}.Ticks(1, 1e5)
	var got []string
	for _, tk := range ticks {
		if tk.Label != "" {
			got = append(got, tk.Label)
		}
	}
	want := []string{"0%", "90%", "99%", "99.9%", "99.99%", "99.999%"}
	if !slices.Equal(got, want) {
		t.Errorf("labels = %q, want %q", got, want)
	}
}

func TestReportSpectrum(t *testing.T) {
	h := newHistogram()
	for v := int64(1); v <= 1000; v++ {
		if err := h.RecordValue(v * 1000); err != nil {
			t.Fatal(err)
		}
	}
	pts := spectrum(h.TotalCount(), h.ValueAtPercentile, h.Max())
	first, last := pts[0], pts[len(pts)-1]
	if first.X != 1 || last.X != 1000 {
		t.Errorf("x runs from %v to %v, want 1 to 1000", first.X, last.X)
	}
	if last.Y != float64(h.Max()) {
		t.Errorf("line ends at %v, want the max, %v", last.Y, h.Max())
	}
	for i := 1; i < len(pts); i++ {
		if pts[i].X <= pts[i-1].X || pts[i].Y < pts[i-1].Y {
			t.Fatalf("points %d and %d, %v and %v, do not rise", i-1, i, pts[i-1], pts[i])
		}
	}
}
