package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sockit/sockit/bench"
	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/engine"
	"github.com/sockit/sockit/socket"
)

// defaultBenchEngine is the engine the embedded server runs unless told:
// evloop matches threaded's speed in ping-pong, leads at 1,000
// connections and costs the server the least CPU per message (see
// ARCHITECTURE.md).
const defaultBenchEngine = "evloop"

type benchOptions struct {
	target   string
	engine   string
	serve    string
	mode     string
	cfg      bench.Config
	label    string
	json     bool
	report   string
	png      string
	progress bool
}

func newBenchCmd(stdio IO) *cobra.Command {
	opts := benchOptions{}
	cmd := &cobra.Command{
		Use:   "bench [flags] [ADDR]",
		Short: "Load an echo server, verify every byte, and measure rate and latency",
		Long: `bench drives an echo server at ADDR with -c connections and reports messages
per second, MB/s and latency percentiles (from an HDR histogram). Every
connection sends its own pseudo-random byte stream and every echoed byte is
checked against the byte sent: a server that corrupts, drops, duplicates or
reorders one byte is caught, the run prints FAILED and the reason instead of a
speed, and bench exits 1.

Without ADDR, bench starts an embedded echo server on loopback (--engine,
default evloop; --serve picks its address) and measures that; --engine all
runs each engine in turn under the same load and prints one table. The
embedded server shares bench's process and CPUs: for figures about a server
alone, run it in its own process (sockit serve) and give its address.

Modes:
  pingpong   send a message, read its echo whole, send the next (--pipeline K
             keeps K in flight): request/response rate and latency
  stream     write as fast as the connection takes while reading the echo:
             throughput (latency: from writing a chunk to its echo)
  connect    connect and close, over and over: connections/s, connect latency
  datagram   numbered datagrams (udp, unixgram): rate, loss, reordering,
             duplicates, latency

--rate makes the load open-loop: messages leave on a fixed schedule and each
one's latency counts from when it should have left, so a server that stalls
cannot hide the stall behind the messages it delayed.

Output: a progress line each second on a terminal, then a table. --json writes
the runs as JSON (schema "sockit.bench/v1", histograms included) for
'sockit bench merge'; --report writes an HTML page with a latency-percentile
chart and a throughput-over-time chart; --png writes the charts as PNG files.`,
		Example: `  sockit bench                                  # the embedded evloop server, 5 s
  sockit bench --engine all -c 100 -d 3s        # every engine, one table
  sockit bench -c 50 --rate 20000 tcp://10.0.0.7:7777
  sockit bench --mode stream -s 64k unix:/tmp/echo.sock
  sockit bench --mode datagram -c 4 --rate 50000 udp://127.0.0.1:7777
  sockit bench --json > a.json; sockit bench merge a.json b.json
  sockit bench --engine all --report bench.html --png charts/`,
		Args: argsBetween(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.target = args[0]
				if cmd.Flags().Changed("engine") || cmd.Flags().Changed("serve") {
					return usageErrorf("--engine and --serve choose the embedded server: give them or ADDR, not both")
				}
			}
			opts.progress = isTerminal(stdio.Out) && !opts.json
			return runBench(cmd.Context(), opts, stdio)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.engine, "engine", defaultBenchEngine, "embedded server's engine: "+strings.Join(engine.Names(), ", ")+", or all")
	f.StringVar(&opts.serve, "serve", "", "embedded server's address (default tcp://127.0.0.1:0; udp://127.0.0.1:0 in datagram mode)")
	f.StringVarP(&opts.mode, "mode", "m", "", "pingpong, stream, connect or datagram (default pingpong; datagram for udp and unixgram)")
	f.IntVarP(&opts.cfg.Conns, "conns", "c", 1, "connections (sockets, in datagram mode) at once")
	f.VarP(sizeValue{&opts.cfg.Size}, "size", "s", "message size: bytes, or with k or m (default 64; 16k in stream mode)")
	f.DurationVarP(&opts.cfg.Duration, "duration", "d", 0, "how long to measure (default 5s unless -n is given)")
	f.Int64VarP(&opts.cfg.Messages, "messages", "n", 0, "stop after this many messages (connections, in connect mode)")
	f.DurationVar(&opts.cfg.Warmup, "warmup", 0, "run this long before measuring; verified but not counted")
	f.Float64Var(&opts.cfg.Rate, "rate", 0, "open loop: messages per second in all, on a fixed schedule (0: as fast as echoes return)")
	f.Float64Var(&opts.cfg.ConnectRate, "connect-rate", 0, "open at most this many connections per second (0: no limit)")
	f.IntVar(&opts.cfg.Pipeline, "pipeline", 0, "messages each connection keeps in flight, pingpong and datagram (0: 1; with --rate, no limit)")
	f.IntVar(&opts.cfg.Workers, "workers", 0, "event loops driving the connections (0: GOMAXPROCS)")
	f.DurationVar(&opts.cfg.Timeout, "timeout", 0, "how long an echo or a connect may take before it is an error (default 5s; datagrams: 1s, then lost)")
	f.StringVar(&opts.label, "label", "", "name of the run in tables, JSON and charts (default the engine, or ADDR)")
	f.BoolVar(&opts.json, "json", false, "write the result as JSON on standard output instead of the table")
	f.StringVar(&opts.report, "report", "", "write an HTML page with latency and throughput charts to this file")
	f.StringVar(&opts.png, "png", "", "write the charts as PNG files into this directory")
	cmd.AddCommand(newBenchMergeCmd(stdio))
	return cmd
}

