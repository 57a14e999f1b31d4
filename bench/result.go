package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Schema names the JSON format of File. A reader that finds another value
// should refuse the file; a change that old readers would misread gets a
// new version.
const Schema = "sockit.bench/v1"

// File is what `sockit bench --json` writes and `sockit bench merge` reads:
// one or more runs, each a Result.
type File struct {
	Schema string    `json:"schema"`
	Runs   []*Result `json:"runs"`
}

// Result is what one run measured. Only verified traffic is counted: a
// message counts when its echo came back whole and byte-exact.
type Result struct {
	Label  string    `json:"label"`  // the engine, or the target when there is none
	Target string    `json:"target"` // the endpoint loaded
	Mode   Mode      `json:"mode"`
	Load   Load      `json:"load"`
	Hosts  []string  `json:"hosts"` // where it ran: several after a merge
	Start  time.Time `json:"start"` // when measuring began
	// Seconds is how long measuring lasted.
	Seconds float64 `json:"seconds"`
	// Messages is how many messages came back verified (connections
	// opened, in Connect mode; chunks of Load.Size, in Stream mode).
	Messages int64 `json:"messages"`
	// Bytes is how many bytes came back verified.
	Bytes      int64   `json:"bytes"`
	MsgsPerSec float64 `json:"msgs_per_sec"`
	MBPerSec   float64 `json:"mb_per_sec"` // 10^6 bytes per second, one way
	// Latency is from sending a message (or when Rate said to send it) to
	// reading the last byte of its echo. Absent in Connect mode.
	Latency *Latency `json:"latency,omitempty"`
	// Connect is how long connecting took.
	Connect *Latency `json:"connect,omitempty"`
	// Datagrams counts datagram fates, in Datagram mode.
	Datagrams *Datagrams `json:"datagrams,omitempty"`
	// Errors counts errors by kind (see the Err constants).
	Errors map[string]int64 `json:"errors"`
	// Failure describes the first error that makes the run fail, such as
	// the first byte that came back wrong.
	Failure string `json:"failure,omitempty"`
	// Series is the run second by second.
	Series []Sample `json:"series"`
}

// Load is the shape of the load a run offered.
type Load struct {
	Conns       int     `json:"conns"`
	Size        int     `json:"size"`
	Seconds     float64 `json:"seconds,omitempty"`
	Messages    int64   `json:"messages,omitempty"`
	Warmup      float64 `json:"warmup_seconds,omitempty"`
	Rate        float64 `json:"rate,omitempty"`
	ConnectRate float64 `json:"connect_rate,omitempty"`
	Pipeline    int     `json:"pipeline"` // 0: no limit (open loop)
	Workers     int     `json:"workers"`
}

// Sample is one interval of a run: what was verified in it.
type Sample struct {
	T        float64 `json:"t"` // seconds from the start of measuring to the end of the interval
	Messages int64   `json:"messages"`
	Bytes    int64   `json:"bytes"`
}

// Datagrams counts what became of the datagrams sent.
type Datagrams struct {
	Sent       int64 `json:"sent"`
	Received   int64 `json:"received"`   // echoes that came back verified, first copies only
	Lost       int64 `json:"lost"`       // no echo within Timeout
	Reordered  int64 `json:"reordered"`  // echoes that came after a later datagram's
	Duplicates int64 `json:"duplicates"` // second and later copies of an echo
}

// Latency summarises a histogram of durations, in nanoseconds.
type Latency struct {
	Count  int64   `json:"count"`
	Min    int64   `json:"min_ns"`
	Mean   float64 `json:"mean_ns"`
	P50    int64   `json:"p50_ns"`
	P90    int64   `json:"p90_ns"`
	P99    int64   `json:"p99_ns"`
	P999   int64   `json:"p999_ns"`
	Max    int64   `json:"max_ns"`
	StdDev float64 `json:"stddev_ns"`
	// Histogram is the whole histogram in HdrHistogram's V2 compressed
	// encoding, base64: what Merge adds, and what any HdrHistogram
	// library decodes.
	Histogram string `json:"histogram"`

	hist *hdrhistogram.Histogram
}

