// Package chart draws line charts, to SVG and to PNG, with nothing but
// the standard library and golang.org/x/image.
//
// A [Plot] is a chart before it is drawn: a title, an X and a Y [Axis]
// (linear or log10, ticked by a [Ticker] such as [LabelledTicks]) and
// [Line] series, each a [Stroke] ([SeriesStyle] gives the i-th series
// its colour and dashes). [Plot.Draw] lays it out on a [Width] by
// [Height] [Canvas], a list of shapes with a legend that clears the
// lines; [WriteSVG] writes a canvas as an SVG element (for an HTML page)
// and [EncodePNG] rasterises it, with the same strokes and text in Go
// Regular, whose font is parsed on the first draw, so that a process
// that draws nothing pays nothing for it.
//
// bench's report (latency by percentile, throughput over time) and perf's
// (throughput, jitter and loss per interval) are drawn with it.
package chart