func newBenchMergeCmd(stdio IO) *cobra.Command {
	var out outputOptions
	cmd := &cobra.Command{
		Use:   "merge FILE.json...",
		Short: "Add up runs made at the same time from several machines",
		Long: `merge reads files written by 'sockit bench --json' and adds up the runs with the
same label: counts, errors and rates add, latency histograms merge (the
percentiles are of all the messages, not averages of percentiles), and the
throughput series add second by second. It prints the table, or with --json
the merged file; --report and --png draw the merged runs.`,
		Example: `  sockit bench -c 100 --json tcp://server:7777 > host1.json   # on each client machine
  sockit bench merge host1.json host2.json --report all.html`,
		Args: argsBetween(1, 1024),
		RunE: func(cmd *cobra.Command, args []string) error {
			var files []*bench.File
			for _, name := range args {
				f, err := readBenchFile(name)
				if err != nil {
					return err
				}
				files = append(files, f)
			}
			merged, err := bench.Merge(files...)
			if err != nil {
				return err
			}
			return out.write(stdio, merged.Runs)
		},
	}
	out.flags(cmd)
	return cmd
}

// outputOptions are the ways a set of runs can be written out.
type outputOptions struct {
	json   bool
	report string
	png    string
}

func (o *outputOptions) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.BoolVar(&o.json, "json", false, "write the runs as JSON on standard output instead of the table")
	f.StringVar(&o.report, "report", "", "write an HTML page with latency and throughput charts to this file")
	f.StringVar(&o.png, "png", "", "write the charts as PNG files into this directory")
}

// write writes runs as the options say, and fails if any run failed.
func (o outputOptions) write(stdio IO, runs []*bench.Result) error {
	if o.json {
		if err := bench.WriteJSON(stdio.Out, runs...); err != nil {
			return err
		}
	} else if err := bench.WriteTable(stdio.Out, runs); err != nil {
		return err
	}
	if err := writeCharts(stdio, o.json, o.report, o.png,
		func(w io.Writer) error { return bench.WriteHTML(w, runs) },
		func(dir string) ([]string, error) { return bench.WritePNG(dir, runs) }); err != nil {
		return err
	}
	// A refused run measured nothing: no echo was there to be unfaithful.
	var failed, refused []string
	for _, r := range runs {
		switch {
		case r.Refused():
			refused = append(refused, r.Target)
		case r.Failed():
			failed = append(failed, r.Label)
		}
	}
	switch {
	case len(failed) > 0:
		return fmt.Errorf("bench: the echo was not faithful in %s: see FAILED above", strings.Join(failed, ", "))
	case len(refused) > 0:
		return fmt.Errorf("bench: nothing listens at %s: see FAILED above", strings.Join(refused, ", "))
	}
	return nil
}

