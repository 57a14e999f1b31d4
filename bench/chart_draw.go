package bench

import (
	"image/color"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// A canvas is a chart drawn as a list of shapes, in points (1/72 inch)
// from the top-left corner, y growing down. The SVG and PNG back ends
// (writeSVG, rasterise) render the same list, so the two look alike.
type canvas struct {
	w, h   float64
	shapes []shape
}

// A shape is one of polyline, rect and text.
type shape interface{ isShape() }

// A point on a canvas.
type pt struct{ X, Y float64 }

// A stroke is how a line is drawn: round joins, butt ends.
type stroke struct {
	Color color.RGBA
	Width float64   // zero draws nothing
	Dash  []float64 // lengths on, off, on, ...; nil is solid
}

// A polyline is a line through its points.
type polyline struct {
	Class  string // what it is: "line" (a run's data), "grid", "axis", "tick", "key"
	Points []pt
	stroke
}

// A rect is an axis-aligned rectangle, filled and outlined.
type rect struct {
	Class    string // "legend"
	Min, Max pt
	Fill     color.RGBA // nothing when transparent
	stroke
}

// A text is one line of text.
type text struct {
	Class  string // "title", "label", "tick", "key"
	At     pt     // where the baseline meets the anchor
	S      string
	Size   float64 // the font size, in points
	Anchor anchor
	Up     bool // rotated a quarter turn anticlockwise, reading upwards
	Color  color.RGBA
}

func (polyline) isShape() {}
func (rect) isShape()     {}
func (text) isShape()     {}

// anchor is which part of a text sits at its At point.
type anchor int

const (
	anchorStart anchor = iota
	anchorMiddle
	anchorEnd
)

func (c *canvas) line(class string, s stroke, pts ...pt) {
	c.shapes = append(c.shapes, polyline{Class: class, Points: pts, stroke: s})
}

func (c *canvas) text(t text) { c.shapes = append(c.shapes, t) }

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
		panic("bench: parse Go Regular: " + err.Error()) // it is compiled in
	}
	return f
})

// textWidth is how wide s is set in size points.
func textWidth(s string, size float64) float64 {
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
