package bench

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sockit/sockit/internal/chart"
)

// chartCanvases draws the charts of runs as the PNG has them (titled)
// and as the HTML page does (untitled).
func chartCanvases(t *testing.T, runs []*Result) map[string]*chart.Canvas {
	t.Helper()
	cs, err := charts(runs)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*chart.Canvas{}
	for _, c := range cs {
		if c.plot == nil {
			continue
		}
		out[c.file] = c.plot.Draw()
		c.plot.Title = ""
		out[c.id] = c.plot.Draw()
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
				var box *chart.Rect
				var keys int
				for _, s := range c.Shapes {
					switch s := s.(type) {
					case chart.Rect:
						if s.Class == "legend" {
							box = &s
						}
					case chart.Polyline:
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
				for _, s := range c.Shapes {
					l, ok := s.(chart.Polyline)
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
func crosses(a, b chart.Pt, r chart.Rect, w float64) bool {
	t0, t1 := 0.0, 1.0
	d := chart.Pt{X: b.X - a.X, Y: b.Y - a.Y}
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
func tickTexts(c *chart.Canvas) (x, y []chart.Text) {
	for _, s := range c.Shapes {
		if tx, ok := s.(chart.Text); ok && tx.Class == "tick" {
			if tx.Anchor == chart.AnchorMiddle {
				x = append(x, tx)
			} else {
				y = append(y, tx)
			}
		}
	}
	slices.SortFunc(x, func(a, b chart.Text) int { return int(math.Copysign(1, a.At.X-b.At.X)) })
	slices.SortFunc(y, func(a, b chart.Text) int { return int(math.Copysign(1, b.At.Y-a.At.Y)) })
	return x, y
}

func tickLabels(ts []chart.Text) []string {
	var s []string
	for _, t := range ts {
		s = append(s, t.S)
	}
	return s
}

// checkApart checks that texts along an axis do not overlap.
func checkApart(t *testing.T, ts []chart.Text, horizontal bool) {
	t.Helper()
	for i := 1; i < len(ts); i++ {
		a, b := ts[i-1], ts[i]
		if horizontal {
			if right, left := a.At.X+chart.TextWidth(a.S, a.Size)/2, b.At.X-chart.TextWidth(b.S, b.Size)/2; right > left {
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
	p := &chart.Plot{
		X: chart.Axis{Label: "percentile", Log: true, Min: 1, Max: 1e10, Ticks: percentileTicks{}},
		Y: chart.Axis{Label: "latency", Max: 1, Ticks: chart.LabelledTicks(chart.PlainNumber)},
	}
	x, _ = tickTexts(p.Draw())
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
		if err := chart.WriteSVG(&buf, c, [][2]string{{"id", name}}); err != nil {
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
				if lim := map[string]float64{"x": chart.Width, "y": chart.Height}[a.Name.Local]; err != nil || v < 0 || v > lim {
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
			if err := chart.WriteSVG(io.Discard, p.Draw(), nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("PNG", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := chart.EncodePNG(io.Discard, p.Draw()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
