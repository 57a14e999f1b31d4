package perf_test

import (
	"bytes"
	"image/png"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sockit/sockit/perf"
)

// reportResult builds a client's Result by hand: streams of network
// going as cfg says, ten one-second intervals from this side (the first
// omitted when cfg.Omit is set), and the totals both sides counted.
func reportResult(network string, cfg perf.Config) *perf.Result {
	udp := perf.DatagramNetwork(network)
	r := &perf.Result{
		Network: network,
		Config:  cfg,
		Local:   &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000},
		Remote:  &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5201},
		Start:   time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC),
	}
	n := max(cfg.Streams, 1)
	var dirs []bool // reverse, per stream
	switch {
	case cfg.Bidir:
		for range n {
			dirs = append(dirs, false)
		}
		for range n {
			dirs = append(dirs, true)
		}
	default:
		for range n {
			dirs = append(dirs, cfg.Reverse)
		}
	}
	for i, rev := range dirs {
		id := 5 + 2*i
		// The client sends on the streams that are not reverse.
		sent := perf.StreamStats{ID: id, Sender: true, Seconds: 10, Bytes: 11e9, Packets: 1000, Retransmits: 3}
		recv := perf.StreamStats{ID: id, Seconds: 10, Bytes: 10e9, Packets: 990, Lost: 10, Jitter: 30 * time.Microsecond}
		r.Streams = append(r.Streams, perf.StreamResult{ID: id, Reverse: rev, Sent: sent, Received: recv})
	}
	for k := range 10 {
		iv := perf.Interval{Start: time.Duration(k) * time.Second, End: time.Duration(k+1) * time.Second, Omitted: cfg.Omit > 0 && k == 0}
		for i, rev := range dirs {
			st := perf.StreamStats{ID: r.Streams[i].ID, Sender: !rev, Seconds: 1, Bytes: uint64(1e9 + 1e8*((k+i)%3))}
			if udp && rev { // this side received: the receiver's figures
				st.Packets, st.Lost, st.Jitter = 99, int64(k%2), time.Duration(20+k)*time.Microsecond
			} else if udp {
				st.Packets = 100
			}
			iv.Streams = append(iv.Streams, st)
		}
		r.Intervals = append(r.Intervals, iv)
	}
	return r
}

// element is the element with id in page, up to its end tag.
func element(t *testing.T, page, id string) string {
	t.Helper()
	start := strings.Index(page, `id="`+id+`"`)
	if start < 0 {
		t.Fatalf("no element with id %q", id)
	}
	start = strings.LastIndex(page[:start], "<")
	tag := page[start+1:]
	tag = tag[:strings.IndexAny(tag, " >")]
	end := strings.Index(page[start:], "</"+tag+">")
	if end < 0 {
		t.Fatalf("element %q (<%s>) has no end tag", id, tag)
	}
	return page[start : start+end]
}

