package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/perf"
)

type perfOptions struct {
	server     bool
	client     string
	port       int
	cport      int
	bind       string
	udp        bool
	ipv4, ipv6 bool
	oneOff     bool
	maxTests   int
	json       bool
	jsonStream bool
	format     string
	proxy      proxyFlags
	report     string // client: the HTML report's file
	png        string // client: the PNG charts' directory
	cfg        perf.Config

	duration, omit, interval float64
	bytes, blocks, length    string
	rate, window, fqRate     string
	zeroCopy                 string
}

// perfRefusals are iperf3's flags that perf does not take, with why.
func perfRefusals() []ncRefusal {
	return []ncRefusal{
		{short: "D", long: "daemon", why: "run sockit perf -s under a service manager (systemd) instead of -D"},
		{short: "A", long: "affinity", value: true, why: "CPU affinity (iperf3 -A) is not supported: use taskset"},
		{long: "get-server-output", why: "not supported: the server logs each test itself (--json for JSON lines)"},
		{short: "T", long: "title", value: true, why: "titles (iperf3 -T) are not supported"},
		{short: "S", long: "tos", value: true, why: "TOS on perf's streams (iperf3 -S) is not supported yet"},
		{long: "logfile", value: true, why: "redirect the output instead: sockit perf ... >FILE"},
		{long: "rsa-public-key-path", value: true, why: "iperf3's authentication is not supported"},
		{long: "username", value: true, why: "iperf3's authentication is not supported"},
	}
}

