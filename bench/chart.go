package bench

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The size of a chart: a 16:9 page-width figure.
const (
	chartWidth  = 8 * vg.Inch
	chartHeight = 4.5 * vg.Inch
)

// chartColors are the lines' colours, run by run (Tableau 10); chartDashes
// tell lines apart where colours do not (in print, or to the colour blind).
var (
	chartColors = []color.RGBA{
		{0x1f, 0x77, 0xb4, 0xff}, // blue
		{0xff, 0x7f, 0x0e, 0xff}, // orange
		{0x2c, 0xa0, 0x2c, 0xff}, // green
		{0xd6, 0x27, 0x28, 0xff}, // red
		{0x94, 0x67, 0xbd, 0xff}, // purple
		{0x8c, 0x56, 0x4b, 0xff}, // brown
		{0xe3, 0x77, 0xc2, 0xff}, // pink
		{0x7f, 0x7f, 0x7f, 0xff}, // grey
		{0xbc, 0xbd, 0x22, 0xff}, // olive
		{0x17, 0xbe, 0xcf, 0xff}, // cyan
	}
	chartDashes = [][]vg.Length{
		nil,
		{6, 3},
		{2, 2},
		{8, 3, 2, 3},
		{12, 4},
	}
)

// runStyle is how run i's line is drawn, the same in every chart.
func runStyle(i int) draw.LineStyle {
	return draw.LineStyle{
		Color:  chartColors[i%len(chartColors)],
		Width:  vg.Points(1.75),
		Dashes: chartDashes[i%len(chartDashes)],
	}
}

// runColor is run i's colour as CSS.
func runColor(i int) string {
	c := chartColors[i%len(chartColors)]
	return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B)
}

// runNames names each run for a legend: its label, with its mode and load
// when another run has the same label, and a mark when it failed.
func runNames(runs []*Result) []string {
	seen := map[string]int{}
	for _, r := range runs {
		seen[r.Label]++
	}
	names := make([]string, len(runs))
	for i, r := range runs {
		name := r.Label
		if seen[r.Label] > 1 {
			name = fmt.Sprintf("%s (%s, %d conns, %d B)", r.Label, r.Mode, r.Load.Conns, r.Load.Size)
		}
		if r.Failed() {
			name += " (FAILED)"
		}
		names[i] = name
	}
	return names
}

// newChart makes an empty plot in our style: sans-serif text, a grid.
func newChart(title, xLabel, yLabel string) *plot.Plot {
	sans := font.Font{Typeface: "Liberation", Variant: "Sans"}
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sans, 14)
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, 12)
		a.Tick.Label.Font = font.From(sans, 10)
	}
	p.Legend.TextStyle.Font = font.From(sans, 11)
	p.Legend.Padding = vg.Points(3)
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.XOffs = vg.Points(8)
	p.Legend.YOffs = -vg.Points(6)
	p.Legend.ThumbnailWidth = vg.Points(28)
	g := plotter.NewGrid()
	g.Vertical.Color = color.Gray{Y: 0xe0}
	g.Horizontal.Color = color.Gray{Y: 0xe0}
	p.Add(g)
	return p
}

// headroom is how far above the highest line the Y axis must reach so that
// a legend of n entries in the top corner clears every line.
func headroom(dataMax float64, n int) float64 {
	const plotArea = 250 // points of height between the axes, about
	frac := min((float64(n)*17+14)/plotArea, 0.6)
	return dataMax / (1 - frac)
}

// latencyChart draws each run's latency by percentile, the way
// HdrHistogram's plotter does: percentiles spread on a log scale of
// 1/(1-p), so the tail gets as much room as the body. Runs without a
// latency histogram are left out; with none at all, it returns nil.
func latencyChart(runs []*Result, names []string) (*plot.Plot, error) {
	type curve struct {
		i   int
		pts plotter.XYs // x is 1/(1-p), y is ns
	}
	var curves []curve
	var maxNs int64
	var maxX float64
	for i, r := range runs {
		if r.Latency == nil {
			continue
		}
		h, err := r.Latency.Hist()
		if err != nil {
			return nil, fmt.Errorf("run %q: %w", r.Label, err)
		}
		pts := spectrum(h.TotalCount(), h.ValueAtPercentile, h.Max())
		if len(pts) == 0 {
			continue
		}
		curves = append(curves, curve{i, pts})
		maxNs = max(maxNs, h.Max())
		maxX = max(maxX, pts[len(pts)-1].X)
	}
	if len(curves) == 0 {
		return nil, nil
	}

	unit, scale := latencyUnit(maxNs)
	p := newChart("Latency by percentile", "percentile", "latency ("+unit+")")
	for _, c := range curves {
		for j := range c.pts {
			c.pts[j].Y /= scale
		}
		l, err := plotter.NewLine(c.pts)
		if err != nil {
			return nil, fmt.Errorf("run %q: %w", runs[c.i].Label, err)
		}
		l.LineStyle = runStyle(c.i)
		p.Add(l)
		p.Legend.Add(names[c.i], l)
	}
	p.X.Scale = plot.LogScale{}
	p.X.Min = 1
	p.X.Max = math.Pow10(max(2, int(math.Ceil(math.Log10(maxX)-1e-9))))
	p.X.Tick.Marker = percentileTicks{}
	p.Y.Min = 0
	p.Y.Max = headroom(max(float64(maxNs)/scale, 1e-9), len(curves))
	p.Y.Tick.Marker = labelledTicks(plainNumber)
	return p, nil
}

