package perf

import (
	"bufio"
	"errors"
	"fmt"
	"html"
	"io"
	"strings"
	"time"

	"github.com/sockit/sockit/internal/chart"
)

// errNoResults is what the report writers return when given nothing to show.
var errNoResults = errors.New("perf: no results to report")

// maxStreamLines is the most streams a chart draws a line for each of,
// beside the sums per direction; past it, only the sums.
const maxStreamLines = 8

// reportChart is one of a report's charts; plot is nil when there is
// nothing to draw in it, and empty then says why.
type reportChart struct {
	id    string // the chart's element id in the HTML report
	file  string // the PNG's file name
	title string
	empty string
	plot  *chart.Plot
}

// reportCharts draws the charts of results: throughput per interval, and
// for datagram tests jitter and loss per interval.
func reportCharts(results []*Result) ([]reportChart, error) {
	udp := false
	for i, r := range results {
		if r == nil {
			return nil, fmt.Errorf("perf: result %d is nil", i+1)
		}
		if len(r.Streams) == 0 && len(r.Intervals) == 0 {
			return nil, fmt.Errorf("perf: result %d is empty: no streams and no intervals (did the test start?)", i+1)
		}
		udp = udp || DatagramNetwork(r.Network)
	}
	cs := []reportChart{{
		id: "throughput-chart", file: "throughput.png", title: "Throughput per interval",
		empty: "No interval was reported (-i 0).",
		plot: intervalPlot(results, "Throughput per interval", "bits per second", chart.SINumber, 1, false,
			func(st []StreamStats) float64 {
				bps := 0.0
				for _, s := range st {
					bps += s.BitsPerSecond()
				}
				return bps
			}),
	}}
	if !udp {
		return cs, nil
	}
	empty := "No interval of this result received datagrams: " + receiverNote(results) +
		" The summary above has the receiver's totals."
	cs = append(cs, reportChart{
		id: "jitter-chart", file: "jitter.png", title: "Jitter per interval", empty: empty,
		plot: intervalPlot(results, "Jitter per interval", "jitter (ms)", chart.PlainNumber, 0.01, true,
			func(st []StreamStats) float64 {
				var sum time.Duration
				for _, s := range st {
					sum += s.Jitter
				}
				return float64(sum) / float64(len(st)) / float64(time.Millisecond) // the mean, as iperf3 sums jitter
			}),
	}, reportChart{
		id: "loss-chart", file: "loss.png", title: "Datagrams lost per interval", empty: empty,
		plot: intervalPlot(results, "Datagrams lost per interval", "lost datagrams (%)", chart.PlainNumber, 1, true,
			func(st []StreamStats) float64 {
				var sum StreamStats
				for _, s := range st {
					sum.Packets += s.Packets
					sum.Lost += s.Lost
				}
				return sum.LostPercent()
			}),
	})
	return cs, nil
}

// A series is one line of an interval chart: the intervals' figures of
// a direction's streams (summed), or of one stream.
type series struct {
	name  string
	style int // its chart.SeriesStyle
	pick  func(StreamStats) bool
}

// seriesKey names a series: a result's direction (stream -1, the sum) or
// one of its streams.
type seriesKey struct {
	result  int
	reverse bool
	stream  int
}

// seriesStyles numbers the series of results, so that each is drawn the
// same in every chart and the summary table's swatches match: the sums
// first, result by result and direction by direction, then the streams
// that get lines of their own.
func seriesStyles(results []*Result) map[seriesKey]int {
	m := map[seriesKey]int{}
	for ri, r := range results {
		for _, rev := range r.Directions() {
			m[seriesKey{ri, rev, -1}] = len(m)
		}
	}
	for ri, r := range results {
		if len(r.Streams) > maxStreamLines {
			continue
		}
		for _, rev := range r.Directions() {
			var ids []int
			for _, s := range r.Streams {
				if s.Reverse == rev {
					ids = append(ids, s.ID)
				}
			}
			if len(ids) < 2 {
				continue // the sum is the stream
			}
			for _, id := range ids {
				m[seriesKey{ri, rev, id}] = len(m)
			}
		}
	}
	return m
}