func newPerfCmd(stdio IO) *cobra.Command {
	opts := perfOptions{port: 5201, duration: 10, interval: 1, format: ""}
	cmd := &cobra.Command{
		Use:   "perf (-s [ADDR] | -c HOST|ADDR) [flags]",
		Short: "Measure a path's throughput, as iperf3 does, with iperf3's flags and protocol",
		Long: `perf measures how fast data goes one way (or both) between a client and a
server, as iperf3 does, and speaks iperf3's protocol: sockit perf -c works
against a real iperf3 -s, and a real iperf3 -c against sockit perf -s.

  sockit perf -s                      serve tests on port 5201 (TCP, and UDP on the same port)
  sockit perf -c HOST                 a 10 s TCP test, client to server
  sockit perf -c HOST -R              the server sends (-R), or both at once (--bidir)
  sockit perf -c HOST -u -b 100M      UDP at 100 Mbit/s a stream: jitter and loss

Unlike iperf3, the server runs any number of tests at once (--max-tests), and
tests run over Unix sockets and TLS too: give an address in place of HOST, as
in sockit perf -s unix:/tmp/perf.sock and sockit perf -c unix:/tmp/perf.sock
(unixpacket: and tls:// likewise; UDP tests take -u or a udp:// address, and
-c unixgram:/tmp/perf.sock sends datagrams to /tmp/perf.sock.dgram, which a
unix: server binds beside its listener).

Sizes take K, M, G (1024 each: -n 10M, -l 128K); rates take K, M, G (1000
each: -b 100M, bits a second). Each interval line shows what moved in it;
the summary shows what the sender sent and what the receiver received, with
TCP's retransmits and, for UDP, RFC 3550 jitter and datagrams lost. -J writes
one JSON document at the end, laid out as iperf3's -J; --json-stream one JSON
object per line as the test goes (docs/perf-json.md). A client's --report
writes an HTML page of the test (its parameters, the summary and charts of
throughput per interval, and for UDP jitter and loss per interval where the
client received), and --png the charts as PNG files.`,
		Example: `  sockit perf -s
  sockit perf -c 127.0.0.1 -t 5
  sockit perf -c 127.0.0.1 -P 2 -R -J
  sockit perf -c 127.0.0.1 -u -b 0 -l 64
  sockit perf -c 127.0.0.1 -R --report perf.html --png charts/
  sockit perf -s unix:/tmp/perf.sock & sockit perf -c unix:/tmp/perf.sock -t 3`,
		Args: argsBetween(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPerf(cmd, args, &opts, stdio)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.server, "server", "s", false, "run a server")
	f.StringVarP(&opts.client, "client", "c", "", "run a test against the server at HOST (or an address: tcp://, unix:, tls://, udp://)")
	f.IntVarP(&opts.port, "port", "p", 5201, "the server's port")
	f.StringVarP(&opts.bind, "bind", "B", "", "the address to listen on (server) or send from (client)")
	f.IntVar(&opts.cport, "cport", 0, "client: the data streams' source port (the next streams take the next ports)")
	f.BoolVarP(&opts.udp, "udp", "u", false, "test with UDP")
	f.BoolVarP(&opts.ipv4, "version4", "4", false, "IPv4 only")
	f.BoolVarP(&opts.ipv6, "version6", "6", false, "IPv6 only")
	f.Float64VarP(&opts.duration, "time", "t", 10, "seconds to send for; 0 until interrupted")
	f.StringVarP(&opts.bytes, "bytes", "n", "", "bytes to send instead of a time (K, M, G: 1024 each)")
	f.StringVarP(&opts.blocks, "blockcount", "k", "", "blocks (writes) to send instead of a time")
	f.StringVarP(&opts.length, "length", "l", "", "bytes a write: 128K for TCP, 1460 for UDP")
	f.IntVarP(&opts.cfg.Streams, "parallel", "P", 1, "parallel streams")
	f.BoolVarP(&opts.cfg.Reverse, "reverse", "R", false, "the server sends, the client receives")
	f.BoolVar(&opts.cfg.Bidir, "bidir", false, "send both ways at once")
	f.StringVarP(&opts.rate, "bitrate", "b", "", "target bits a second per stream (K, M, G: 1000 each); 0 unlimited; UDP's default 1M")
	f.Float64VarP(&opts.omit, "omit", "O", 0, "seconds to leave out at the start (TCP slow start)")
	f.Float64VarP(&opts.interval, "interval", "i", 1, "seconds between interval reports; 0 for none")
	f.StringVarP(&opts.window, "window", "w", "", "socket buffer size (SO_SNDBUF, SO_RCVBUF)")
	f.StringVar(&opts.fqRate, "fq-rate", "", "have the kernel pace each stream to this many bits a second (SO_MAX_PACING_RATE)")
	f.IntVarP(&opts.cfg.MSS, "set-mss", "M", 0, "TCP maximum segment size (TCP_MAXSEG)")
	f.StringVarP(&opts.cfg.Congestion, "congestion", "C", "", "TCP congestion control algorithm (cubic, reno, bbr)")
	f.BoolVarP(&opts.cfg.NoDelay, "no-delay", "N", false, "set TCP_NODELAY")
	f.BoolVar(&opts.cfg.Counters64, "udp-counters-64bit", false, "64-bit datagram sequence numbers")
	f.StringVarP(&opts.zeroCopy, "zerocopy", "Z", "", "TCP: send without copying: -Z by sendfile(2) from a file (sent to the server too, as iperf3), --zerocopy=msg with MSG_ZEROCOPY (this side only)")
	f.Lookup("zerocopy").NoOptDefVal = "sendfile"
	f.BoolVar(&opts.cfg.SkipRxCopy, "skip-rx-copy", false, "TCP: receive with MSG_TRUNC: counted, dropped in the kernel (this side's streams)")
	f.BoolVar(&opts.cfg.NoGSO, "no-gso", false, "UDP: a system call entry per datagram, as iperf3, not UDP GSO/GRO's 64 a write")
	f.BoolVarP(&opts.json, "json", "J", false, "write one JSON document at the end, laid out as iperf3's -J (server: one line per test)")
	f.BoolVar(&opts.jsonStream, "json-stream", false, "write a JSON object per line as the test goes: start, interval, end")
	f.StringVar(&opts.report, "report", "", "client: write an HTML page with the test's summary and charts to this file")
	f.StringVar(&opts.png, "png", "", "client: write the charts (throughput; UDP: jitter, loss) as PNG files into this directory")
	f.StringVarP(&opts.format, "format", "f", "", "rate units: k, m, g, t (bits/sec) or K, M, G, T (Bytes/sec); default adaptive")
	f.BoolVarP(&opts.oneOff, "one-off", "1", false, "server: serve one test, then exit")
	f.IntVar(&opts.maxTests, "max-tests", 32, "server: tests run at once; past it a client hears the server is busy")
	opts.proxy.add(cmd)
	addRefusals(cmd, perfRefusals())
	return cmd
}

func runPerf(cmd *cobra.Command, args []string, opts *perfOptions, stdio IO) error {
	fs := cmd.Flags()
	switch {
	case opts.server && opts.client != "":
		return usageErrorf("perf: -s and -c exclude each other")
	case !opts.server && opts.client == "":
		return usageErrorf("perf: give -s to serve, or -c HOST to run a test")
	case opts.server && len(args) > 0 && fs.Changed("port"):
		return usageErrorf("perf -s %s: the port is in the address; drop -p", args[0])
	case opts.client != "" && len(args) > 0:
		return usageErrorf("perf -c: unexpected %q (the server is -c's value)", args[0])
	case opts.ipv4 && opts.ipv6:
		return usageErrorf("perf: -4 and -6 exclude each other")
	case opts.json && opts.jsonStream:
		return usageErrorf("perf: -J and --json-stream exclude each other")
	case opts.format != "" && (len(opts.format) != 1 || !strings.Contains("kmgtKMGT", opts.format)):
		return usageErrorf("perf -f %s: want one of k, m, g, t (bits) or K, M, G, T (bytes)", opts.format)
	case opts.png != "" && opts.interval == 0:
		return usageErrorf("perf --png: the charts are drawn from the interval reports, and -i 0 makes none")
	case opts.port < 0 || opts.port > 65535:
		return usageErrorf("perf -p %d: a port is from 0 to 65535", opts.port)
	}
	if opts.server {
		if opts.report != "" || opts.png != "" {
			return usageErrorf("perf -s: --report and --png are the client's: a server's tests are its clients' to report")
		}
		if len(opts.proxy.urls) > 0 {
			return usageErrorf("perf -s: --proxy is the client's: a server dials nothing")
		}
		return runPerfServer(cmd.Context(), args, opts, stdio)
	}
	if err := opts.config(fs.Changed("time")); err != nil {
		return err
	}
	return runPerfClient(cmd.Context(), opts, stdio)
}

// config turns the flags into opts.cfg.
func (opts *perfOptions) config(timeSet bool) error {
	c := &opts.cfg
	seconds := func(name string, v float64) (time.Duration, error) {
		if v < 0 || v > perf.MaxDuration.Seconds() {
			return 0, usageErrorf("perf --%s %v: want seconds from 0 to %v", name, v, perf.MaxDuration.Seconds())
		}
		return time.Duration(v * float64(time.Second)), nil
	}
	var err error
	if c.Duration, err = seconds("time", opts.duration); err != nil {
		return err
	}
	if c.Omit, err = seconds("omit", opts.omit); err != nil {
		return err
	}
	if c.Interval, err = seconds("interval", opts.interval); err != nil {
		return err
	}
	if c.Interval == 0 {
		c.Interval = -1
	}
	if c.Duration == 0 && opts.bytes == "" && opts.blocks == "" {
		c.Forever = true // -t 0, as iperf3: until interrupted
	}
	size := func(name, v string, lo, hi int64) (int64, error) {
		if v == "" {
			return 0, nil
		}
		n, err := perf.ParseBytes(v)
		if err == nil && (n < lo || n > hi) {
			err = fmt.Errorf("want %d to %d", lo, hi)
		}
		if err != nil {
			return 0, usageErrorf("perf --%s %s: %v", name, v, err)
		}
		return n, nil
	}
	var n int64
	if c.Bytes, err = size("bytes", opts.bytes, 1, 1<<60); err != nil {
		return err
	}
	if c.Blocks, err = size("blockcount", opts.blocks, 1, 1<<60); err != nil {
		return err
	}
	if n, err = size("length", opts.length, 1, perf.MaxBlockSize); err != nil {
		return err
	}
	c.BlockSize = int(n)
	if n, err = size("window", opts.window, 1, 1<<30); err != nil {
		return err
	}
	c.Window = int(n)
	if (c.Bytes > 0 || c.Blocks > 0) && !timeSet {
		c.Duration = 0
	}
	if c.Bytes > 0 && c.Blocks > 0 {
		return usageErrorf("perf: -n and -k exclude each other")
	}
	if opts.rate != "" {
		r, err := perf.ParseRate(opts.rate)
		if err != nil {
			return usageErrorf("perf --bitrate %s: %v", opts.rate, err)
		}
		c.Rate, c.Unpaced = r, r == 0
	}
	if opts.fqRate != "" {
		r, err := perf.ParseRate(opts.fqRate)
		if err != nil || r == 0 {
			return usageErrorf("perf --fq-rate %s: want a rate above 0, such as 500M", opts.fqRate)
		}
		c.FQRate = r
	}
	switch opts.zeroCopy {
	case "":
	case "sendfile":
		c.ZeroCopy = true
	case "msg":
		c.ZeroCopyMsg = true
	default:
		return usageErrorf("perf --zerocopy=%s: want sendfile (-Z alone) or msg (MSG_ZEROCOPY)", opts.zeroCopy)
	}
	if c.Streams < 1 || c.Streams > perf.MaxStreams {
		return usageErrorf("perf -P %d: from 1 to %d parallel streams", c.Streams, perf.MaxStreams)
	}
	if c.Bidir && c.Reverse {
		return usageErrorf("perf: -R and --bidir exclude each other")
	}
	if c.MSS < 0 {
		return usageErrorf("perf -M %d: a segment size is positive", c.MSS)
	}
	if err := c.Check(); err != nil {
		return usageErrorf("perf: %v", err)
	}
	return nil
}

// perfTarget is the endpoint -c names: an address, or a host with -p,
// -u, -4/-6 and -B.
func (opts *perfOptions) target() (endpoint.Endpoint, error) {
	if strings.Contains(opts.client, "://") || strings.HasPrefix(opts.client, "unix:") || strings.HasPrefix(opts.client, "unixpacket:") || strings.HasPrefix(opts.client, "unixgram:") || strings.HasPrefix(opts.client, "@") {
		ep, err := endpoint.Parse(opts.client)
		if err != nil {
			return ep, &usageError{err}
		}
		if opts.udp && ep.Network == "tcp" {
			ep.Network = "udp"
		}
		return ep, nil
	}
	network := "tcp"
	if opts.udp {
		network = "udp"
	}
	switch {
	case opts.ipv4:
		network += "4"
	case opts.ipv6:
		network += "6"
	}
	ep := endpoint.Endpoint{Network: network, Address: net.JoinHostPort(strings.Trim(opts.client, "[]"), strconv.Itoa(opts.port))}
	if opts.bind != "" {
		ep.Options.Bind = opts.bind
	}
	return ep, nil
}

func runPerfClient(ctx context.Context, opts *perfOptions, stdio IO) error {
	ep, err := opts.target()
	if err != nil {
		return err
	}
	unit := byte(0)
	if opts.format != "" {
		unit = opts.format[0]
	}
	p := perf.NewText(stdio.Out, unit, opts.cfg, ep.Network, false, "")
	stream := perfStream{w: stdio.Out, cfg: opts.cfg, udp: perf.DatagramNetwork(ep.Network)}
	var mu sync.Mutex
	if opts.cport < 0 || opts.cport > 65535-perf.MaxStreams {
		return usageErrorf("perf --cport %d: a port from 1 to %d", opts.cport, 65535-perf.MaxStreams)
	}
	cl := &perf.Client{Config: opts.cfg, StreamPort: opts.cport}
	via, err := opts.proxy.chain()
	if err != nil {
		return err
	}
	if via != nil {
		cl.Via = via.DialContext
	}
	cl.Report = func(e perf.ClientEvent) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case opts.jsonStream:
			stream.event(e)
		case opts.json:
		default:
			p.ClientEvent(e, ep)
		}
	}
	res, err := cl.Run(ctx, ep)
	mu.Lock()
	defer mu.Unlock()
	if res == nil {
		if opts.json || opts.jsonStream {
			perfJSONError(stdio.Out, opts.jsonStream, err)
		}
		return perfError(ep, err)
	}
	switch {
	case opts.jsonStream:
		writeJSONLine(stdio.Out, streamEvent{"end", res.Document(false).End})
	case opts.json:
		doc := res.Document(false)
		if err != nil {
			doc.Error = err.Error()
		}
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "\t")
		enc.Encode(doc)
	default:
		p.Summary(res)
		fmt.Fprintln(stdio.Out, "\nperf done.")
	}
	if werr := writeCharts(stdio, opts.json || opts.jsonStream, opts.report, opts.png,
		func(w io.Writer) error { return perf.WriteHTML(w, res) },
		func(dir string) ([]string, error) { return perf.WritePNG(dir, res) }); werr != nil {
		if err == nil || errors.Is(err, context.Canceled) {
			return werr
		}
		return errors.Join(perfError(ep, err), werr)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return perfError(ep, err)
	}
	return nil
}

