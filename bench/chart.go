package bench

import (
	"fmt"
	"math"
	"strings"

	"github.com/sockit/sockit/internal/chart"
)

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
func latencyChart(runs []*Result, names []string) (*chart.Plot, error) {
	type curve struct {
		i   int
		pts []chart.XY // x is 1/(1-p), y is ns
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
	p := &chart.Plot{
		Title: "Latency by percentile",
		X: chart.Axis{Label: "percentile", Log: true, Ticks: percentileTicks{},
			Min: 1, Max: math.Pow10(max(2, int(math.Ceil(math.Log10(maxX)-1e-9))))},
		Y:         chart.Axis{Label: "latency (" + unit + ")", Ticks: chart.LabelledTicks(chart.PlainNumber)},
		YHeadroom: true,
		YMax:      max(float64(maxNs)/scale, 1e-9),
	}
	for _, c := range curves {
		for j := range c.pts {
			c.pts[j].Y /= scale
		}
		p.Lines = append(p.Lines, chart.Line{Name: names[c.i], Pts: c.pts, Stroke: chart.SeriesStyle(c.i)})
	}
	return p, nil
}

// spectrum samples a histogram of count values for a percentile plot:
// points spaced evenly on the log scale of x = 1/(1-p), up to x = count
// where the largest value, max, ends the line.
func spectrum(count int64, at func(percentile float64) int64, maxValue int64) []chart.XY {
	if count == 0 {
		return nil
	}
	const perDecade = 40
	end := float64(count)
	var pts []chart.XY
	for k := 0; ; k++ {
		x := math.Pow(10, float64(k)/perDecade)
		if x >= end {
			break
		}
		pts = append(pts, chart.XY{X: x, Y: float64(at(100 * (1 - 1/x)))})
	}
	return append(pts, chart.XY{X: max(end, 1), Y: float64(maxValue)})
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

func (percentileTicks) Ticks(lo, hi float64) []chart.Tick {
	var ticks []chart.Tick
	for d := 0; math.Pow10(d) <= hi*(1+1e-9); d++ {
		v := math.Pow10(d)
		if v >= lo*(1-1e-9) {
			ticks = append(ticks, chart.Tick{Value: v, Label: percentileLabel(d)})
		}
		for m := 2; m < 10 && float64(m)*v < hi; m++ {
			if float64(m)*v > lo {
				ticks = append(ticks, chart.Tick{Value: float64(m) * v})
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
func throughputChart(runs []*Result, names []string) *chart.Plot {
	p := &chart.Plot{
		Title:     "Throughput over time",
		X:         chart.Axis{Label: "time (s)", Ticks: chart.LabelledTicks(chart.PlainNumber)},
		Y:         chart.Axis{Label: "messages per second", Ticks: chart.LabelledTicks(chart.SINumber)},
		YHeadroom: true,
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
		p.Lines = append(p.Lines, chart.Line{Name: names[i], Pts: pts, Step: true, Stroke: chart.SeriesStyle(i)})
	}
	if len(p.Lines) == 0 {
		return nil
	}
	p.X.Max = max(maxT, 1)
	p.YMax = max(maxRate, 1)
	return p
}

// rates turns a series into points for a step line: the rate of each
// interval at its end, and the first interval's rate again at its start.
func rates(series []Sample) []chart.XY {
	var pts []chart.XY
	prev := 0.0
	for _, s := range series {
		dt := s.T - prev
		if dt <= 0 {
			continue
		}
		rate := float64(s.Messages) / dt
		if len(pts) == 0 {
			pts = append(pts, chart.XY{X: prev, Y: rate})
		}
		pts = append(pts, chart.XY{X: s.T, Y: rate})
		prev = s.T
	}
	return pts
}
