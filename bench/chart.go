package bench

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"
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
	chartDashes = [][]float64{
		nil,
		{6, 3},
		{2, 2},
		{8, 3, 2, 3},
		{12, 4},
	}
)

// runStyle is how run i's line is drawn, the same in every chart.
func runStyle(i int) stroke {
	return stroke{
		Color: chartColors[i%len(chartColors)],
		Width: 1.75,
		Dash:  chartDashes[i%len(chartDashes)],
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

// latencyChart draws each run's latency by percentile, the way
// HdrHistogram's plotter does: percentiles spread on a log scale of
// 1/(1-p), so the tail gets as much room as the body. Runs without a
// latency histogram are left out; with none at all, it returns nil.
func latencyChart(runs []*Result, names []string) (*plot, error) {
	type curve struct {
		i   int
		pts []xy // x is 1/(1-p), y is ns
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
	p := &plot{
		title: "Latency by percentile",
		x: axis{label: "percentile", log: true, ticks: percentileTicks{},
			min: 1, max: math.Pow10(max(2, int(math.Ceil(math.Log10(maxX)-1e-9))))},
		y:         axis{label: "latency (" + unit + ")", ticks: labelledTicks(plainNumber)},
		yHeadroom: true,
		yMax:      max(float64(maxNs)/scale, 1e-9),
	}
	for _, c := range curves {
		for j := range c.pts {
			c.pts[j].Y /= scale
		}
		p.lines = append(p.lines, line{name: names[c.i], pts: c.pts, stroke: runStyle(c.i)})
	}
	return p, nil
}

// spectrum samples a histogram of count values for a percentile plot:
// points spaced evenly on the log scale of x = 1/(1-p), up to x = count
// where the largest value, max, ends the line.
func spectrum(count int64, at func(percentile float64) int64, maxValue int64) []xy {
	if count == 0 {
		return nil
	}
	const perDecade = 40
	end := float64(count)
	var pts []xy
	for k := 0; ; k++ {
		x := math.Pow(10, float64(k)/perDecade)
		if x >= end {
			break
		}
		pts = append(pts, xy{X: x, Y: float64(at(100 * (1 - 1/x)))})
	}
	return append(pts, xy{X: max(end, 1), Y: float64(maxValue)})
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

func (percentileTicks) Ticks(lo, hi float64) []tick {
	var ticks []tick
	for d := 0; math.Pow10(d) <= hi*(1+1e-9); d++ {
		v := math.Pow10(d)
		if v >= lo*(1-1e-9) {
			ticks = append(ticks, tick{Value: v, Label: percentileLabel(d)})
		}
		for m := 2; m < 10 && float64(m)*v < hi; m++ {
			if float64(m)*v > lo {
				ticks = append(ticks, tick{Value: float64(m) * v})
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
func throughputChart(runs []*Result, names []string) *plot {
	p := &plot{
		title:     "Throughput over time",
		x:         axis{label: "time (s)", ticks: labelledTicks(plainNumber)},
		y:         axis{label: "messages per second", ticks: labelledTicks(siNumber)},
		yHeadroom: true,
	}
	var maxRate, maxT float64
	for i, r := range runs {
		pts := rates(r.Series)
		if len(pts) == 0 {
			continue
		}
		for _, pt := range pts {
			maxRate = max(maxRate, pt.Y)
		}
		maxT = max(maxT, pts[len(pts)-1].X)
		p.lines = append(p.lines, line{name: names[i], pts: pts, step: true, stroke: runStyle(i)})
	}
	if len(p.lines) == 0 {
		return nil
	}
	p.x.max = max(maxT, 1)
	p.yMax = max(maxRate, 1)
	return p
}

// rates turns a series into points for a step line: the rate of each
// interval at its end, and the first interval's rate again at its start.
func rates(series []Sample) []xy {
	var pts []xy
	prev := 0.0
	for _, s := range series {
		dt := s.T - prev
		if dt <= 0 {
			continue
		}
		rate := float64(s.Messages) / dt
		if len(pts) == 0 {
			pts = append(pts, xy{X: prev, Y: rate})
		}
		pts = append(pts, xy{X: s.T, Y: rate})
		prev = s.T
	}
	return pts
}

// labelledTicks mark a linear axis at 1-2-5 steps (niceTicks), with
// their labels formatted by the function: no "50.00" where "50" says it.
type labelledTicks func(float64) string

func (f labelledTicks) Ticks(lo, hi float64) []tick { return niceTicks(lo, hi, f) }

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