// spectrum samples a histogram of count values for a percentile plot:
// points spaced evenly on the log scale of x = 1/(1-p), up to x = count
// where the largest value, max, ends the line.
func spectrum(count int64, at func(percentile float64) int64, maxValue int64) plotter.XYs {
	if count == 0 {
		return nil
	}
	const perDecade = 40
	end := float64(count)
	var pts plotter.XYs
	for k := 0; ; k++ {
		x := math.Pow(10, float64(k)/perDecade)
		if x >= end {
			break
		}
		pts = append(pts, plotter.XY{X: x, Y: float64(at(100 * (1 - 1/x)))})
	}
	return append(pts, plotter.XY{X: max(end, 1), Y: float64(maxValue)})
}

// latencyUnit picks the unit a latency axis reaching maxNs reads best in.
func latencyUnit(maxNs int64) (name string, ns float64) {
	switch {
	case maxNs < 1e6:
		return "µs", 1e3
	case maxNs < 10e9:
		return "ms", 1e6
	default:
		return "s", 1e9
	}
}

// percentileTicks marks a log axis of 1/(1-p) at each power of ten with
// its percentile: 1 is 0%, 10 is 90%, 100 is 99%, 1000 is 99.9%.
type percentileTicks struct{}

func (percentileTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for d := 0; math.Pow10(d) <= hi*(1+1e-9); d++ {
		v := math.Pow10(d)
		if v >= lo*(1-1e-9) {
			ticks = append(ticks, plot.Tick{Value: v, Label: percentileLabel(d)})
		}
		for m := 2; m < 10 && float64(m)*v < hi; m++ {
			if float64(m)*v > lo {
				ticks = append(ticks, plot.Tick{Value: float64(m) * v})
			}
		}
	}
	return ticks
}

// percentileLabel is the percentile at 1/(1-p) = 10^d: "0%", "90%",
// "99%", "99.9%", ...
func percentileLabel(d int) string {
	switch d {
	case 0:
		return "0%"
	case 1:
		return "90%"
	}
	return "99" + strings.TrimSuffix("."+strings.Repeat("9", d-2), ".") + "%"
}

// throughputChart draws each run's messages per second, interval by
// interval, as steps: each interval's rate holds from its start to its
// end. With no run that has a series, it returns nil.
func throughputChart(runs []*Result, names []string) (*plot.Plot, error) {
	p := newChart("Throughput over time", "time (s)", "messages per second")
	var maxRate, maxT float64
	n := 0
	for i, r := range runs {
		pts := rates(r.Series)
		if len(pts) == 0 {
			continue
		}
		for _, pt := range pts {
			maxRate = max(maxRate, pt.Y)
		}
		maxT = max(maxT, pts[len(pts)-1].X)
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, fmt.Errorf("run %q: %w", r.Label, err)
		}
		l.StepStyle = plotter.PreStep
		l.LineStyle = runStyle(i)
		p.Add(l)
		p.Legend.Add(names[i], l)
		n++
	}
	if n == 0 {
		return nil, nil
	}
	p.X.Min = 0
	p.X.Max = max(maxT, 1)
	p.Y.Min = 0
	p.Y.Max = headroom(max(maxRate, 1), n)
	p.Y.Tick.Marker = labelledTicks(siNumber)
	return p, nil
}

// rates turns a series into points for a step line: the rate of each
// interval at its end, and the first interval's rate again at its start.
func rates(series []Sample) plotter.XYs {
	var pts plotter.XYs
	prev := 0.0
	for _, s := range series {
		dt := s.T - prev
		if dt <= 0 {
			continue
		}
		rate := float64(s.Messages) / dt
		if len(pts) == 0 {
			pts = append(pts, plotter.XY{X: prev, Y: rate})
		}
		pts = append(pts, plotter.XY{X: s.T, Y: rate})
		prev = s.T
	}
	return pts
}

// labelledTicks are the default ticks with their labels formatted by the
// function: no "50.00" where "50" says it.
type labelledTicks func(float64) string

func (f labelledTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i, t := range ticks {
		if t.Label != "" {
			ticks[i].Label = f(t.Value)
		}
	}
	return ticks
}

// plainNumber formats v with no more digits than it needs: 0, 0.25, 1500.
func plainNumber(v float64) string {
	return strconv.FormatFloat(math.Round(v*1e6)/1e6, 'f', -1, 64)
}

// siNumber formats v with an SI prefix and at most four digits: 0, 750,
// 12.5k, 3M.
func siNumber(v float64) string {
	for _, u := range []struct {
		div    float64
		suffix string
	}{{1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if math.Abs(v) >= u.div {
			return trimFloat(v/u.div) + u.suffix
		}
	}
	return trimFloat(v)
}

func trimFloat(v float64) string {
	return strconv.FormatFloat(v, 'g', 4, 64)
}
