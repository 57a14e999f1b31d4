package bench

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestNiceTicks(t *testing.T) {
	tests := []struct {
		name   string
		lo, hi float64
		want   []string // the labelled ticks
	}{
		{"seconds", 0, 10, []string{"0", "2", "4", "6", "8", "10"}},
		{"three seconds", 0, 3, []string{"0", "0.5", "1", "1.5", "2", "2.5", "3"}},
		{"a little over four", 0, 4.0004, []string{"0", "1", "2", "3", "4"}},
		{"rates", 0, 270_000, []string{"0", "50k", "100k", "150k", "200k", "250k"}},
		{"milliseconds", 0, 5.5, []string{"0", "1", "2", "3", "4", "5"}},
		{"fractions", 0, 0.3, []string{"0", "0.05", "0.1", "0.15", "0.2", "0.25", "0.3"}},
		{"offset", 97, 103, []string{"97", "98", "99", "100", "101", "102", "103"}},
		{"negative", -1, 1, []string{"-1", "-0.5", "0", "0.5", "1"}},
		{"eight steps", 0, 8, []string{"0", "1", "2", "3", "4", "5", "6", "7", "8"}},
		{"a little over eight", 0, 8.001, []string{"0", "2", "4", "6", "8"}},
		{"empty", 5, 5, nil},
		{"reversed", 5, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, tk := range niceTicks(tt.lo, tt.hi, siNumber) {
				if tk.Label != "" {
					got = append(got, tk.Label)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("niceTicks(%v, %v) labels = %q, want %q", tt.lo, tt.hi, got, tt.want)
			}
		})
	}
}

// checkTicks checks the ticks niceTicks puts on an axis from lo to hi:
// in range, ascending, three to nine labelled ones a 1-2-5 step apart,
// each label different.
func checkTicks(t *testing.T, lo, hi float64) {
	t.Helper()
	ticks := niceTicks(lo, hi, func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) })
	st := niceStep(lo, hi)
	eps := st * 1e-6
	var labelled []float64
	seen := map[string]bool{}
	for i, tk := range ticks {
		if tk.Value < lo-eps || tk.Value > hi+eps {
			t.Errorf("tick %v outside [%v, %v]", tk.Value, lo, hi)
		}
		if i > 0 && tk.Value <= ticks[i-1].Value {
			t.Errorf("ticks %v then %v do not rise", ticks[i-1].Value, tk.Value)
		}
		if tk.Label != "" {
			if seen[tk.Label] {
				t.Errorf("label %q twice", tk.Label)
			}
			seen[tk.Label] = true
			labelled = append(labelled, tk.Value)
		}
	}
	if n := len(labelled); n < 3 || n > maxTicks+1 {
		t.Fatalf("[%v, %v]: %d labelled ticks %v, want 3 to %d", lo, hi, n, labelled, maxTicks+1)
	}
	m := st / math.Pow10(int(math.Floor(math.Log10(st)+1e-9)))
	if !slices.ContainsFunc([]float64{1, 2, 5}, func(w float64) bool { return math.Abs(m-w) < 1e-6 }) {
		t.Errorf("[%v, %v]: step %v is not 1, 2 or 5 times a power of ten", lo, hi, st)
	}
	for i := 1; i < len(labelled); i++ {
		if d := labelled[i] - labelled[i-1]; math.Abs(d-st) > eps {
			t.Errorf("[%v, %v]: labelled ticks %v and %v are %v apart, want %v", lo, hi, labelled[i-1], labelled[i], d, st)
		}
	}
}

func FuzzNiceTicks(f *testing.F) {
	for _, c := range [][2]float64{{0, 1}, {0, 3.0004}, {0, 270_000}, {-1, 1}, {97, 103}, {1e-9, 2e-9}, {0, 1e300}} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, lo, hi float64) {
		span := hi - lo
		if math.IsNaN(span) || math.IsInf(span, 0) || span <= 0 || span > 1e300 ||
			span < 1e-300 || span < 1e-9*max(math.Abs(lo), math.Abs(hi)) {
			return // no axis, or one float64 cannot tick
		}
		checkTicks(t, lo, hi)
	})
}