// intervalPlot draws, for each result and direction, a step line of
// value over each interval's streams going that way, and a line per
// stream when a direction has several and the result at most
// maxStreamLines. received keeps to the streams this side received on
// (jitter and loss are the receiver's). With nothing to draw it returns
// nil; yFloor is the least the Y axis reaches.
func intervalPlot(results []*Result, title, yLabel string, label func(float64) string, yFloor float64, received bool,
	value func([]StreamStats) float64) *chart.Plot {
	p := &chart.Plot{
		Title:     title,
		X:         chart.Axis{Label: "time since the test started (s)", Ticks: chart.LabelledTicks(chart.PlainNumber)},
		Y:         chart.Axis{Label: yLabel, Ticks: chart.LabelledTicks(label)},
		YHeadroom: true,
	}
	styles := seriesStyles(results)
	var maxY, maxT float64
	for ri, r := range results {
		reverse := r.reverseByID()
		prefix := ""
		if len(results) > 1 {
			prefix = fmt.Sprintf("test %d: ", ri+1)
		}
		var lines []series
		for _, rev := range r.Directions() {
			dir := direction(rev)
			lines = append(lines, series{name: prefix + dir, style: styles[seriesKey{ri, rev, -1}],
				pick: func(st StreamStats) bool { return reverse[st.ID] == rev && (!received || !st.Sender) }})
			for _, s := range r.Streams {
				if i, ok := styles[seriesKey{ri, rev, s.ID}]; ok && s.Reverse == rev {
					lines = append(lines, series{name: fmt.Sprintf("%sstream %d (%s)", prefix, s.ID, dir), style: i,
						pick: func(st StreamStats) bool { return st.ID == s.ID && (!received || !st.Sender) }})
				}
			}
		}
		for _, l := range lines {
			var pts []chart.XY
			for _, iv := range r.Intervals {
				var st []StreamStats
				for _, s := range iv.Streams {
					if l.pick(s) {
						st = append(st, s)
					}
				}
				if len(st) == 0 {
					continue
				}
				y := value(st)
				if len(pts) == 0 {
					pts = append(pts, chart.XY{X: iv.Start.Seconds(), Y: y})
				}
				pts = append(pts, chart.XY{X: iv.End.Seconds(), Y: y})
				maxY, maxT = max(maxY, y), max(maxT, iv.End.Seconds())
			}
			if len(pts) == 0 {
				continue
			}
			p.Lines = append(p.Lines, chart.Line{Name: l.name, Pts: pts, Step: true, Stroke: chart.SeriesStyle(l.style)})
		}
	}
	if len(p.Lines) == 0 {
		return nil
	}
	p.X.Max = maxT
	p.YMax = max(maxY, yFloor)
	return p
}

// reverseByID says of each stream of r whether the server sent on it.
func (r *Result) reverseByID() map[int]bool {
	m := make(map[int]bool, len(r.Streams))
	for _, s := range r.Streams {
		m[s.ID] = s.Reverse
	}
	return m
}

// direction names a way data went.
func direction(reverse bool) string {
	if reverse {
		return "server to client"
	}
	return "client to server"
}

// server reports whether r is a server's Result: whether it sent on the
// streams the server sends on. It is false when r has no interval to
// tell by.
func (r *Result) server() bool {
	reverse := r.reverseByID()
	for _, iv := range r.Intervals {
		for _, s := range iv.Streams {
			return s.Sender == reverse[s.ID]
		}
	}
	return false
}

// receiverNote says whose intervals a receiver's figures are when a
// result only has a sender's.
func receiverNote(results []*Result) string {
	peer := "the server's"
	if len(results) > 0 && results[0].server() {
		peer = "the client's"
	}
	return "this side sent, and the receiver's intervals are " + peer + "; a Result has only its own side's intervals."
}

// WritePNG draws the charts of results as PNG files in dir, creating dir
// if need be: throughput.png (bits per second per interval, a line per
// direction, and per stream for up to 8 streams), and for UDP tests
// jitter.png (ms) and loss.png (lost datagrams, percent) per interval on
// the side that received. It returns the files' paths. A chart with
// nothing to draw, such as jitter on the client of a UDP test to the
// server, whose receiver's intervals are the server's, is not written.
func WritePNG(dir string, results ...*Result) ([]string, error) {
	if len(results) == 0 {
		return nil, errNoResults
	}
	cs, err := reportCharts(results)
	if err != nil {
		return nil, err
	}
	files := make([]chart.File, len(cs))
	for i, c := range cs {
		files[i] = chart.File{Name: c.file, Plot: c.plot}
	}
	paths, err := chart.WritePNGFiles(dir, files)
	if err != nil {
		return paths, fmt.Errorf("perf: %w", err)
	}
	return paths, nil
}

