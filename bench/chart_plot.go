package bench

import (
	"image/color"
	"math"
)

// The size of a chart: a 16:9 page-width figure, 8x4.5 inches.
const (
	chartWidth  = 576 // points
	chartHeight = 324
)

// Font sizes, in points.
const (
	titleSize  = 14
	labelSize  = 12 // the axes' names
	tickSize   = 10
	legendSize = 11
)

// The legend's layout, in points: its box starts legendInset from the
// plot area's top-left corner and holds a row per line.
const (
	legendInset = 8
	legendPad   = 5
	legendRow   = 16
	legendThumb = 28 // the width of a line's sample
	legendGap   = 6  // between the sample and the name
)

// tickLen is how far a labelled tick sticks out of its axis; unlabelled
// ones are half as long.
const tickLen float64 = 5

var (
	gridColor  = color.RGBA{0xe4, 0xe4, 0xe4, 0xff}
	legendEdge = color.RGBA{0xbb, 0xbb, 0xbb, 0xff}
	legendFill = color.RGBA{0xe6, 0xe6, 0xe6, 0xe6} // white, 90% opaque (premultiplied)
)

// A plot is a chart before it is drawn: a title, two axes and lines, with
// a legend in the top-left corner naming every line.
type plot struct {
	title string // none when empty
	x, y  axis
	lines []line
	// yHeadroom says the Y axis is to reach above yMax far enough that the
	// legend clears the lines (headroom); else it ends at y.max.
	yHeadroom bool
	yMax      float64
}

// An axis maps values to a side of the plot area.
type axis struct {
	label    string
	min, max float64
	log      bool // log10 scale; min and max are > 0
	ticks    ticker
}

// A line is one run's data.
type line struct {
	name string
	pts  []xy
	step bool // steps: each y holds from the previous x up to its own x
	stroke
}

// xy is a point in data space.
type xy struct{ X, Y float64 }

// A tick marks a value on an axis; one without a label is a minor tick
// and has no grid line.
type tick struct {
	Value float64
	Label string
}

// A ticker places the ticks on an axis that runs from lo to hi.
type ticker interface {
	Ticks(lo, hi float64) []tick
}

// norm is where v falls on the axis, from 0 at min to 1 at max.
func (a *axis) norm(v float64) float64 {
	if a.log {
		return (math.Log10(v) - math.Log10(a.min)) / (math.Log10(a.max) - math.Log10(a.min))
	}
	return (v - a.min) / (a.max - a.min)
}

// legendHeight is the height of a legend box of n rows, in points.
func legendHeight(rows int) float64 {
	return float64(rows)*legendRow + 2*legendPad
}

// A legend is the layout of a plot's legend: cols columns of rows
// entries, each entry colWidth points wide.
type legend struct {
	rows, cols int
	colWidth   float64
}

// newLegend lays out a legend for p in a plot area plotHeight points
// high: one column, or as many more as it takes to keep the box under
// half the plot area's height while it fits across.
func (p *plot) newLegend(plotHeight float64) legend {
	w := 0.0
	for _, l := range p.lines {
		w = max(w, textWidth(l.name, legendSize))
	}
	// Leave room for a browser's wider sans-serif (svgFonts).
	w *= 1.15
	lg := legend{rows: len(p.lines), cols: 1, colWidth: legendThumb + legendGap + w + legendPad}
	across := float64(chartWidth - 80 - 2*legendInset - legendPad) // about the plot area's width
	for lg.rows > 1 && legendHeight(lg.rows) > plotHeight/2 && float64(lg.cols+1)*lg.colWidth <= across {
		lg.cols++
		lg.rows = (len(p.lines) + lg.cols - 1) / lg.cols
	}
	return lg
}

// A frame is where the plot area sits on the canvas.
type frame struct{ left, top, right, bottom float64 }

func (f frame) at(p *plot, v xy) pt {
	return pt{
		X: f.left + p.x.norm(v.X)*(f.right-f.left),
		Y: f.bottom - p.y.norm(v.Y)*(f.bottom-f.top),
	}
}

