package chart

import (
	"image/color"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// A Canvas is a chart drawn as a list of shapes, in points (1/72 inch)
// from the top-left corner, y growing down. The SVG and PNG back ends
// ([WriteSVG], [EncodePNG]) render the same list, so the two look alike.
type Canvas struct {
	W, H   float64 // the size, in points
	Shapes []Shape // drawn in order, each over those before it
}

// A Shape is one of [Polyline], [Rect] and [Text].
type Shape interface{ isShape() }

// A Pt is a point on a canvas.
type Pt struct{ X, Y float64 }

// A Stroke is how a line is drawn: round joins, butt ends.
type Stroke struct {
	Color color.RGBA
	Width float64   // zero draws nothing
	Dash  []float64 // lengths on, off, on, ...; nil is solid
}

// A Polyline is a line through its points.
type Polyline struct {
	Class  string // what it is: "line" (a series' data), "grid", "axis", "tick", "key"
	Points []Pt
	Stroke
}

// A Rect is an axis-aligned rectangle, filled and outlined.
type Rect struct {
	Class    string // "legend"
	Min, Max Pt
	Fill     color.RGBA // nothing when transparent
	Stroke
}

// A Text is one line of text.
type Text struct {
	Class  string // "title", "label", "tick", "key"
	At     Pt     // where the baseline meets the anchor
	S      string
	Size   float64 // the font size, in points
	Anchor Anchor
	Up     bool // rotated a quarter turn anticlockwise, reading upwards
	Color  color.RGBA
}

func (Polyline) isShape() {}
func (Rect) isShape()     {}
func (Text) isShape()     {}

// An Anchor is which part of a [Text] sits at its At point.
type Anchor int

// The anchors: a text starts at, is centred on, or ends at its point.
const (
	AnchorStart Anchor = iota
	AnchorMiddle
	AnchorEnd
)

func (c *Canvas) line(class string, s Stroke, pts ...Pt) {
	c.Shapes = append(c.Shapes, Polyline{Class: class, Points: pts, Stroke: s})
}

func (c *Canvas) text(t Text) { c.Shapes = append(c.Shapes, t) }

var (
	black = color.RGBA{0, 0, 0, 0xff}
	white = color.RGBA{0xff, 0xff, 0xff, 0xff}
	ink   = color.RGBA{0x22, 0x22, 0x22, 0xff} // text
)

// textFont is the face a PNG's text is drawn in, and the metrics both
// back ends lay text out by: Go Regular, a sans-serif whose widths are
// within 2% of Arial's, Helvetica's and Liberation Sans's (svgFonts). It
// is parsed on first use, so a process that draws no chart pays nothing.
var textFont = sync.OnceValue(func() *sfnt.Font {
	f, err := sfnt.Parse(goregular.TTF)
	if err != nil {
		panic("chart: parse Go Regular: " + err.Error()) // it is compiled in
	}
	return f
})

// TextWidth is how wide s is set in size points, as both back ends lay
// text out: in Go Regular's metrics.
func TextWidth(s string, size float64) float64 {
	f := textFont()
	var b sfnt.Buffer
	upem := fixed.Int26_6(f.UnitsPerEm()) // so advances come in font units
	var w fixed.Int26_6
	prev := sfnt.GlyphIndex(0)
	for _, r := range s {
		g, err := f.GlyphIndex(&b, r)
		if err != nil {
			continue
		}
		if prev != 0 {
			if k, err := f.Kern(&b, prev, g, upem, font.HintingNone); err == nil {
				w += k
			}
		}
		if a, err := f.GlyphAdvance(&b, g, upem, font.HintingNone); err == nil {
			w += a
		}
		prev = g
	}
	return float64(w) * size / float64(upem)
}