func TestDashes(t *testing.T) {
	line := []pt{{0, 0}, {10, 0}, {10, 10}}
	tests := []struct {
		name string
		dash []float64
		want [][]pt
	}{{
		name: "even",
		dash: []float64{4, 2},
		want: [][]pt{{{0, 0}, {4, 0}}, {{6, 0}, {10, 0}}, {{10, 2}, {10, 6}}, {{10, 8}, {10, 10}}},
	}, {
		name: "round the corner",
		dash: []float64{8, 3, 2, 3},
		want: [][]pt{{{0, 0}, {8, 0}}, {{10, 1}, {10, 3}}, {{10, 6}, {10, 10}}},
	}, {
		name: "solid",
		dash: []float64{0, 0},
		want: [][]pt{line},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := dashes(line, tt.dash)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("dashes(%v, %v) =\n%v, want\n%v", line, tt.dash, got, tt.want)
			}
		})
	}
}

// TestRasterise checks that the PNG back end draws where the SVG would:
// a dashed line's dashes and gaps, a rectangle's fill, text's ink.
func TestRasterise(t *testing.T) {
	red := color.RGBA{0xff, 0, 0, 0xff}
	c := &canvas{w: 100, h: 50}
	c.line("line", stroke{Color: red, Width: 2, Dash: []float64{10, 10}}, pt{0, 10}, pt{100, 10})
	c.shapes = append(c.shapes, rect{Min: pt{10, 30}, Max: pt{20, 40}, Fill: red})
	c.text(text{At: pt{50, 45}, S: "88", Size: 10, Anchor: anchorMiddle, Color: black})
	img := rasterise(c)
	if b := img.Bounds(); b.Dx() != 200 || b.Dy() != 100 {
		t.Fatalf("image is %dx%d, want 200x100", b.Dx(), b.Dy())
	}
	for _, tt := range []struct {
		x, y int
		want color.RGBA
	}{
		{10, 20, red},    // in the first dash
		{30, 20, white},  // in the first gap
		{50, 20, red},    // in the second dash
		{10, 16, white},  // above the line: 2 points is 4 pixels
		{30, 70, red},    // in the rectangle
		{50, 70, white},  // beside it
		{100, 10, white}, // nothing drawn here
	} {
		if got := img.RGBAAt(tt.x, tt.y); got != tt.want {
			t.Errorf("pixel (%d, %d) = %v, want %v", tt.x, tt.y, got, tt.want)
		}
	}
	// The text "88" is centred on x=100 pixels, above y=90.
	var inked int
	for y := 60; y < 90; y++ {
		for x := 80; x < 120; x++ {
			if img.RGBAAt(x, y).R < 0x80 {
				inked++
			}
		}
	}
	if inked < 50 {
		t.Errorf("the text left %d dark pixels, want some", inked)
	}
}

// chartCanvases draws the charts of runs as the PNG has them (titled)
// and as the HTML page does (untitled).
func chartCanvases(t *testing.T, runs []*Result) map[string]*canvas {
	t.Helper()
	cs, err := charts(runs)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*canvas{}
	for _, c := range cs {
		if c.plot == nil {
			continue
		}
		out[c.file] = c.plot.draw()
		c.plot.title = ""
		out[c.id] = c.plot.draw()
	}
	return out
}

func manyRuns(t *testing.T, n int) []*Result {
	t.Helper()
	var runs []*Result
	for i := range n {
		runs = append(runs, testRun(t, fmt.Sprintf("run number %d", i), int64(20_000+5_000*i), 3000, float64(40_000+7_000*i)))
	}
	return runs
}