func runBench(ctx context.Context, opts benchOptions, stdio IO) error {
	cfg := opts.cfg
	cfg.Mode = bench.Mode(opts.mode)
	if cfg.Mode != "" && !isMode(cfg.Mode) {
		return usageErrorf("--mode %q: want pingpong, stream, connect or datagram", opts.mode)
	}
	if cfg.Conns < 1 || cfg.Pipeline < 0 || cfg.Workers < 0 || cfg.Messages < 0 || cfg.Rate < 0 || cfg.ConnectRate < 0 ||
		cfg.Duration < 0 || cfg.Warmup < 0 || cfg.Timeout < 0 {
		return usageErrorf("-c wants 1 or more; -n, -d, --rate, --connect-rate, --pipeline, --warmup, --timeout and --workers 0 or more")
	}
	out := outputOptions{json: opts.json, report: opts.report, png: opts.png}
	if opts.target != "" {
		ep, err := parseEndpoint(opts.target)
		if err != nil {
			return err
		}
		if ep.Type() == 0 {
			return usageErrorf("bench %s: not a socket address", opts.target)
		}
		if ep.IsTLS() {
			return usageErrorf("bench %s: bench drives plain sockets on its event loops, not TLS", opts.target)
		}
		cfg.Target = ep
		cfg.Label = opts.label
		res, err := runOne(ctx, cfg, opts, stdio)
		if err != nil {
			return err
		}
		return out.write(stdio, []*bench.Result{res})
	}

	names := []string{opts.engine}
	if opts.engine == "all" {
		names = engine.Names()
	}
	var runs []*bench.Result
	for _, name := range names {
		eng, err := engine.ByName(name)
		if err != nil {
			return &usageError{fmt.Errorf("%w (or all)", err)}
		}
		if name == "iterative" && cfg.Conns > 1 {
			if opts.engine == "all" {
				fmt.Fprintf(stdio.Err, "bench: skipping iterative: it serves one connection at a time (use -c 1)\n")
				continue
			}
			return usageErrorf("--engine iterative serves one connection at a time: use -c 1")
		}
		res, err := benchEmbedded(ctx, eng, cfg, opts, stdio)
		if err != nil {
			return err
		}
		runs = append(runs, res)
		if ctx.Err() != nil {
			break
		}
	}
	return out.write(stdio, runs)
}

// benchEmbedded serves echo with eng on loopback and benchmarks it.
func benchEmbedded(ctx context.Context, eng engine.Engine, cfg bench.Config, opts benchOptions, stdio IO) (*bench.Result, error) {
	addr := opts.serve
	if addr == "" {
		addr = "tcp://127.0.0.1:0"
		if cfg.Mode == bench.Datagram {
			addr = "udp://127.0.0.1:0"
		}
	}
	ep, err := parseEndpoint(addr)
	if err != nil {
		return nil, err
	}
	if ep.Type() == 0 || ep.IsTLS() {
		return nil, usageErrorf("--serve %s: not a plain socket address", addr)
	}
	if ep.Type() == socket.Datagram && cfg.Mode == "" {
		cfg.Mode = bench.Datagram
	}
	srv, err := eng.Bind(ctx, ep, engine.Config{})
	if err != nil {
		return nil, err
	}
	serveCtx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(serveCtx) }()
	defer func() {
		stop()
		srv.Close()
		<-served
	}()
	cfg.Target = endpoint.FromAddr(ep.Network, srv.Addr())
	cfg.Label = eng.Name()
	if opts.label != "" {
		cfg.Label = opts.label
		if opts.engine == "all" {
			cfg.Label = opts.label + " " + eng.Name()
		}
	}
	return runOne(ctx, cfg, opts, stdio)
}

// runOne runs one benchmark, showing progress on a terminal.
func runOne(ctx context.Context, cfg bench.Config, opts benchOptions, stdio IO) (*bench.Result, error) {
	if err := cfg.Check(); err != nil {
		return nil, &usageError{err}
	}
	if !opts.json {
		fmt.Fprintln(stdio.Out, describeRun(cfg))
	}
	var progress *progressLine
	if opts.progress {
		progress = newProgressLine(stdio.Out)
		cfg.Progress = func(p bench.Progress) {
			progress.Show("  %5.1fs  %s messages  %s errors", p.Elapsed.Seconds(), bench.Count(p.Messages), bench.Count(p.Errors))
		}
	}
	res, err := bench.Run(ctx, cfg)
	if progress != nil {
		progress.Clear()
	}
	if err != nil {
		return nil, fmt.Errorf("bench %s: %w", cfg.Target, err)
	}
	return res, nil
}

