package bench

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteTable writes runs as a table a person reads: one row per run with
// its rate and latency percentiles, and for a failed run the failure in
// place of its figures.
func WriteTable(w io.Writer, runs []*Result) error {
	if len(runs) == 0 {
		return nil
	}
	mode := runs[0].Mode
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"run", "msgs/s", "MB/s", "p50", "p90", "p99", "p99.9", "max", "errors", ""}
	switch mode {
	case Connect:
		head = []string{"run", "conns/s", "p50", "p90", "p99", "p99.9", "max", "errors", ""}
	case Datagram:
		head = []string{"run", "dgrams/s", "MB/s", "lost", "reordered", "p50", "p99", "p99.9", "max", "errors", ""}
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	var failures []string
	for _, r := range runs {
		row := []string{r.Label}
		lat := r.Latency
		if mode == Connect {
			lat = r.Connect
		}
		if r.Failed() {
			row = append(row, "FAILED")
			failures = append(failures, fmt.Sprintf("%s: %s", r.Label, r.Failure))
			fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
			continue
		}
		pct := func(vals ...func(*Latency) int64) {
			for _, v := range vals {
				if lat == nil {
					row = append(row, "-")
				} else {
					row = append(row, Duration(v(lat)))
				}
			}
		}
		p50 := func(l *Latency) int64 { return l.P50 }
		p90 := func(l *Latency) int64 { return l.P90 }
		p99 := func(l *Latency) int64 { return l.P99 }
		p999 := func(l *Latency) int64 { return l.P999 }
		pmax := func(l *Latency) int64 { return l.Max }
		switch mode {
		case Connect:
			row = append(row, Count(int64(r.MsgsPerSec)))
			pct(p50, p90, p99, p999, pmax)
		case Datagram:
			d := r.Datagrams
			if d == nil {
				d = &Datagrams{}
			}
			row = append(row, Count(int64(r.MsgsPerSec)), fmt.Sprintf("%.1f", r.MBPerSec), percent(d.Lost, d.Sent), Count(d.Reordered))
			pct(p50, p99, p999, pmax)
		default:
			row = append(row, Count(int64(r.MsgsPerSec)), fmt.Sprintf("%.1f", r.MBPerSec))
			pct(p50, p90, p99, p999, pmax)
		}
		row = append(row, errorSummary(r.Errors))
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, f := range failures {
		if _, err := fmt.Fprintf(w, "FAILED %s\n", f); err != nil {
			return err
		}
	}
	return nil
}

func percent(n, of int64) string {
	if of == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f%%", 100*float64(n)/float64(of))
}

func errorSummary(errs map[string]int64) string {
	if len(errs) == 0 {
		return "0"
	}
	var parts []string
	for _, k := range []string{ErrMismatch, ErrExtra, ErrShort, ErrTimeout, ErrReset, ErrTruncated, ErrConnect, ErrRefused, ErrIO} {
		if n := errs[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	return strings.Join(parts, ", ")
}

// Count formats n with thousands separators: 1,234,567.
func Count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Duration formats nanoseconds with three significant figures in the unit
// that suits them: 950ns, 12.3µs, 4.56ms, 1.20s.
func Duration(ns int64) string {
	d := float64(ns)
	switch {
	case ns < int64(time.Microsecond):
		return fmt.Sprintf("%dns", ns)
	case ns < int64(time.Millisecond):
		return sig3(d/1e3) + "µs"
	case ns < int64(time.Second):
		return sig3(d/1e6) + "ms"
	default:
		return sig3(d/1e9) + "s"
	}
}

func sig3(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}