// Error kinds. A run fails if any of ErrMismatch, ErrExtra, ErrShort,
// ErrTimeout (stream modes) or ErrReset happened, or if nothing was
// measured because of ErrConnect or ErrRefused.
const (
	ErrMismatch  = "mismatch"  // a byte came back different from the byte sent
	ErrExtra     = "extra"     // more came back than was sent
	ErrShort     = "short"     // the server closed before echoing everything
	ErrTimeout   = "timeout"   // an echo did not come within Timeout
	ErrReset     = "reset"     // the server reset the connection
	ErrConnect   = "connect"   // a connection could not be made
	ErrRefused   = "refused"   // nothing listens at the target: a dial, or (ICMP port unreachable) a datagram, was refused
	ErrIO        = "io"        // another error reading or writing
	ErrTruncated = "truncated" // a datagram came back shorter than sent
)

// Failed reports whether the run saw an error that means the server did
// not echo faithfully, or measured nothing because no connection could be
// made or the target refused; its figures are then not to be trusted.
func (r *Result) Failed() bool {
	return r.unfaithful() || (r.Messages == 0 && r.Errors[ErrConnect]+r.Errors[ErrRefused] > 0)
}

// Refused reports whether the run failed because the target refused it:
// nothing listens there. Nothing was measured, and nothing came back wrong.
func (r *Result) Refused() bool {
	return !r.unfaithful() && r.Messages == 0 && r.Errors[ErrRefused] > 0
}

// unfaithful reports whether the run saw an error that means the server
// did not echo faithfully.
func (r *Result) unfaithful() bool {
	for _, kind := range []string{ErrMismatch, ErrExtra, ErrShort, ErrReset, ErrTruncated, ErrIO} {
		if r.Errors[kind] > 0 {
			return true
		}
	}
	return r.Mode != Datagram && r.Errors[ErrTimeout] > 0 // a stream echo that never came; a datagram may be lost
}

// newHistogram makes a histogram of durations from 1 ns to 100 s, to three
// significant figures.
func newHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(1, 100e9, 3)
}

// summarise fills a Latency from h; nil when h is empty.
func summarise(h *hdrhistogram.Histogram) (*Latency, error) {
	if h.TotalCount() == 0 {
		return nil, nil
	}
	enc, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return nil, fmt.Errorf("encode histogram: %w", err)
	}
	return &Latency{
		Count:     h.TotalCount(),
		Min:       h.Min(),
		Mean:      h.Mean(),
		P50:       h.ValueAtPercentile(50),
		P90:       h.ValueAtPercentile(90),
		P99:       h.ValueAtPercentile(99),
		P999:      h.ValueAtPercentile(99.9),
		Max:       h.Max(),
		StdDev:    h.StdDev(),
		Histogram: string(enc),
		hist:      h,
	}, nil
}

// Hist is the latency histogram, decoded from Histogram when the Latency
// came from JSON.
func (l *Latency) Hist() (*hdrhistogram.Histogram, error) {
	if l.hist != nil {
		return l.hist, nil
	}
	h, err := hdrhistogram.Decode([]byte(l.Histogram))
	if err != nil {
		return nil, fmt.Errorf("decode latency histogram: %w", err)
	}
	l.hist = h
	return h, nil
}

// WriteJSON writes runs as one File.
func WriteJSON(w io.Writer, runs ...*Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(File{Schema: Schema, Runs: runs})
}

// ReadJSON reads a File, refusing one of another schema.
func ReadJSON(r io.Reader) (*File, error) {
	var f File
	dec := json.NewDecoder(r)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("not a sockit bench file: %w", err)
	}
	if f.Schema != Schema {
		return nil, fmt.Errorf("schema %q is not %q, which this sockit reads", f.Schema, Schema)
	}
	for _, r := range f.Runs {
		for _, l := range []*Latency{r.Latency, r.Connect} {
			if l == nil {
				continue
			}
			if _, err := l.Hist(); err != nil {
				return nil, fmt.Errorf("run %q: %w", r.Label, err)
			}
		}
	}
	return &f, nil
}