// draw lays p out on a chartWidth by chartHeight canvas. It leaves p as
// it was, so p can be drawn again, with or without its title.
func (p *plot) draw() *canvas {
	cp := *p
	p = &cp // the Y axis's range is the layout's to set
	c := &canvas{w: chartWidth, h: chartHeight}
	const pad = 6 // around the edge

	// Top to bottom: the title, the plot area, the X ticks' labels and
	// the X axis's name.
	var f frame
	f.top = pad + tickSize/2 // room for the top Y tick's label
	if p.title != "" {
		f.top = pad + titleSize + 10
	}
	f.bottom = chartHeight - pad - labelSize*0.3 - labelSize - 6 - tickSize - 3 - tickLen

	// The Y axis's range hangs on the plot area's height and the legend's.
	lg := p.newLegend(f.bottom - f.top)
	if p.yHeadroom {
		p.y.max = headroom(p.yMax, lg.rows, f.bottom-f.top)
		if st := niceStep(p.y.min, p.y.max); st > 0 {
			p.y.max = math.Ceil(p.y.max/st-1e-9) * st // end on a tick
		}
	}
	xt := p.x.ticks.Ticks(p.x.min, p.x.max)
	yt := p.y.ticks.Ticks(p.y.min, p.y.max)

	// Left to right: the Y axis's name, its ticks' labels, the plot area,
	// and room for half of the last X tick's label.
	yw := 0.0
	for _, t := range yt {
		yw = max(yw, textWidth(t.Label, tickSize))
	}
	f.left = pad + labelSize + 8 + yw + 3 + tickLen
	f.right = chartWidth - pad - 6
	for _, t := range xt {
		if t.Label != "" && p.x.norm(t.Value) > 1-1e-9 {
			f.right = min(f.right, chartWidth-pad-textWidth(t.Label, tickSize)/2)
		}
	}

	// Grid, then axes and ticks.
	grid := stroke{Color: gridColor, Width: 0.5}
	for _, t := range xt {
		if x := f.at(p, xy{t.Value, p.y.min}).X; t.Label != "" && x > f.left+1e-6 {
			c.line("grid", grid, pt{x, f.top}, pt{x, f.bottom})
		}
	}
	for _, t := range yt {
		if y := f.at(p, xy{p.x.min, t.Value}).Y; t.Label != "" && y < f.bottom-1e-6 {
			c.line("grid", grid, pt{f.left, y}, pt{f.right, y})
		}
	}
	axisStroke := stroke{Color: black, Width: 0.75}
	c.line("axis", axisStroke, pt{f.left, f.top}, pt{f.left, f.bottom}, pt{f.right, f.bottom})
	for _, t := range thin(xt, func(t tick) (float64, float64) {
		x := f.at(p, xy{t.Value, p.y.min}).X
		w := textWidth(t.Label, tickSize)
		return x - w/2, x + w/2
	}) {
		x := f.at(p, xy{t.Value, p.y.min}).X
		n := tickLen
		if t.Label == "" {
			n /= 2
		}
		c.line("tick", axisStroke, pt{x, f.bottom}, pt{x, f.bottom + n})
		if t.Label != "" {
			c.text(text{Class: "tick", At: pt{x, f.bottom + tickLen + 3 + tickSize*0.8}, S: t.Label,
				Size: tickSize, Anchor: anchorMiddle, Color: ink})
		}
	}
	for _, t := range yt {
		y := f.at(p, xy{p.x.min, t.Value}).Y
		n := tickLen
		if t.Label == "" {
			n /= 2
		}
		c.line("tick", axisStroke, pt{f.left - n, y}, pt{f.left, y})
		if t.Label != "" {
			c.text(text{Class: "tick", At: pt{f.left - tickLen - 3, y + tickSize*0.35}, S: t.Label,
				Size: tickSize, Anchor: anchorEnd, Color: ink})
		}
	}

	// The names: the title over the plot area, the axes' beside theirs.
	if p.title != "" {
		c.text(text{Class: "title", At: pt{(f.left + f.right) / 2, pad + titleSize*0.8}, S: p.title,
			Size: titleSize, Anchor: anchorMiddle, Color: ink})
	}
	c.text(text{Class: "label", At: pt{(f.left + f.right) / 2, chartHeight - pad - labelSize*0.3}, S: p.x.label,
		Size: labelSize, Anchor: anchorMiddle, Color: ink})
	c.text(text{Class: "label", At: pt{pad + labelSize*0.8, (f.top + f.bottom) / 2}, S: p.y.label,
		Size: labelSize, Anchor: anchorMiddle, Up: true, Color: ink})

	// The lines, the first on top.
	for i := len(p.lines) - 1; i >= 0; i-- {
		l := p.lines[i]
		var pts []pt
		for j, v := range l.pts {
			if l.step && j > 0 {
				pts = append(pts, f.at(p, xy{l.pts[j-1].X, v.Y}))
			}
			pts = append(pts, f.at(p, v))
		}
		c.line("line", l.stroke, pts...)
	}

	// The legend, over everything.
	if len(p.lines) > 0 {
		box := rect{Class: "legend",
			Min:    pt{f.left + legendInset, f.top + legendInset},
			Fill:   legendFill,
			stroke: stroke{Color: legendEdge, Width: 0.5}}
		box.Max = pt{box.Min.X + legendPad + float64(lg.cols)*lg.colWidth, box.Min.Y + legendHeight(lg.rows)}
		c.shapes = append(c.shapes, box)
		for i, l := range p.lines {
			x := box.Min.X + legendPad + float64(i/lg.rows)*lg.colWidth
			y := box.Min.Y + legendPad + (float64(i%lg.rows)+0.5)*legendRow
			c.line("key", l.stroke, pt{x, y}, pt{x + legendThumb, y})
			c.text(text{Class: "key", At: pt{x + legendThumb + legendGap, y + legendSize*0.35}, S: l.name,
				Size: legendSize, Color: ink})
		}
	}
	return c
}