// perfError is err as the one line the client prints.
func perfError(ep endpoint.Endpoint, err error) error {
	if errors.Is(err, perf.ErrBusy) {
		return fmt.Errorf("perf %s: the server is busy: it runs as many tests as it takes (iperf3 runs one at a time); try again later", ep.Address)
	}
	return err
}

// streamEvent is one line of --json-stream, as iperf3 3.17 writes them:
// {"event":"start","data":{...}}, then interval events, then end.
type streamEvent struct {
	Event string `json:"event"`
	Data  any    `json:"data"`
}

func writeJSONLine(w io.Writer, v any) {
	b, _ := json.Marshal(v)
	w.Write(append(b, '\n'))
}

func runPerfServer(ctx context.Context, args []string, opts *perfOptions, stdio IO) error {
	var ep endpoint.Endpoint
	switch {
	case len(args) == 1:
		var err error
		if ep, err = endpoint.Parse(args[0]); err != nil {
			return &usageError{err}
		}
	default:
		network, host := "tcp", opts.bind
		switch {
		case opts.ipv4:
			network = "tcp4"
		case opts.ipv6:
			network = "tcp6"
		}
		ep = endpoint.Endpoint{Network: network, Address: net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(opts.port))}
	}
	if opts.maxTests < 1 {
		return usageErrorf("perf --max-tests %d: at least 1", opts.maxTests)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	l, err := perf.Listen(ctx, ep)
	if err != nil {
		return err
	}
	unit := byte(0)
	if opts.format != "" {
		unit = opts.format[0]
	}
	var mu sync.Mutex
	printers := map[int]*perf.Text{}
	srv := &perf.Server{MaxTests: opts.maxTests, Interval: !opts.json && !opts.jsonStream && opts.interval > 0,
		ZeroCopy: opts.zeroCopy == "sendfile", SkipRxCopy: opts.cfg.SkipRxCopy}
	if opts.oneOff {
		srv.MaxTests = 1
	}
	if !opts.json && !opts.jsonStream {
		fmt.Fprintf(stdio.Out, "-----------------------------------------------------------\n")
		fmt.Fprintf(stdio.Out, "Server listening on %s (any number of tests at once, at most %d)\n", endpoint.FromAddr(ep.Network, l.Addr()), srv.MaxTests)
		fmt.Fprintf(stdio.Out, "-----------------------------------------------------------\n")
	}
	srv.Report = func(e perf.ServerEvent) {
		mu.Lock()
		defer mu.Unlock()
		switch e.Kind {
		case perf.TestRefused:
			fmt.Fprintf(stdio.Err, "sockit: perf: refused %v: %v\n", e.Client, e.Err)
			return
		case perf.TestStarted:
			pr := perf.NewText(stdio.Out, unit, e.Result.Config, e.Result.Network, true, fmt.Sprintf("#%d ", e.Test))
			printers[e.Test] = pr
			if !opts.json && !opts.jsonStream {
				pr.Accepted(e)
			}
		case perf.TestInterval:
			if pr := printers[e.Test]; pr != nil {
				pr.Interval(e.Interval)
			}
		case perf.TestEnded:
			pr := printers[e.Test]
			delete(printers, e.Test)
			if pr == nil {
				return
			}
			switch {
			case opts.json || opts.jsonStream:
				doc := e.Result.Document(true)
				if e.Err != nil {
					doc.Error = e.Err.Error()
				}
				writeJSONLine(stdio.Out, doc)
			default:
				pr.Summary(e.Result)
				if e.Err != nil {
					pr.Linef("test ended early: %v", e.Err)
				}
			}
			if opts.oneOff {
				cancel()
			}
		}
	}
	return srv.Serve(ctx, l)
}

// perfStream writes a client's --json-stream events.
type perfStream struct {
	w   io.Writer
	cfg perf.Config
	udp bool
}

func (p perfStream) event(e perf.ClientEvent) {
	switch e.Kind {
	case perf.Started:
		writeJSONLine(p.w, streamEvent{"start", e.Result.Document(false).Start})
	case perf.IntervalEnded:
		network := "tcp"
		if p.udp {
			network = "udp"
		}
		r := perf.Result{Network: network, Config: p.cfg, Intervals: []perf.Interval{e.Interval}}
		writeJSONLine(p.w, streamEvent{"interval", r.Document(false).Intervals[0]})
	}
}

// perfJSONError is what -J or --json-stream writes for a test that did
// not run.
func perfJSONError(w io.Writer, stream bool, err error) {
	if stream {
		writeJSONLine(w, streamEvent{"error", err.Error()})
		return
	}
	writeJSONLine(w, map[string]any{"start": map[string]any{}, "intervals": []any{}, "end": map[string]any{}, "error": err.Error()})
}
