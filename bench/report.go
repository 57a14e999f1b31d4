package bench

import (
	"bufio"
	"errors"
	"fmt"
	"html"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/sockit/sockit/internal/chart"
)

// errNoRuns is what the report writers return when given nothing to show.
var errNoRuns = errors.New("bench: no runs to report")

// reportChart is one of a report's charts; plot is nil when no run has
// anything to draw in it.
type reportChart struct {
	id    string // the chart's element id in the HTML report
	file  string // the PNG's file name
	title string
	empty string // said in the HTML report in place of an empty chart
	plot  *chart.Plot
}

// charts draws the report's charts: latency by percentile and throughput
// over time, with one line per run.
func charts(runs []*Result) ([]reportChart, error) {
	names := runNames(runs)
	lat, err := latencyChart(runs, names)
	if err != nil {
		return nil, err
	}
	tput := throughputChart(runs, names)
	return []reportChart{
		{id: "latency-chart", file: "latency.png", title: "Latency by percentile",
			empty: "No run recorded message latency.", plot: lat},
		{id: "throughput-chart", file: "throughput.png", title: "Throughput over time",
			empty: "No run recorded a time series.", plot: tput},
	}, nil
}

// WritePNG draws the report's charts as PNG files in dir, creating dir if
// need be: latency.png (latency by percentile) and throughput.png
// (messages per second over time). It returns the files' paths. A chart
// that no run has data for, such as latency when every run is in Connect
// mode, is not written.
func WritePNG(dir string, runs []*Result) ([]string, error) {
	if len(runs) == 0 {
		return nil, errNoRuns
	}
	cs, err := charts(runs)
	if err != nil {
		return nil, err
	}
	files := make([]chart.File, len(cs))
	for i, c := range cs {
		files[i] = chart.File{Name: c.file, Plot: c.plot}
	}
	paths, err := chart.WritePNGFiles(dir, files)
	if err != nil {
		return paths, fmt.Errorf("bench: %w", err)
	}
	return paths, nil
}

// WriteHTML writes runs as one self-contained HTML page: a summary table
// and two charts, latency by percentile and throughput over time, each
// with one line per run. The page fetches nothing: its style and its
// charts (inline SVG) are in it. The charts' elements have the ids
// "latency-chart" and "throughput-chart".
func WriteHTML(w io.Writer, runs []*Result) error {
	if len(runs) == 0 {
		return errNoRuns
	}
	cs, err := charts(runs)
	if err != nil {
		return err
	}
	page := reportPage{Title: "sockit bench", About: about(runs)}
	for i, r := range runs {
		page.Rows = append(page.Rows, newReportRow(r, i))
	}
	for _, c := range cs {
		pc := pageChart{ID: c.id, Title: c.title, Empty: c.empty}
		if c.plot != nil {
			c.plot.Title = "" // the page's heading says it
			if pc.SVG, err = chart.InlineSVG(c.plot, c.id, c.title); err != nil {
				return fmt.Errorf("bench: %w", err)
			}
		}
		page.Charts = append(page.Charts, pc)
	}
	if err := page.write(w); err != nil {
		return fmt.Errorf("bench: write report: %w", err)
	}
	return nil
}

type reportPage struct {
	Title  string
	About  string
	Rows   []reportRow
	Charts []pageChart
}

type pageChart struct {
	ID, Title, Empty string
	SVG              string // markup, already escaped; empty when the chart has nothing to show
}

// reportRow is one run in the summary table, formatted.
type reportRow struct {
	Label, Mode, Conns, Size string
	Color                    string // the run's line colour
	Failure                  string // set when the run failed
	Rate, MBPerSec           string
	P50, P99, P999, Max      string
	Errors                   string
}

func newReportRow(r *Result, i int) reportRow {
	row := reportRow{
		Label:  r.Label,
		Mode:   string(r.Mode),
		Conns:  Count(int64(r.Load.Conns)),
		Size:   byteSize(r.Load.Size),
		Color:  chart.SeriesColor(i),
		Errors: errorSummary(r.Errors),
	}
	if r.Failed() {
		row.Failure = "FAILED: " + r.Failure
		if r.Failure == "" {
			row.Failure = "FAILED: " + row.Errors
		}
		return row
	}
	row.Rate = Count(int64(r.MsgsPerSec))
	row.MBPerSec = fmt.Sprintf("%.1f", r.MBPerSec)
	lat := r.Latency
	if r.Mode == Connect {
		lat = r.Connect
	}
	row.P50, row.P99, row.P999, row.Max = "-", "-", "-", "-"
	if lat != nil {
		row.P50, row.P99, row.P999, row.Max = Duration(lat.P50), Duration(lat.P99), Duration(lat.P999), Duration(lat.Max)
	}
	return row
}