// WriteHTML writes results as one self-contained HTML page: each test's
// parameters, a summary table per direction (bytes sent and received,
// the rate, TCP's retransmits, UDP's jitter and loss), and the charts
// WritePNG draws, as inline SVG with the ids "throughput-chart",
// "jitter-chart" and "loss-chart". A chart with nothing to draw is a
// note saying why. The page fetches nothing.
func WriteHTML(w io.Writer, results ...*Result) error {
	if len(results) == 0 {
		return errNoResults
	}
	cs, err := reportCharts(results)
	if err != nil {
		return err
	}
	b := bufio.NewWriter(w)
	esc := html.EscapeString
	b.WriteString(reportHead)
	styles := seriesStyles(results)
	for i, r := range results {
		if len(results) > 1 {
			fmt.Fprintf(b, "<h2>Test %d</h2>\n", i+1)
		}
		writeTest(b, r, func(rev bool) int { return styles[seriesKey{i, rev, -1}] })
	}
	b.WriteString("<p class=\"note\">Sent is what the senders sent, received what the receivers received; " +
		"the rate is the receivers'. A direction's swatch is its colour in the charts.</p>\n")
	for _, c := range cs {
		fmt.Fprintf(b, "\n<h2>%s</h2>\n", esc(c.title))
		if c.plot == nil {
			fmt.Fprintf(b, "<p id=\"%s\" class=\"empty\">%s</p>\n", esc(c.id), esc(c.empty))
			continue
		}
		c.plot.Title = "" // the heading says it
		svg, err := chart.InlineSVG(c.plot, c.id, c.title)
		if err != nil {
			return fmt.Errorf("perf: %w", err)
		}
		b.WriteString("<figure>\n")
		b.WriteString(svg)
		b.WriteString("</figure>\n")
		for _, n := range chartNotes(c, results) {
			fmt.Fprintf(b, "<p class=\"note\">%s</p>\n", esc(n))
		}
	}
	b.WriteString("\n</body>\n</html>\n")
	if err := b.Flush(); err != nil {
		return fmt.Errorf("perf: write report: %w", err)
	}
	return nil
}

// chartNotes are what the page says under a chart: the omitted intervals
// it draws, and for jitter and loss, directions whose receiver's
// intervals are not in the results.
func chartNotes(c reportChart, results []*Result) []string {
	var notes []string
	for i, r := range results {
		test := ""
		if len(results) > 1 {
			test = fmt.Sprintf("Test %d: ", i+1)
		}
		var omitted time.Duration
		for _, iv := range r.Intervals {
			if iv.Omitted {
				omitted = max(omitted, iv.End)
			}
		}
		if omitted > 0 {
			notes = append(notes, fmt.Sprintf("%sThe intervals up to %.2f s were omitted (-O): drawn here, left out of the summary.",
				test, omitted.Seconds()))
		}
		if c.file == "throughput.png" {
			continue
		}
		for _, rev := range r.Directions() {
			if !r.receivedOn(rev) {
				notes = append(notes, fmt.Sprintf("%sNo jitter or loss per interval %s: %s", test, direction(rev), receiverNote([]*Result{r})))
			}
		}
	}
	return notes
}

// receivedOn reports whether this side received on some stream going the
// way reverse says in some interval.
func (r *Result) receivedOn(reverse bool) bool {
	rev := r.reverseByID()
	for _, iv := range r.Intervals {
		for _, s := range iv.Streams {
			if !s.Sender && rev[s.ID] == reverse {
				return true
			}
		}
	}
	return false
}

