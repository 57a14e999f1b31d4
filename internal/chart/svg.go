package chart

import (
	"bufio"
	"fmt"
	"html"
	"image/color"
	"io"
	"strconv"
	"strings"
)

// svgFonts is the font list an SVG's text asks for: the reader's own
// fonts, nothing embedded or fetched. The first three share their widths
// with Go Regular, which the layout measures text by (textFont), so with
// any of them every label sits where it was placed; DejaVu Sans, many a
// Linux's sans-serif, runs about 12% wider, which the layout leaves room
// for.
const svgFonts = "Arial, Helvetica, 'Liberation Sans', sans-serif"

// WriteSVG writes c as an SVG element, without an XML declaration, to
// stand alone or inside an HTML page. attrs are extra attributes for
// the root element, name and value, such as {"id", "throughput-chart"};
// WriteSVG escapes the values, and every text it draws.
func WriteSVG(w io.Writer, c *Canvas, attrs [][2]string) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s"`,
		num(c.W), num(c.H), num(c.W), num(c.H))
	for _, a := range attrs {
		fmt.Fprintf(b, ` %s="%s"`, a[0], html.EscapeString(a[1]))
	}
	fmt.Fprintf(b, ` font-family="%s" stroke-linejoin="round">`+"\n", html.EscapeString(svgFonts))
	fmt.Fprintf(b, `<rect width="%s" height="%s" fill="#fff"/>`+"\n", num(c.W), num(c.H))
	for _, s := range c.Shapes {
		switch s := s.(type) {
		case Polyline:
			if len(s.Points) < 2 || s.Width <= 0 {
				continue
			}
			fmt.Fprintf(b, `<polyline class="%s" fill="none"%s points="`, s.Class, svgStroke(s.Stroke))
			for i, p := range s.Points {
				if i > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(num(p.X) + "," + num(p.Y))
			}
			b.WriteString(`"/>` + "\n")
		case Rect:
			fmt.Fprintf(b, `<rect class="%s" x="%s" y="%s" width="%s" height="%s" fill="%s"%s/>`+"\n",
				s.Class, num(s.Min.X), num(s.Min.Y), num(s.Max.X-s.Min.X), num(s.Max.Y-s.Min.Y),
				svgColor(s.Fill), svgStroke(s.Stroke))
		case Text:
			anchor := ""
			switch s.Anchor {
			case AnchorMiddle:
				anchor = ` text-anchor="middle"`
			case AnchorEnd:
				anchor = ` text-anchor="end"`
			}
			rotate := ""
			if s.Up {
				rotate = fmt.Sprintf(` transform="rotate(-90 %s %s)"`, num(s.At.X), num(s.At.Y))
			}
			fmt.Fprintf(b, `<text class="%s" x="%s" y="%s" font-size="%s" fill="%s"%s%s>%s</text>`+"\n",
				s.Class, num(s.At.X), num(s.At.Y), num(s.Size), svgColor(s.Color), anchor, rotate,
				html.EscapeString(s.S))
		}
	}
	b.WriteString("</svg>\n")
	return b.Flush()
}

func svgStroke(s Stroke) string {
	if s.Width <= 0 || s.Color.A == 0 {
		return ""
	}
	a := fmt.Sprintf(` stroke="%s" stroke-width="%s"`, svgColor(s.Color), num(s.Width))
	if len(s.Dash) > 0 {
		ds := make([]string, len(s.Dash))
		for i, d := range s.Dash {
			ds[i] = num(d)
		}
		a += ` stroke-dasharray="` + strings.Join(ds, " ") + `"`
	}
	return a
}

// svgColor is c as CSS; c is alpha-premultiplied, as in image/color.
func svgColor(c color.RGBA) string {
	switch c.A {
	case 0:
		return "none"
	case 0xff:
		return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B)
	}
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	return fmt.Sprintf("rgba(%d,%d,%d,%s)", n.R, n.G, n.B, strconv.FormatFloat(float64(n.A)/0xff, 'f', 3, 64))
}

// num formats a coordinate to a hundredth of a point.
func num(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		s = "0"
	}
	return s
}
