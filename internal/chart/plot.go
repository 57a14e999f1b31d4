package chart

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
)

// The size of a drawn chart, in points: a 16:9 page-width figure, 8x4.5
// inches.
const (
	Width  = 576 // Width is a chart's width, in points.
	Height = 324 // Height is a chart's height, in points.
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

// A Plot is a chart before it is drawn: a title, two axes and lines, with
// a legend in the top-left corner naming every line.
type Plot struct {
	Title string // none when empty
	X, Y  Axis
	Lines []Line // the first is drawn on top and named first
	// YHeadroom says the Y axis is to reach above YMax far enough that the
	// legend clears the lines (headroom), ending on a tick; else it ends
	// at Y.Max.
	YHeadroom bool
	YMax      float64
}

// An Axis maps values to a side of the plot area.
type Axis struct {
	Label    string
	Min, Max float64
	Log      bool // log10 scale; Min and Max are > 0
	Ticks    Ticker
}

// A Line is one series' data.
type Line struct {
	Name string // in the legend
	Pts  []XY
	Step bool // steps: each Y holds from the previous X up to its own X
	Stroke
}

// An XY is a point in data space.
type XY struct{ X, Y float64 }

// A Tick marks a value on an axis; one without a label is a minor tick
// and has no grid line.
type Tick struct {
	Value float64
	Label string
}

// A Ticker places the ticks on an axis that runs from lo to hi.
type Ticker interface {
	Ticks(lo, hi float64) []Tick
}

// norm is where v falls on the axis, from 0 at min to 1 at max.
func (a *Axis) norm(v float64) float64 {
	if a.Log {
		return (math.Log10(v) - math.Log10(a.Min)) / (math.Log10(a.Max) - math.Log10(a.Min))
	}
	return (v - a.Min) / (a.Max - a.Min)
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
func (p *Plot) newLegend(plotHeight float64) legend {
	w := 0.0
	for _, l := range p.Lines {
		w = max(w, TextWidth(l.Name, legendSize))
	}
	// Leave room for a browser's wider sans-serif (svgFonts).
	w *= 1.15
	lg := legend{rows: len(p.Lines), cols: 1, colWidth: legendThumb + legendGap + w + legendPad}
	across := float64(Width - 80 - 2*legendInset - legendPad) // about the plot area's width
	for lg.rows > 1 && legendHeight(lg.rows) > plotHeight/2 && float64(lg.cols+1)*lg.colWidth <= across {
		lg.cols++
		lg.rows = (len(p.Lines) + lg.cols - 1) / lg.cols
	}
	return lg
}

// A frame is where the plot area sits on the canvas.
type frame struct{ left, top, right, bottom float64 }

func (f frame) at(p *Plot, v XY) Pt {
	return Pt{
		X: f.left + p.X.norm(v.X)*(f.right-f.left),
		Y: f.bottom - p.Y.norm(v.Y)*(f.bottom-f.top),
	}
}

// Draw lays p out on a [Width] by [Height] canvas. It leaves p as it
// was, so p can be drawn again, with or without its title.
func (p *Plot) Draw() *Canvas {
	cp := *p
	p = &cp // the Y axis's range is the layout's to set
	c := &Canvas{W: Width, H: Height}
	const pad = 6 // around the edge

	// Top to bottom: the title, the plot area, the X ticks' labels and
	// the X axis's name.
	var f frame
	f.top = pad + tickSize/2 // room for the top Y tick's label
	if p.Title != "" {
		f.top = pad + titleSize + 10
	}
	f.bottom = Height - pad - labelSize*0.3 - labelSize - 6 - tickSize - 3 - tickLen

	// The Y axis's range hangs on the plot area's height and the legend's.
	lg := p.newLegend(f.bottom - f.top)
	if p.YHeadroom {
		p.Y.Max = headroom(p.YMax, lg.rows, f.bottom-f.top)
		if st := niceStep(p.Y.Min, p.Y.Max); st > 0 {
			p.Y.Max = math.Ceil(p.Y.Max/st-1e-9) * st // end on a tick
		}
	}
	xt := p.X.Ticks.Ticks(p.X.Min, p.X.Max)
	yt := p.Y.Ticks.Ticks(p.Y.Min, p.Y.Max)

	// Left to right: the Y axis's name, its ticks' labels, the plot area,
	// and room for half of the last X tick's label.
	yw := 0.0
	for _, t := range yt {
		yw = max(yw, TextWidth(t.Label, tickSize))
	}
	f.left = pad + labelSize + 8 + yw + 3 + tickLen
	f.right = Width - pad - 6
	for _, t := range xt {
		if t.Label != "" && p.X.norm(t.Value) > 1-1e-9 {
			f.right = min(f.right, Width-pad-TextWidth(t.Label, tickSize)/2)
		}
	}

	// Grid, then axes and ticks.
	grid := Stroke{Color: gridColor, Width: 0.5}
	for _, t := range xt {
		if x := f.at(p, XY{t.Value, p.Y.Min}).X; t.Label != "" && x > f.left+1e-6 {
			c.line("grid", grid, Pt{x, f.top}, Pt{x, f.bottom})
		}
	}
	for _, t := range yt {
		if y := f.at(p, XY{p.X.Min, t.Value}).Y; t.Label != "" && y < f.bottom-1e-6 {
			c.line("grid", grid, Pt{f.left, y}, Pt{f.right, y})
		}
	}
	axisStroke := Stroke{Color: black, Width: 0.75}
	c.line("axis", axisStroke, Pt{f.left, f.top}, Pt{f.left, f.bottom}, Pt{f.right, f.bottom})
	for _, t := range thin(xt, func(t Tick) (float64, float64) {
		x := f.at(p, XY{t.Value, p.Y.Min}).X
		w := TextWidth(t.Label, tickSize)
		return x - w/2, x + w/2
	}) {
		x := f.at(p, XY{t.Value, p.Y.Min}).X
		n := tickLen
		if t.Label == "" {
			n /= 2
		}
		c.line("tick", axisStroke, Pt{x, f.bottom}, Pt{x, f.bottom + n})
		if t.Label != "" {
			c.text(Text{Class: "tick", At: Pt{x, f.bottom + tickLen + 3 + tickSize*0.8}, S: t.Label,
				Size: tickSize, Anchor: AnchorMiddle, Color: ink})
		}
	}
	for _, t := range yt {
		y := f.at(p, XY{p.X.Min, t.Value}).Y
		n := tickLen
		if t.Label == "" {
			n /= 2
		}
		c.line("tick", axisStroke, Pt{f.left - n, y}, Pt{f.left, y})
		if t.Label != "" {
			c.text(Text{Class: "tick", At: Pt{f.left - tickLen - 3, y + tickSize*0.35}, S: t.Label,
				Size: tickSize, Anchor: AnchorEnd, Color: ink})
		}
	}

	// The names: the title over the plot area, the axes' beside theirs.
	if p.Title != "" {
		c.text(Text{Class: "title", At: Pt{(f.left + f.right) / 2, pad + titleSize*0.8}, S: p.Title,
			Size: titleSize, Anchor: AnchorMiddle, Color: ink})
	}
	c.text(Text{Class: "label", At: Pt{(f.left + f.right) / 2, Height - pad - labelSize*0.3}, S: p.X.Label,
		Size: labelSize, Anchor: AnchorMiddle, Color: ink})
	c.text(Text{Class: "label", At: Pt{pad + labelSize*0.8, (f.top + f.bottom) / 2}, S: p.Y.Label,
		Size: labelSize, Anchor: AnchorMiddle, Up: true, Color: ink})

	// The lines, the first on top.
	for i := len(p.Lines) - 1; i >= 0; i-- {
		l := p.Lines[i]
		var pts []Pt
		for j, v := range l.Pts {
			if l.Step && j > 0 {
				pts = append(pts, f.at(p, XY{l.Pts[j-1].X, v.Y}))
			}
			pts = append(pts, f.at(p, v))
		}
		c.line("line", l.Stroke, pts...)
	}

	// The legend, over everything.
	if len(p.Lines) > 0 {
		box := Rect{Class: "legend",
			Min:    Pt{f.left + legendInset, f.top + legendInset},
			Fill:   legendFill,
			Stroke: Stroke{Color: legendEdge, Width: 0.5}}
		box.Max = Pt{box.Min.X + legendPad + float64(lg.cols)*lg.colWidth, box.Min.Y + legendHeight(lg.rows)}
		c.Shapes = append(c.Shapes, box)
		for i, l := range p.Lines {
			x := box.Min.X + legendPad + float64(i/lg.rows)*lg.colWidth
			y := box.Min.Y + legendPad + (float64(i%lg.rows)+0.5)*legendRow
			c.line("key", l.Stroke, Pt{x, y}, Pt{x + legendThumb, y})
			c.text(Text{Class: "key", At: Pt{x + legendThumb + legendGap, y + legendSize*0.35}, S: l.Name,
				Size: legendSize, Color: ink})
		}
	}
	return c
}

// thin drops the labels of ticks whose labels would overlap, keeping
// every k-th label for the smallest k that clears them all; extent gives
// a label's left and right edges.
func thin(ticks []Tick, extent func(Tick) (float64, float64)) []Tick {
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
			out := make([]Tick, len(ticks))
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

// NiceTicks marks a linear axis from lo to hi at 1-2-5 steps: the
// smallest step of 1, 2 or 5 times a power of ten that cuts the axis into
// at most eight intervals, labelled, with unlabelled ticks between; label
// formats a labelled tick's value. An empty axis (hi <= lo) has none.
func NiceTicks(lo, hi float64, label func(float64) string) []Tick {
	st := niceStep(lo, hi)
	if st == 0 {
		return nil
	}
	minor := st / 5
	if m := st / math.Pow10(int(math.Floor(math.Log10(st)+1e-9))); math.Abs(m-2) < 1e-9 {
		minor = st / 4
	}
	eps := st * 1e-9
	var ticks []Tick
	k := math.Ceil((lo - eps) / minor)
	for n := 0; n <= 5*maxTicks+1; n++ { // bounded: k+1 == k when k is huge
		v := (k + float64(n)) * minor
		if v > hi+eps {
			break
		}
		t := Tick{Value: v}
		if q := v / st; math.Abs(q-math.Round(q)) < 1e-6 {
			v = math.Round(q) * st
			if math.Abs(v) < eps {
				v = 0 // not -0
			}
			t = Tick{Value: v, Label: label(v)}
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// LabelledTicks mark a linear axis at 1-2-5 steps ([NiceTicks]), with
// their labels formatted by the function, such as [PlainNumber] or
// [SINumber].
type LabelledTicks func(float64) string

// Ticks implements [Ticker].
func (f LabelledTicks) Ticks(lo, hi float64) []Tick { return NiceTicks(lo, hi, f) }

// PlainNumber formats v with no more digits than it needs: 0, 0.25, 1500.
func PlainNumber(v float64) string {
	return strconv.FormatFloat(math.Round(v*1e6)/1e6, 'f', -1, 64)
}

// SINumber formats v with an SI prefix and at most four digits: 0, 750,
// 12.5k, 3M, 1.25G.
func SINumber(v float64) string {
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

// seriesColors are the lines' colours, series by series (Tableau 10);
// seriesDashes tell lines apart where colours do not (in print, or to the
// colour blind).
var (
	seriesColors = []color.RGBA{
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
	seriesDashes = [][]float64{
		nil,
		{6, 3},
		{2, 2},
		{8, 3, 2, 3},
		{12, 4},
	}
)

// SeriesStyle is how the i-th series' line is drawn: a colour of ten and
// a dash pattern of five, so that a series looks the same in every chart
// of a report.
func SeriesStyle(i int) Stroke {
	return Stroke{
		Color: seriesColors[i%len(seriesColors)],
		Width: 1.75,
		Dash:  seriesDashes[i%len(seriesDashes)],
	}
}

// SeriesColor is the i-th series' colour as CSS, "#1f77b4", for a
// page's legend or table beside the chart.
func SeriesColor(i int) string {
	c := seriesColors[i%len(seriesColors)]
	return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B)
}
