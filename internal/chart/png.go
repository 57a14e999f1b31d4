package chart

import (
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// pngScale is a PNG's pixels per point: a Width by Height chart (8x4.5
// inches) at 144 dots per inch is 1152x648 pixels.
const pngScale = 2

// EncodePNG rasterises c, two pixels to the point (144 dots per inch:
// a [Width] by [Height] canvas is 1152x648 pixels), and writes it as a
// PNG.
func EncodePNG(w io.Writer, c *Canvas) error {
	return png.Encode(w, rasterise(c))
}

// rasterise draws c on a white image, pngScale pixels to the point, with
// the same strokes, dashes and text as WriteSVG asks a browser for.
func rasterise(c *Canvas) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, int(math.Round(c.W*pngScale)), int(math.Round(c.H*pngScale))))
	draw.Draw(img, img.Bounds(), image.NewUniform(white), image.Point{}, draw.Src)
	r := &raster{dst: img}
	for _, s := range c.Shapes {
		switch s := s.(type) {
		case Polyline:
			r.stroke(scalePts(s.Points), s.Stroke)
		case Rect:
			ps := scalePts([]Pt{s.Min, {s.Max.X, s.Min.Y}, s.Max, {s.Min.X, s.Max.Y}, s.Min})
			if s.Fill.A > 0 {
				r.fill(ps, s.Fill)
			}
			r.stroke(ps, s.Stroke)
		case Text:
			r.text(s)
		}
	}
	return img
}

func scalePts(ps []Pt) []Pt {
	out := make([]Pt, len(ps))
	for i, p := range ps {
		out[i] = Pt{p.X * pngScale, p.Y * pngScale}
	}
	return out
}

// raster draws shapes on dst, each through a rasteriser the size of the
// shape's bounds.
type raster struct {
	dst    *image.RGBA
	z      vector.Rasterizer
	origin Pt // of z, in dst
}

// begin readies z for a shape inside b, in pixels; it reports false when
// b misses dst.
func (r *raster) begin(minX, minY, maxX, maxY float64) bool {
	b := image.Rect(int(math.Floor(minX))-1, int(math.Floor(minY))-1, int(math.Ceil(maxX))+1, int(math.Ceil(maxY))+1)
	b = b.Intersect(r.dst.Bounds())
	if b.Empty() {
		return false
	}
	r.z.Reset(b.Dx(), b.Dy())
	r.origin = Pt{float64(b.Min.X), float64(b.Min.Y)}
	return true
}

func (r *raster) end(c color.RGBA) {
	b := image.Rectangle{Min: image.Pt(int(r.origin.X), int(r.origin.Y))}
	b.Max = b.Min.Add(r.z.Size())
	r.z.Draw(r.dst, b, image.NewUniform(c), image.Point{})
}

// polygon adds a closed path through ps.
func (r *raster) polygon(ps ...Pt) {
	for i, p := range ps {
		x, y := float32(p.X-r.origin.X), float32(p.Y-r.origin.Y)
		if i == 0 {
			r.z.MoveTo(x, y)
		} else {
			r.z.LineTo(x, y)
		}
	}
	r.z.ClosePath()
}

func bounds(ps []Pt) (minX, minY, maxX, maxY float64) {
	minX, minY, maxX, maxY = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range ps {
		minX, maxX = min(minX, p.X), max(maxX, p.X)
		minY, maxY = min(minY, p.Y), max(maxY, p.Y)
	}
	return minX, minY, maxX, maxY
}

func (r *raster) fill(ps []Pt, c color.RGBA) {
	if len(ps) < 3 || !r.begin(bounds(ps)) {
		return
	}
	r.polygon(ps...)
	r.end(c)
}

// stroke draws a line through ps (in pixels) as s says: the stroke's
// outline is a quadrilateral per segment and a disc at each join, all
// wound the same way so that where they overlap they do not cancel.
func (r *raster) stroke(ps []Pt, s Stroke) {
	if len(ps) < 2 || s.Width <= 0 || s.Color.A == 0 {
		return
	}
	hw := s.Width * pngScale / 2
	if straight(ps) {
		ps = snap(ps, 2*hw)
	}
	minX, minY, maxX, maxY := bounds(ps)
	if !r.begin(minX-hw, minY-hw, maxX+hw, maxY+hw) {
		return
	}
	pieces := [][]Pt{ps}
	if len(s.Dash) > 0 {
		dash := make([]float64, len(s.Dash))
		for i, d := range s.Dash {
			dash[i] = d * pngScale
		}
		pieces = dashes(ps, dash)
	}
	for _, p := range pieces {
		closed := len(p) > 2 && p[0] == p[len(p)-1]
		for i := 1; i < len(p); i++ {
			a, b := p[i-1], p[i]
			dx, dy := b.X-a.X, b.Y-a.Y
			l := math.Hypot(dx, dy)
			if l == 0 {
				continue
			}
			nx, ny := -dy/l*hw, dx/l*hw
			r.polygon(Pt{a.X + nx, a.Y + ny}, Pt{b.X + nx, b.Y + ny}, Pt{b.X - nx, b.Y - ny}, Pt{a.X - nx, a.Y - ny})
			if i < len(p)-1 || closed {
				r.disc(b, hw)
			}
		}
	}
	r.end(s.Color)
}

// disc adds a round join at c of radius hw, wound as stroke's
// quadrilaterals are.
func (r *raster) disc(c Pt, hw float64) {
	const n = 16
	ps := make([]Pt, n)
	for k := range ps {
		a := -2 * math.Pi * float64(k) / n
		ps[k] = Pt{c.X + hw*math.Cos(a), c.Y + hw*math.Sin(a)}
	}
	r.polygon(ps...)
}