// TestChartLegendClearsLines checks that no line runs under the legend.
func TestChartLegendClearsLines(t *testing.T) {
	for _, n := range []int{1, 2, 7, 14} {
		t.Run(fmt.Sprint(n, " runs"), func(t *testing.T) {
			t.Parallel()
			for name, c := range chartCanvases(t, manyRuns(t, n)) {
				var box *rect
				var keys int
				for _, s := range c.shapes {
					switch s := s.(type) {
					case rect:
						if s.Class == "legend" {
							box = &s
						}
					case polyline:
						if s.Class == "key" {
							keys++
						}
					}
				}
				if box == nil {
					t.Fatalf("%s: no legend", name)
				}
				if keys != n {
					t.Errorf("%s: legend has %d entries, want %d", name, keys, n)
				}
				for _, s := range c.shapes {
					l, ok := s.(polyline)
					if !ok || l.Class != "line" {
						continue
					}
					for i := 1; i < len(l.Points); i++ {
						if a, b := l.Points[i-1], l.Points[i]; crosses(a, b, *box, l.Width/2) {
							t.Fatalf("%s: the line from %v to %v runs under the legend %v-%v", name, a, b, box.Min, box.Max)
						}
					}
				}
			}
		})
	}
}

// crosses reports whether the segment from a to b, drawn w wide either
// side, overlaps r (Liang-Barsky clipping).
func crosses(a, b pt, r rect, w float64) bool {
	t0, t1 := 0.0, 1.0
	d := pt{b.X - a.X, b.Y - a.Y}
	for _, e := range [][2]float64{
		{-d.X, a.X - (r.Min.X - w)}, {d.X, (r.Max.X + w) - a.X},
		{-d.Y, a.Y - (r.Min.Y - w)}, {d.Y, (r.Max.Y + w) - a.Y},
	} {
		p, q := e[0], e[1]
		if p == 0 {
			if q < 0 {
				return false
			}
			continue
		}
		if u := q / p; p < 0 {
			t0 = max(t0, u)
		} else {
			t1 = min(t1, u)
		}
	}
	return t0 <= t1
}

// tickTexts are the labels along a canvas's X axis, left to right, and
// up its Y axis, bottom to top.
func tickTexts(c *canvas) (x, y []text) {
	for _, s := range c.shapes {
		if tx, ok := s.(text); ok && tx.Class == "tick" {
			if tx.Anchor == anchorMiddle {
				x = append(x, tx)
			} else {
				y = append(y, tx)
			}
		}
	}
	slices.SortFunc(x, func(a, b text) int { return int(math.Copysign(1, a.At.X-b.At.X)) })
	slices.SortFunc(y, func(a, b text) int { return int(math.Copysign(1, b.At.Y-a.At.Y)) })
	return x, y
}

func tickLabels(ts []text) []string {
	var s []string
	for _, t := range ts {
		s = append(s, t.S)
	}
	return s
}

// checkApart checks that texts along an axis do not overlap.
func checkApart(t *testing.T, ts []text, horizontal bool) {
	t.Helper()
	for i := 1; i < len(ts); i++ {
		a, b := ts[i-1], ts[i]
		if horizontal {
			if right, left := a.At.X+textWidth(a.S, a.Size)/2, b.At.X-textWidth(b.S, b.Size)/2; right > left {
				t.Errorf("tick labels %q and %q overlap: %q ends at %.1f, %q starts at %.1f", a.S, b.S, a.S, right, b.S, left)
			}
		} else if a.At.Y-b.At.Y < a.Size {
			t.Errorf("tick labels %q and %q overlap: %.1f points apart", a.S, b.S, a.At.Y-b.At.Y)
		}
	}
}