// Merge adds up runs of the same label made at the same time from several
// machines against one server: counts, errors and histograms add, rates
// add (each run's own rate over its own time), and the series add second
// by second. Runs are grouped by label, in the order labels first appear.
func Merge(files ...*File) (*File, error) {
	out := &File{Schema: Schema}
	byLabel := map[string]*Result{}
	for _, f := range files {
		for _, r := range f.Runs {
			m, ok := byLabel[r.Label]
			if !ok {
				c, err := r.clone()
				if err != nil {
					return nil, err
				}
				byLabel[r.Label] = c
				out.Runs = append(out.Runs, c)
				continue
			}
			if err := m.add(r); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// clone copies r deeply enough that adding to the copy leaves r alone.
func (r *Result) clone() (*Result, error) {
	c := *r
	c.Hosts = slices.Clone(r.Hosts)
	c.Errors = maps.Clone(r.Errors)
	c.Series = slices.Clone(r.Series)
	if r.Datagrams != nil {
		d := *r.Datagrams
		c.Datagrams = &d
	}
	var err error
	if c.Latency, err = cloneLatency(r.Latency); err != nil {
		return nil, err
	}
	if c.Connect, err = cloneLatency(r.Connect); err != nil {
		return nil, err
	}
	return &c, nil
}

func cloneLatency(l *Latency) (*Latency, error) {
	if l == nil {
		return nil, nil
	}
	h, err := l.Hist()
	if err != nil {
		return nil, err
	}
	return summarise(h.Clone())
}

// add merges o into r.
func (r *Result) add(o *Result) error {
	if o.Mode != r.Mode {
		return fmt.Errorf("run %q: cannot merge a %s run with a %s run", r.Label, o.Mode, r.Mode)
	}
	for _, h := range o.Hosts {
		if !slices.Contains(r.Hosts, h) {
			r.Hosts = append(r.Hosts, h)
		}
	}
	if o.Start.Before(r.Start) {
		r.Start = o.Start
	}
	r.Seconds = max(r.Seconds, o.Seconds)
	r.Messages += o.Messages
	r.Bytes += o.Bytes
	r.MsgsPerSec += o.MsgsPerSec
	r.MBPerSec += o.MBPerSec
	r.Load.Conns += o.Load.Conns
	r.Load.Rate += o.Load.Rate
	r.Load.Workers += o.Load.Workers
	if r.Errors == nil {
		r.Errors = map[string]int64{}
	}
	for k, v := range o.Errors {
		r.Errors[k] += v
	}
	if r.Failure == "" {
		r.Failure = o.Failure
	}
	for i, s := range o.Series {
		if i < len(r.Series) {
			r.Series[i].Messages += s.Messages
			r.Series[i].Bytes += s.Bytes
		} else {
			r.Series = append(r.Series, s)
		}
	}
	if o.Datagrams != nil {
		if r.Datagrams == nil {
			r.Datagrams = &Datagrams{}
		}
		r.Datagrams.Sent += o.Datagrams.Sent
		r.Datagrams.Received += o.Datagrams.Received
		r.Datagrams.Lost += o.Datagrams.Lost
		r.Datagrams.Reordered += o.Datagrams.Reordered
		r.Datagrams.Duplicates += o.Datagrams.Duplicates
	}
	var err error
	if r.Latency, err = mergeLatency(r.Latency, o.Latency); err != nil {
		return err
	}
	r.Connect, err = mergeLatency(r.Connect, o.Connect)
	return err
}

func mergeLatency(a, b *Latency) (*Latency, error) {
	switch {
	case b == nil:
		return a, nil
	case a == nil:
		return cloneLatency(b)
	}
	ha, err := a.Hist()
	if err != nil {
		return nil, err
	}
	hb, err := b.Hist()
	if err != nil {
		return nil, err
	}
	if dropped := ha.Merge(hb); dropped > 0 {
		return nil, errors.New("merge histograms: values out of range")
	}
	return summarise(ha)
}