// writeTest writes a test's parameters and summary table; style is the
// series number of a direction's sum.
func writeTest(b *bufio.Writer, r *Result, style func(reverse bool) int) {
	esc := html.EscapeString
	udp, tcp := DatagramNetwork(r.Network), strings.HasPrefix(r.Network, "tcp") || strings.HasPrefix(r.Network, "tls")
	fmt.Fprintf(b, "<p class=\"about\">%s</p>\n", esc(r.about()))

	c := r.Config
	streams, dir := fmt.Sprint(c.streams()), direction(c.Reverse)
	if c.Bidir {
		streams, dir = streams+" each way", "both ways (--bidir)"
	}
	params := [][2]string{{"network", r.Network}, {"streams", streams}, {"direction", dir}}
	switch {
	case c.Bytes > 0:
		params = append(params, [2]string{"bytes", FormatBytes(float64(c.Bytes), 0)})
	case c.Blocks > 0:
		params = append(params, [2]string{"blocks", fmt.Sprint(c.Blocks)})
	case c.Forever:
		params = append(params, [2]string{"duration", "until interrupted"})
	default:
		params = append(params, [2]string{"duration", fmt.Sprintf("%g s", c.duration().Seconds())})
	}
	if c.Omit > 0 {
		params = append(params, [2]string{"omitted", fmt.Sprintf("%g s", c.Omit.Seconds())})
	}
	params = append(params, [2]string{"block size", FormatBytes(float64(c.blockSize(udp)), 0)})
	rate := "unpaced"
	if bps := c.rate(udp); bps > 0 {
		rate = FormatBits(float64(bps), 0) + " a stream"
	}
	params = append(params, [2]string{"rate", rate})
	if tcp && (r.Congestion != "" || r.PeerCongestion != "") {
		params = append(params, [2]string{"congestion control", orUnknown(r.Congestion) + " here, " + orUnknown(r.PeerCongestion) + " at the peer"})
	}
	if r.PeerVersion != "" {
		params = append(params, [2]string{"client", r.PeerVersion})
	}
	b.WriteString("<table class=\"params\">\n")
	for _, p := range params {
		fmt.Fprintf(b, "<tr><th class=\"text\">%s</th><td class=\"text\">%s</td></tr>\n", esc(p[0]), esc(p[1]))
	}
	b.WriteString("</table>\n")

	b.WriteString("<table class=\"summary\">\n<thead>\n<tr><th class=\"text\">direction</th><th>sent</th><th>received</th><th>Gbit/s</th>")
	switch {
	case udp:
		b.WriteString("<th>jitter</th><th>lost/total</th>")
	case tcp:
		b.WriteString("<th>retransmits</th>")
	}
	b.WriteString("</tr>\n</thead>\n<tbody>")
	for _, rev := range r.Directions() {
		sent, recv := r.Sum(rev)
		seconds := recv.Seconds
		if seconds <= 0 {
			seconds = sent.Seconds
		}
		gbps := 0.0
		if seconds > 0 {
			gbps = float64(recv.Bytes) * 8 / seconds / 1e9
		}
		fmt.Fprintf(b, "\n<tr><td class=\"text\"><span class=\"swatch\" style=\"background:%s\"></span>%s</td><td>%s</td><td>%s</td><td>%.3f</td>",
			esc(chart.SeriesColor(style(rev))), esc(direction(rev)), esc(FormatBytes(float64(sent.Bytes), 0)), esc(FormatBytes(float64(recv.Bytes), 0)), gbps)
		switch {
		case udp:
			total := sent.Packets
			pct := 0.0
			if total > 0 {
				pct = 100 * float64(recv.Lost) / float64(total)
			}
			fmt.Fprintf(b, "<td>%.3f ms</td><td>%d/%d (%.2g%%)</td>", float64(recv.Jitter)/1e6, recv.Lost, total, pct)
		case tcp:
			fmt.Fprintf(b, "<td>%d</td>", sent.Retransmits)
		}
		b.WriteString("</tr>")
	}
	b.WriteString("\n</tbody>\n</table>\n")
}

// about says in a line what a test was: its addresses and start.
func (r *Result) about() string {
	parts := []string{strings.ToUpper(r.Network) + " test"}
	if r.Local != nil && r.Remote != nil {
		parts = append(parts, "from "+r.Local.String()+" to "+r.Remote.String())
	}
	if !r.Start.IsZero() {
		parts = append(parts, "starting "+r.Start.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	return strings.Join(parts, " ")
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// reportHead is the page up to its first heading. As bench's report, the page is written by hand, every string escaped:
// html/template would cost every sockit binary its parser and escaper.
const reportHead = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sockit perf</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", Arial, sans-serif; color: #222; margin: 2rem auto; max-width: 70rem; padding: 0 1rem; line-height: 1.4; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; }
.about { color: #666; margin-top: 0; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; margin-bottom: 1rem; }
th, td { padding: 0.3rem 0.7rem; border-bottom: 1px solid #ddd; white-space: nowrap; }
th { text-align: right; background: #f4f4f4; font-weight: 600; }
td { text-align: right; }
th.text, td.text { text-align: left; }
.swatch { display: inline-block; width: 0.8em; height: 0.8em; margin-right: 0.4em; border-radius: 2px; vertical-align: baseline; }
.note { color: #666; font-size: 0.9rem; }
figure { margin: 0; }
svg { display: block; width: 100%; max-width: 60rem; height: auto; }
.empty { color: #666; font-style: italic; }
</style>
</head>
<body>
<h1>sockit perf</h1>
`