func TestChartTicks(t *testing.T) {
	cs := chartCanvases(t, []*Result{testRun(t, "threaded", 40_000, 5000, 50_000), testRun(t, "evloop", 25_000, 8000, 80_000)})

	x, y := tickTexts(cs["latency.png"])
	if got, want := tickLabels(x), []string{"0%", "90%", "99%", "99.9%", "99.99%"}; !slices.Equal(got, want) {
		t.Errorf("latency X labels = %q, want %q", got, want)
	}
	if got := tickLabels(y); len(got) < 3 || got[0] != "0" {
		t.Errorf("latency Y labels = %q, want 0 and more", got)
	}
	checkApart(t, x, true)
	checkApart(t, y, false)

	x, y = tickTexts(cs["throughput.png"])
	if got, want := tickLabels(x), []string{"0", "2", "4", "6", "8", "10"}; !slices.Equal(got, want) {
		t.Errorf("throughput X labels = %q, want %q", got, want)
	}
	if got, want := tickLabels(y), []string{"0", "20k", "40k", "60k", "80k", "100k", "120k"}; !slices.Equal(got, want) {
		t.Errorf("throughput Y labels = %q, want %q", got, want)
	}
	checkApart(t, x, true)
	checkApart(t, y, false)

	// A tail of a billion messages puts 99.9999999% at the end: labels
	// every other decade rather than on top of each other.
	p := &plot{
		x: axis{label: "percentile", log: true, min: 1, max: 1e10, ticks: percentileTicks{}},
		y: axis{label: "latency", max: 1, ticks: labelledTicks(plainNumber)},
	}
	x, _ = tickTexts(p.draw())
	if got, want := tickLabels(x), []string{"0%", "99%", "99.99%", "99.9999%", "99.999999%", "99.99999999%"}; !slices.Equal(got, want) {
		t.Errorf("long tail X labels = %q, want %q", got, want)
	}
	checkApart(t, x, true)
}

// TestChartSVG checks that each chart's SVG is well-formed XML, fits its
// view box and sets its text in the reader's sans-serif.
func TestChartSVG(t *testing.T) {
	runs := []*Result{testRun(t, "a <b> & \"c\"", 40_000, 5000, 50_000), connectRun(t)}
	for name, c := range chartCanvases(t, runs) {
		var buf bytes.Buffer
		if err := writeSVG(&buf, c, svgAttrs{{"id", name}}); err != nil {
			t.Fatal(err)
		}
		svg := buf.String()
		dec := xml.NewDecoder(strings.NewReader(svg))
		var texts []string
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v in %s", name, err, svg)
			}
			if cd, ok := tok.(xml.CharData); ok && strings.TrimSpace(string(cd)) != "" {
				texts = append(texts, string(cd))
			}
			se, ok := tok.(xml.StartElement)
			if !ok {
				continue
			}
			for _, a := range se.Attr {
				if se.Name.Local == "svg" && a.Name.Local == "font-family" && !strings.HasSuffix(a.Value, "sans-serif") {
					t.Errorf("%s: font-family %q", name, a.Value)
				}
				if a.Name.Local != "x" && a.Name.Local != "y" {
					continue
				}
				v, err := strconv.ParseFloat(a.Value, 64)
				if lim := map[string]float64{"x": chartWidth, "y": chartHeight}[a.Name.Local]; err != nil || v < 0 || v > lim {
					t.Errorf("%s: <%s %s=%q> outside the view box", name, se.Name.Local, a.Name.Local, a.Value)
				}
			}
		}
		if !slices.Contains(texts, `a <b> & "c"`) {
			t.Errorf("%s: the run's name is not a text of its own: %q", name, texts)
		}
	}
}

func BenchmarkChart(b *testing.B) {
	runs := []*Result{testRun(b, "threaded", 40_000, 5000, 50_000), testRun(b, "evloop", 25_000, 8000, 80_000)}
	p, err := latencyChart(runs, runNames(runs))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("SVG", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := writeSVG(io.Discard, p.draw(), nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("PNG", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := encodePNG(io.Discard, p.draw()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