// byteSize formats a message size: 64 B, 16 KiB, 1 MiB.
func byteSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d B", n)
	}
}

// about says in a line what the runs loaded, from where and when.
func about(runs []*Result) string {
	var targets, hosts []string
	var start time.Time
	for _, r := range runs {
		if r.Target != "" && !slices.Contains(targets, r.Target) {
			targets = append(targets, r.Target)
		}
		for _, h := range r.Hosts {
			if !slices.Contains(hosts, h) {
				hosts = append(hosts, h)
			}
		}
		if !r.Start.IsZero() && (start.IsZero() || r.Start.Before(start)) {
			start = r.Start
		}
	}
	parts := []string{fmt.Sprintf("%d runs", len(runs))}
	if len(runs) == 1 {
		parts[0] = "1 run"
	}
	if len(targets) > 0 {
		parts = append(parts, "against "+strings.Join(targets, ", "))
	}
	if len(hosts) > 0 {
		parts = append(parts, "from "+strings.Join(hosts, ", "))
	}
	if !start.IsZero() {
		parts = append(parts, "starting "+start.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	return strings.Join(parts, " ")
}

// reportHead is the page up to its title; reportStyle follows the title.
const reportHead = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>`

const reportStyle = `</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", Arial, sans-serif; color: #222; margin: 2rem auto; max-width: 70rem; padding: 0 1rem; line-height: 1.4; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; }
.about { color: #666; margin-top: 0; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 0.3rem 0.7rem; border-bottom: 1px solid #ddd; white-space: nowrap; }
th { text-align: right; background: #f4f4f4; font-weight: 600; }
td { text-align: right; }
th.text, td.text { text-align: left; }
td.failed { text-align: left; color: #b00; font-weight: 600; white-space: normal; }
.swatch { display: inline-block; width: 0.8em; height: 0.8em; margin-right: 0.4em; border-radius: 2px; vertical-align: baseline; }
.note { color: #666; font-size: 0.9rem; }
figure { margin: 0; }
svg { display: block; width: 100%; max-width: 60rem; height: auto; }
.empty { color: #666; font-style: italic; }
</style>
</head>
<body>
`

// write renders the page. Every string from a run (labels, targets,
// failures) is escaped; the charts' SVG is markup chart.WriteSVG escaped.
// html/template would do the same for 0.3 MB of every sockit binary: its
// parser, its escaper and the reflection that runs a template.
func (p *reportPage) write(w io.Writer) error {
	b := bufio.NewWriter(w)
	esc := html.EscapeString
	b.WriteString(reportHead + esc(p.Title) + reportStyle)
	fmt.Fprintf(b, "<h1>%s</h1>\n<p class=\"about\">%s</p>\n", esc(p.Title), esc(p.About))
	b.WriteString(`<table id="summary">
<thead>
<tr><th class="text">run</th><th class="text">mode</th><th>conns</th><th>size</th><th>msgs/s</th><th>MB/s</th><th>p50</th><th>p99</th><th>p99.9</th><th>max</th><th class="text">errors</th></tr>
</thead>
<tbody>`)
	for _, r := range p.Rows {
		fmt.Fprintf(b, "\n<tr><td class=\"text\"><span class=\"swatch\" style=\"background:%s\"></span>%s</td><td class=\"text\">%s</td><td>%s</td><td>%s</td>",
			esc(r.Color), esc(r.Label), esc(r.Mode), esc(r.Conns), esc(r.Size))
		if r.Failure != "" {
			fmt.Fprintf(b, "<td class=\"failed\" colspan=\"6\">%s</td>", esc(r.Failure))
		} else {
			for _, v := range []string{r.Rate, r.MBPerSec, r.P50, r.P99, r.P999, r.Max} {
				fmt.Fprintf(b, "<td>%s</td>", esc(v))
			}
		}
		fmt.Fprintf(b, "<td class=\"text\">%s</td></tr>", esc(r.Errors))
	}
	b.WriteString("\n</tbody>\n</table>\n" +
		"<p class=\"note\">Only verified echoes count. In connect mode msgs/s is connections per second and latency is the time to connect.</p>")
	for _, c := range p.Charts {
		fmt.Fprintf(b, "\n<h2>%s</h2>\n", esc(c.Title))
		if c.SVG != "" {
			b.WriteString("<figure>\n" + c.SVG + "</figure>\n")
		} else {
			fmt.Fprintf(b, "<p id=\"%s\" class=\"empty\">%s</p>\n", esc(c.ID), esc(c.Empty))
		}
	}
	b.WriteString("\n</body>\n</html>\n")
	return b.Flush()
}