// straight reports whether every segment of ps is horizontal or vertical.
func straight(ps []Pt) bool {
	for i := 1; i < len(ps); i++ {
		if ps[i].X != ps[i-1].X && ps[i].Y != ps[i-1].Y {
			return false
		}
	}
	return true
}

// snap moves the points of a line of width w pixels, all horizontal and
// vertical segments, to where its edges fall on pixel boundaries, so that
// a grid line is one sharp pixel wide rather than two faint ones.
func snap(ps []Pt, w float64) []Pt {
	off := 0.0
	if int(math.Round(w))%2 == 1 {
		off = 0.5
	}
	out := make([]Pt, len(ps))
	for i, p := range ps {
		out[i] = Pt{math.Floor(p.X) + off, math.Floor(p.Y) + off}
		if off == 0 {
			out[i] = Pt{math.Round(p.X), math.Round(p.Y)}
		}
	}
	return out
}

// dashes cuts a line through ps into the pieces that a dash pattern
// (lengths on, off, on, ...) draws, starting with the first on.
func dashes(ps []Pt, dash []float64) [][]Pt {
	total := 0.0
	for _, d := range dash {
		total += d
	}
	if total <= 0 {
		return [][]Pt{ps}
	}
	var pieces [][]Pt
	var cur []Pt
	i, left := 0, dash[0] // the dash we are in, and its length still to go
	on := true
	cur = []Pt{ps[0]}
	for j := 1; j < len(ps); j++ {
		a, b := ps[j-1], ps[j]
		l := math.Hypot(b.X-a.X, b.Y-a.Y)
		for done := 0.0; l-done > 0; {
			step := min(left, l-done)
			done += step
			left -= step
			p := Pt{a.X + (b.X-a.X)*done/l, a.Y + (b.Y-a.Y)*done/l}
			if on {
				cur = append(cur, p)
			}
			if left <= 1e-9 {
				if on && len(cur) > 1 {
					pieces = append(pieces, cur)
				}
				i = (i + 1) % len(dash)
				left = dash[i]
				on = i%2 == 0
				cur = nil
				if on {
					cur = []Pt{p}
				}
			}
		}
	}
	if on && len(cur) > 1 {
		pieces = append(pieces, cur)
	}
	return pieces
}

// text draws t's glyphs from textFont's outlines.
func (r *raster) text(t Text) {
	if t.S == "" {
		return
	}
	f := textFont()
	var b sfnt.Buffer
	size := t.Size * pngScale
	ppem := fixed.Int26_6(math.Round(size * 64))
	w := TextWidth(t.S, t.Size) * pngScale
	var u0 float64 // where the text starts along its baseline
	switch t.Anchor {
	case AnchorMiddle:
		u0 = -w / 2
	case AnchorEnd:
		u0 = -w
	}
	at := Pt{t.At.X * pngScale, t.At.Y * pngScale}
	// (u, v) is along the baseline and down from it.
	place := func(u, v float64) Pt {
		if t.Up {
			return Pt{at.X + v, at.Y - u}
		}
		return Pt{at.X + u, at.Y + v}
	}
	asc, desc := size, size*0.35
	if m, err := f.Metrics(&b, ppem, font.HintingNone); err == nil {
		asc, desc = fixedFloat(m.Ascent), fixedFloat(m.Descent)
	}
	minX, minY, maxX, maxY := bounds([]Pt{place(u0-1, -asc-1), place(u0+w+1, desc+1)})
	if !r.begin(minX, minY, maxX, maxY) {
		return
	}
	pen := u0
	prev := sfnt.GlyphIndex(0)
	for _, c := range t.S {
		g, err := f.GlyphIndex(&b, c)
		if err != nil {
			continue
		}
		if prev != 0 {
			if k, err := f.Kern(&b, prev, g, ppem, font.HintingNone); err == nil {
				pen += fixedFloat(k)
			}
		}
		prev = g
		segs, err := f.LoadGlyph(&b, g, ppem, nil)
		if err != nil {
			continue
		}
		p := func(a fixed.Point26_6) (float32, float32) {
			q := place(pen+fixedFloat(a.X), fixedFloat(a.Y))
			return float32(q.X - r.origin.X), float32(q.Y - r.origin.Y)
		}
		started := false
		for _, s := range segs {
			switch s.Op {
			case sfnt.SegmentOpMoveTo:
				if started {
					r.z.ClosePath()
				}
				started = true
				r.z.MoveTo(p(s.Args[0]))
			case sfnt.SegmentOpLineTo:
				r.z.LineTo(p(s.Args[0]))
			case sfnt.SegmentOpQuadTo:
				bx, by := p(s.Args[0])
				cx, cy := p(s.Args[1])
				r.z.QuadTo(bx, by, cx, cy)
			case sfnt.SegmentOpCubeTo:
				bx, by := p(s.Args[0])
				cx, cy := p(s.Args[1])
				dx, dy := p(s.Args[2])
				r.z.CubeTo(bx, by, cx, cy, dx, dy)
			}
		}
		if started {
			r.z.ClosePath()
		}
		if a, err := f.GlyphAdvance(&b, g, ppem, font.HintingNone); err == nil {
			pen += fixedFloat(a)
		}
	}
	r.end(t.Color)
}

func fixedFloat(v fixed.Int26_6) float64 { return float64(v) / 64 }