// thin drops the labels of ticks whose labels would overlap, keeping
// every k-th label for the smallest k that clears them all; extent gives
// a label's left and right edges.
func thin(ticks []tick, extent func(tick) (float64, float64)) []tick {
	const gap = 6 // points between labels
	var labelled []int
	for i, t := range ticks {
		if t.Label != "" {
			labelled = append(labelled, i)
		}
	}
	for k := 1; k < len(labelled); k++ {
		ok := true
		for j := k; j < len(labelled) && ok; j += k {
			_, r := extent(ticks[labelled[j-k]])
			l, _ := extent(ticks[labelled[j]])
			ok = r+gap <= l
		}
		if ok {
			if k == 1 {
				return ticks
			}
			out := make([]tick, len(ticks))
			copy(out, ticks)
			for j, i := range labelled {
				if j%k != 0 {
					out[i].Label = ""
				}
			}
			return out
		}
	}
	return ticks
}

// headroom is how far above the highest line, dataMax, the Y axis of a
// plot area plotHeight points high must reach so that a legend of rows
// entries in the top corner clears every line. A legend too tall to
// clear them gets at most 60% of the height: the lines show through it.
func headroom(dataMax float64, rows int, plotHeight float64) float64 {
	frac := min((legendInset+legendHeight(rows)+legendInset)/plotHeight, 0.6)
	return dataMax / (1 - frac)
}

// maxTicks is the most intervals niceStep cuts an axis into.
const maxTicks = 8

// niceStep is the step between ticks on a linear axis from lo to hi: the
// smallest 1, 2 or 5 times a power of ten that cuts it into at most
// maxTicks intervals; 0 when the axis is empty.
func niceStep(lo, hi float64) float64 {
	span := hi - lo
	if !(span > 0) || math.IsInf(span, 0) {
		return 0
	}
	raw := span / maxTicks
	pow := math.Pow10(int(math.Floor(math.Log10(raw))))
	for _, m := range []float64{1, 2, 5, 10} {
		if st := m * pow; span/st <= maxTicks*(1+1e-9) {
			return st
		}
	}
	return 10 * pow
}

// niceTicks marks a linear axis from lo to hi at each multiple of
// niceStep, with unlabelled ticks between; label formats a tick's value.
func niceTicks(lo, hi float64, label func(float64) string) []tick {
	st := niceStep(lo, hi)
	if st == 0 {
		return nil
	}
	minor := st / 5
	if m := st / math.Pow10(int(math.Floor(math.Log10(st)+1e-9))); math.Abs(m-2) < 1e-9 {
		minor = st / 4
	}
	eps := st * 1e-9
	var ticks []tick
	k := math.Ceil((lo - eps) / minor)
	for n := 0; n <= 5*maxTicks+1; n++ { // bounded: k+1 == k when k is huge
		v := (k + float64(n)) * minor
		if v > hi+eps {
			break
		}
		t := tick{Value: v}
		if q := v / st; math.Abs(q-math.Round(q)) < 1e-6 {
			v = math.Round(q) * st
			if math.Abs(v) < eps {
				v = 0 // not -0
			}
			t = tick{Value: v, Label: label(v)}
		}
		ticks = append(ticks, t)
	}
	return ticks
}