// describeRun is the line that says what is about to be measured.
func describeRun(cfg bench.Config) string {
	mode := cfg.Mode
	if mode == "" {
		mode = bench.Pingpong
		if cfg.Target.Type() == socket.Datagram {
			mode = bench.Datagram
		}
	}
	length := "5s"
	switch {
	case cfg.Messages > 0 && mode == bench.Connect:
		length = bench.Count(cfg.Messages) + " connections"
	case cfg.Messages > 0:
		length = bench.Count(cfg.Messages) + " messages"
	case cfg.Duration > 0:
		length = cfg.Duration.String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "bench %s: %s, %d conn", cfg.Target, mode, cfg.Conns)
	if cfg.Conns != 1 {
		b.WriteString("s")
	}
	if mode != bench.Connect {
		size := cfg.Size
		if size == 0 {
			size = 64
			if mode == bench.Stream {
				size = 16 << 10
			}
		}
		fmt.Fprintf(&b, ", %d-byte messages", size)
	}
	if cfg.Pipeline > 1 {
		fmt.Fprintf(&b, ", pipeline %d", cfg.Pipeline)
	}
	if cfg.Rate > 0 {
		fmt.Fprintf(&b, ", %s msgs/s open loop", bench.Count(int64(cfg.Rate)))
	}
	fmt.Fprintf(&b, ", %s", length)
	if cfg.Warmup > 0 {
		fmt.Fprintf(&b, " after %v warmup", cfg.Warmup)
	}
	if cfg.Label != "" && cfg.Label != cfg.Target.String() {
		fmt.Fprintf(&b, " (%s)", cfg.Label)
	}
	return b.String()
}

func isMode(m bench.Mode) bool {
	for _, k := range bench.Modes() {
		if m == k {
			return true
		}
	}
	return false
}

func readBenchFile(name string) (*bench.File, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	bf, err := bench.ReadJSON(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return bf, nil
}

// writeCharts writes the HTML report to the file report and the PNG
// charts into the directory png, each when named, and unless quiet (the
// output is JSON) says where on standard output: "report: FILE",
// "charts: PATH ...". bench and perf share it.
func writeCharts(stdio IO, quiet bool, report, png string, page func(io.Writer) error, charts func(dir string) ([]string, error)) error {
	if report != "" {
		if err := writeFile(report, page); err != nil {
			return err
		}
		if !quiet {
			fmt.Fprintf(stdio.Out, "report: %s\n", report)
		}
	}
	if png != "" {
		paths, err := charts(png)
		if err != nil {
			return err
		}
		if !quiet {
			fmt.Fprintf(stdio.Out, "charts: %s\n", strings.Join(paths, " "))
		}
	}
	return nil
}

// writeFile writes a file through fill, and removes it if fill fails.
func writeFile(name string, fill func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := errors.Join(fill(f), f.Close()); err != nil {
		os.Remove(name)
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// sizeValue is a byte count flag that takes k and m suffixes (powers of 1024).
type sizeValue struct{ n *int }

func (v sizeValue) String() string {
	if v.n == nil || *v.n == 0 {
		return ""
	}
	return fmt.Sprint(*v.n)
}

func (v sizeValue) Set(s string) error {
	mult := 1
	t := strings.ToLower(s)
	switch {
	case strings.HasSuffix(t, "k"):
		mult, t = 1<<10, strings.TrimSuffix(t, "k")
	case strings.HasSuffix(t, "m"):
		mult, t = 1<<20, strings.TrimSuffix(t, "m")
	}
	var n int
	if _, err := fmt.Sscanf(t, "%d", &n); err != nil || fmt.Sprint(n) != t || n <= 0 || n > (1<<30)/mult {
		return fmt.Errorf("%q is not a size (want e.g. 64, 16k, 1m)", s)
	}
	*v.n = n * mult
	return nil
}

func (sizeValue) Type() string { return "size" }