func TestReportHTML(t *testing.T) {
	tests := []struct {
		name   string
		result func() *perf.Result
		// svgs are the charts drawn, notes those that are a note instead;
		// want is text the page must have, inChart text in a chart.
		svgs, notes []string
		want        []string
		inChart     map[string][]string
	}{{
		name:    "TCP forward",
		result:  func() *perf.Result { return reportResult("tcp", perf.Config{Duration: 10 * time.Second}) },
		svgs:    []string{"throughput-chart"},
		want:    []string{"client to server", "10 s", "128 KBytes", "unpaced", "<th>retransmits</th>", "<td>3</td>", "9.31 GBytes", "8.000"},
		inChart: map[string][]string{"throughput-chart": {"client to server", "bits per second", "time since the test started (s)", "0"}},
	}, {
		name: "TCP bidir, two streams each way, omitted",
		result: func() *perf.Result {
			return reportResult("tcp", perf.Config{Bidir: true, Streams: 2, Omit: time.Second, Duration: 9 * time.Second})
		},
		svgs: []string{"throughput-chart"},
		want: []string{"both ways (--bidir)", "2 each way", "server to client", "were omitted (-O)"},
		inChart: map[string][]string{"throughput-chart": {
			"client to server", "server to client", "stream 5 (client to server)", "stream 11 (server to client)"}},
	}, {
		name: "UDP reverse: the client received",
		result: func() *perf.Result {
			return reportResult("udp", perf.Config{Reverse: true, Rate: 100e6, BlockSize: 1000})
		},
		svgs: []string{"throughput-chart", "jitter-chart", "loss-chart"},
		want: []string{"server to client", "100 Mbits/sec a stream", "1000 Bytes", "<th>jitter</th>", "0.030 ms", "10/1000 (1%)"},
		inChart: map[string][]string{
			"jitter-chart": {"jitter (ms)", "server to client"},
			"loss-chart":   {"lost datagrams (%)", "server to client"},
		},
	}, {
		name:   "UDP forward: the client sent",
		result: func() *perf.Result { return reportResult("udp", perf.Config{}) },
		svgs:   []string{"throughput-chart"},
		notes:  []string{"jitter-chart", "loss-chart"},
		want:   []string{"the receiver&#39;s intervals are the server&#39;s", "1.00 Mbits/sec a stream", "1.43 KBytes"},
	}, {
		name:   "UDP bidir: only the way the client received",
		result: func() *perf.Result { return reportResult("udp", perf.Config{Bidir: true}) },
		svgs:   []string{"throughput-chart", "jitter-chart", "loss-chart"},
		want:   []string{"No jitter or loss per interval client to server: this side sent, and the receiver&#39;s intervals are the server&#39;s"},
		inChart: map[string][]string{
			"jitter-chart": {"server to client"},
		},
	}, {
		name: "many streams: sums only",
		result: func() *perf.Result {
			return reportResult("tcp", perf.Config{Bidir: true, Streams: 5})
		},
		svgs:    []string{"throughput-chart"},
		inChart: map[string][]string{"throughput-chart": {"client to server", "server to client"}},
	}, {
		name: "markup from the peer is text",
		result: func() *perf.Result {
			r := reportResult("tcp", perf.Config{})
			r.PeerVersion = `<script>alert("a & b")</script>`
			r.PeerCongestion = "<b>bbr</b>"
			r.Local = &net.UnixAddr{Name: "/tmp/<i>perf</i>.sock", Net: "unix"}
			return r
		},
		svgs: []string{"throughput-chart"},
		want: []string{"&lt;script&gt;alert(&#34;a &amp; b&#34;)&lt;/script&gt;", "&lt;b&gt;bbr&lt;/b&gt;", "/tmp/&lt;i&gt;perf&lt;/i&gt;.sock"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := perf.WriteHTML(&buf, tt.result()); err != nil {
				t.Fatalf("WriteHTML: %v", err)
			}
			page := buf.String()
			if !strings.HasPrefix(page, "<!DOCTYPE html>") || !strings.HasSuffix(page, "</html>\n") {
				t.Errorf("page starts %.40q and ends %q", page, page[max(0, len(page)-20):])
			}
			if open, closed := strings.Count(page, "<svg "), strings.Count(page, "</svg>"); open != len(tt.svgs) || closed != open {
				t.Errorf("page has %d <svg> and %d </svg>, want %d", open, closed, len(tt.svgs))
			}
			for _, tag := range []string{"script", "b", "i"} {
				if strings.Contains(page, "<"+tag+">") {
					t.Errorf("page has <%s>", tag)
				}
			}
			for _, s := range tt.want {
				if !strings.Contains(page, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			for _, id := range tt.svgs {
				if e := element(t, page, id); !strings.HasPrefix(e, "<svg") {
					t.Errorf("%s is not an SVG: %.60q", id, e)
				}
			}
			for _, id := range tt.notes {
				e := element(t, page, id)
				if !strings.HasPrefix(e, "<p") || !strings.Contains(e, "the receiver&#39;s intervals are the server&#39;s") {
					t.Errorf("%s is not the note about the receiver's intervals: %.200q", id, e)
				}
			}
			for id, ss := range tt.inChart {
				e := element(t, page, id)
				for _, s := range ss {
					if !strings.Contains(e, ">"+s+"<") {
						t.Errorf("%s lacks the text %q", id, s)
					}
				}
			}
			if tt.name == "many streams: sums only" && strings.Contains(page, "stream 5 (") {
				t.Errorf("ten streams got lines of their own")
			}
		})
	}
}

func TestReportPNG(t *testing.T) {
	tests := []struct {
		name   string
		result *perf.Result
		want   []string
	}{
		{"TCP", reportResult("tcp", perf.Config{Bidir: true}), []string{"throughput.png"}},
		{"UDP reverse", reportResult("udp", perf.Config{Reverse: true}), []string{"throughput.png", "jitter.png", "loss.png"}},
		{"UDP forward", reportResult("udp", perf.Config{}), []string{"throughput.png"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "charts") // WritePNG makes it
			paths, err := perf.WritePNG(dir, tt.result)
			if err != nil {
				t.Fatalf("WritePNG: %v", err)
			}
			var got []string
			for _, p := range paths {
				got = append(got, filepath.Base(p))
				f, err := os.Open(p)
				if err != nil {
					t.Fatal(err)
				}
				img, err := png.Decode(f)
				f.Close()
				if err != nil {
					t.Fatalf("%s: %v", p, err)
				}
				if b := img.Bounds(); b.Dx() != 1152 || b.Dy() != 648 {
					t.Errorf("%s is %dx%d, want 1152x648", p, b.Dx(), b.Dy())
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("wrote %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReportTwoResults(t *testing.T) {
	var buf bytes.Buffer
	a, b := reportResult("tcp", perf.Config{}), reportResult("tcp", perf.Config{Reverse: true})
	if err := perf.WriteHTML(&buf, a, b); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, s := range []string{"<h2>Test 1</h2>", "<h2>Test 2</h2>", ">test 1: client to server<", ">test 2: server to client<"} {
		if !strings.Contains(page, s) {
			t.Errorf("page lacks %q", s)
		}
	}
}

func TestReportEmpty(t *testing.T) {
	tests := []struct {
		name    string
		results []*perf.Result
		want    string
	}{
		{"none", nil, "no results"},
		{"empty result", []*perf.Result{{}}, "result 1 is empty"},
		{"nil result", []*perf.Result{reportResult("tcp", perf.Config{}), nil}, "result 2 is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := perf.WriteHTML(&bytes.Buffer{}, tt.results...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("WriteHTML: %v, want an error saying %q", err, tt.want)
			}
			dir := filepath.Join(t.TempDir(), "charts")
			if _, err := perf.WritePNG(dir, tt.results...); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("WritePNG: %v, want an error saying %q", err, tt.want)
			}
			if _, err := os.Stat(dir); err == nil {
				t.Errorf("WritePNG made %s for nothing", dir)
			}
		})
	}
}
