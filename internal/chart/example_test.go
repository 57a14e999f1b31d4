package chart_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/sockit/sockit/internal/chart"
)

func Example() {
	p := &chart.Plot{
		Title:     "Throughput",
		X:         chart.Axis{Label: "time (s)", Max: 3, Ticks: chart.LabelledTicks(chart.PlainNumber)},
		Y:         chart.Axis{Label: "bits per second", Ticks: chart.LabelledTicks(chart.SINumber)},
		YHeadroom: true,
		YMax:      9.4e9,
		Lines: []chart.Line{{
			Name:   "client to server",
			Pts:    []chart.XY{{0, 9.1e9}, {1, 9.1e9}, {2, 9.4e9}, {3, 8.8e9}},
			Step:   true,
			Stroke: chart.SeriesStyle(0),
		}},
	}
	var b strings.Builder
	if err := chart.WriteSVG(&b, p.Draw(), [][2]string{{"id", "throughput"}}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	svg := b.String()
	fmt.Println(svg[:strings.Index(svg, " font-family")])
	fmt.Println(strings.Contains(svg, ">client to server</text>"))
	// Output:
	// <svg xmlns="http://www.w3.org/2000/svg" width="576" height="324" viewBox="0 0 576 324" id="throughput"
	// true
}
