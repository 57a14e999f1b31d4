package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/engine"
	"github.com/sockit/sockit/service"
	"github.com/sockit/sockit/socket"
)

type serveOptions struct {
	addrs     []string
	engine    string
	service   string
	drain     time.Duration
	logFormat string
	quiet     bool
	verbose   bool
	backlog   int
	trace     bool
	maxConns  int
	stats     time.Duration
	idle      time.Duration
}

func newServeCmd(stdio IO) *cobra.Command {
	opts := serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve [flags] [ADDR...]",
		Short: "Run echo, discard, chargen or daytime on one or more endpoints at once",
		Long: `serve binds every ADDR (default tcp://127.0.0.1:7777) and runs a service on each,
printing the address it really bound — with the kernel's port when you ask for
port 0 — on standard output:

  serving echo on tcp://127.0.0.1:7777 (engine threaded)

The services are the classic ones: echo (RFC 862) sends every byte back;
discard (RFC 863) reads and sends nothing; chargen (RFC 864) streams lines of
the printable characters until the client closes; daytime (RFC 867) sends the
time as one line and closes. Stream endpoints (tcp, unix) carry the client's
half-close back; unixpacket is served record by record; datagram endpoints
(udp, unixgram) answer every datagram to its own sender. Each connection and each
datagram peer is logged on standard error with its 5-tuple, bytes each way and
duration.

--engine picks the concurrency model: threaded (a goroutine per connection),
iterative (one connection at a time, the others waiting in the kernel's
listen queue; built on sockit's socket package, so --trace can show each
system call) or evloop (a few epoll event loops over non-blocking sockets:
the same speed as threaded here, a twentieth of its memory per idle
connection).

SIGINT or SIGTERM stops accepting, lets open connections finish for up to
--drain, removes Unix socket files and exits 0. A socket file left by a server
that died is replaced; one a live server holds is "address already in use".`,
		Example: `  sockit serve                                   # echo on tcp://127.0.0.1:7777
  sockit serve --service daytime :13 udp://:13
  sockit serve tcp://127.0.0.1:0 udp://127.0.0.1:0 unix:/tmp/echo.sock
  sockit serve --log-format json 'tcp6://[::1]:7777?backlog=64'
  sockit serve --engine iterative --backlog 4 --trace :7777   # one client at a time, every call shown`,
		Args: argsBetween(0, 64),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.addrs = args
			return runServe(cmd.Context(), opts, stdio)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.engine, "engine", engine.Names()[0], "concurrency model: "+strings.Join(engine.Names(), ", "))
	f.StringVar(&opts.service, "service", "echo", "service to run: "+strings.Join(service.Names(), ", "))
	f.DurationVar(&opts.drain, "drain", 5*time.Second, "on SIGINT/SIGTERM, how long open connections may finish before they are closed")
	f.StringVar(&opts.logFormat, "log-format", "text", "log format on standard error: text or json")
	f.BoolVarP(&opts.quiet, "quiet", "q", false, "log only warnings and errors, not each connection")
	f.BoolVarP(&opts.verbose, "verbose", "v", false, "print each address's socket options as the kernel holds them, read back after setting")
	f.IntVar(&opts.backlog, "backlog", 0, "listen backlog of stream endpoints (0: the kernel's ceiling, net.core.somaxconn); an address's ?backlog= wins")
	f.BoolVar(&opts.trace, "trace", false, "print every system call on standard error (iterative engine only)")
	f.IntVar(&opts.maxConns, "max-conns", 0, "threaded, evloop: at most this many connections open; more wait in the listen queue (0: no limit)")
	f.DurationVar(&opts.idle, "idle-timeout", 0, "close a connection that has sent nothing for this long (0: never)")
	f.DurationVar(&opts.stats, "stats", 0, "print connections open, accepted/s and MB/s each way (and, serving UDP, the datagrams the kernel dropped) at this interval (0: never)")
	return cmd
}

func runServe(ctx context.Context, opts serveOptions, stdio IO) error {
	eng, err := engine.ByName(opts.engine)
	if err != nil {
		return &usageError{err}
	}
	svc, err := service.ByName(opts.service)
	if err != nil {
		return &usageError{err}
	}
	logger, err := newLogger(stdio.Err, opts.logFormat, opts.quiet)
	if err != nil {
		return err
	}
	if opts.backlog < 0 {
		return usageErrorf("--backlog %d: want 0 or more", opts.backlog)
	}
	if opts.maxConns < 0 || opts.stats < 0 || opts.idle < 0 {
		return usageErrorf("--max-conns, --stats and --idle-timeout want 0 or more")
	}
	if opts.maxConns > 0 && eng.Name() == "iterative" {
		return usageErrorf("--max-conns does not apply to --engine iterative: it serves one connection at a time")
	}
	if opts.trace && eng.Name() != "iterative" {
		return usageErrorf("--trace needs --engine iterative: only it makes its system calls through the traced socket layer")
	}
	if len(opts.addrs) == 0 {
		opts.addrs = []string{"tcp://127.0.0.1:7777"}
	}
	eps := make([]endpoint.Endpoint, len(opts.addrs))
	for i, a := range opts.addrs {
		if eps[i], err = parseEndpoint(a); err != nil {
			return err
		}
		if eps[i].Type() == 0 {
			return usageErrorf("serve %s: not a socket address", a)
		}
		if eps[i].IsTLS() {
			return usageErrorf("serve %s: serve speaks plain sockets; for TLS, put sockit relay 'tls://...' in front of it, or use sockit listen", a)
		}
		if opts.backlog > 0 && eps[i].Options.Backlog == 0 && eps[i].Type() != socket.Datagram {
			eps[i].Options.Backlog = opts.backlog
		}
	}
	cfg := engine.Config{Service: svc, Logger: logger, MaxConns: opts.maxConns, IdleTimeout: opts.idle, Counters: &engine.Counters{}}
	if opts.trace {
		cfg.Tracer = traceTo(stdio.Err)
	}
	servers, err := bindAll(ctx, eng, eps, cfg)
	if err != nil {
		return err
	}
	for i, srv := range servers {
		bound := endpoint.FromAddr(eps[i].Network, srv.Addr())
		fmt.Fprintf(stdio.Out, "serving %s on %s (engine %s)\n", svc.Name(), bound, eng.Name())
		if opts.verbose {
			for _, sock := range srv.Sockets() {
				reportOptions(stdio.Out, eps[i].Options, sock, bound.Address)
			}
		}
	}
	if opts.stats > 0 {
		udp := slices.ContainsFunc(eps, func(ep endpoint.Endpoint) bool { return ep.Type() == socket.Datagram && !ep.IsUnix() })
		statsCtx, stopStats := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			printStats(statsCtx, stdio.Out, cfg.Counters, opts.stats, udp)
		}()
		defer func() { stopStats(); <-done }()
	}
	return serveAll(ctx, servers, opts.drain, logger)
}

// printStats prints a line of counters every interval until ctx ends;
// udp adds the datagrams the kernel dropped on the UDP sockets.
func printStats(ctx context.Context, w io.Writer, c *engine.Counters, interval time.Duration, udp bool) {
	t := time.NewTicker(interval)
	defer t.Stop()
	last := c.Snapshot()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := c.Snapshot()
		fmt.Fprintln(w, statsLine(last, now, udp))
		last = now
	}
}

// statsLine describes what happened between two snapshots; udp adds the
// datagrams dropped so far, which are lost where a stream's bytes wait.
func statsLine(from, to engine.Snapshot, udp bool) string {
	secs := to.At.Sub(from.At).Seconds()
	if secs <= 0 {
		secs = 1
	}
	const mb = 1e6
	line := fmt.Sprintf("stats: %d open, %.1f accepted/s, in %.2f MB/s, out %.2f MB/s",
		to.Open, float64(to.Accepted-from.Accepted)/secs,
		float64(to.BytesIn-from.BytesIn)/mb/secs, float64(to.BytesOut-from.BytesOut)/mb/secs)
	if udp {
		line += fmt.Sprintf(", %d datagrams dropped", to.Dropped)
	}
	return line
}

// bindAll binds every endpoint, or none: on an error it closes those bound.
func bindAll(ctx context.Context, eng engine.Engine, eps []endpoint.Endpoint, cfg engine.Config) ([]engine.Server, error) {
	servers := make([]engine.Server, 0, len(eps))
	for _, ep := range eps {
		srv, err := eng.Bind(ctx, ep, cfg)
		if err != nil {
			for _, s := range servers {
				s.Close()
			}
			return nil, err
		}
		servers = append(servers, srv)
	}
	return servers, nil
}

// serveAll serves until ctx ends (a signal) or a server fails, then drains
// them all for up to drain.
func serveAll(ctx context.Context, servers []engine.Server, drain time.Duration, logger *slog.Logger) error {
	serveCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	failed := make(chan error, len(servers))
	var wg sync.WaitGroup
	for _, srv := range servers {
		wg.Go(func() {
			if err := srv.Serve(serveCtx); !errors.Is(err, engine.ErrServerClosed) {
				failed <- fmt.Errorf("serve %s: %w", endpoint.AddrString(srv.Addr()), err)
			}
		})
	}
	var serveErr error
	select {
	case <-ctx.Done():
		logger.Info("shutting down", "drain", drain)
	case serveErr = <-failed:
	}
	drainCtx, cancelDrain := context.WithTimeout(context.WithoutCancel(ctx), drain)
	defer cancelDrain()
	var swg sync.WaitGroup
	for _, srv := range servers {
		swg.Go(func() {
			if err := srv.Shutdown(drainCtx); errors.Is(err, context.DeadlineExceeded) {
				logger.Warn("drain time over; closed open connections", "addr", endpoint.AddrString(srv.Addr()))
			}
		})
	}
	swg.Wait()
	cancel()
	wg.Wait()
	return serveErr
}

// traceTo returns a Tracer that prints each call as a line on w; calls
// from several endpoints may arrive at once.
func traceTo(w io.Writer) socket.Tracer {
	var mu sync.Mutex
	return func(c socket.Call) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "trace %s\n", c)
	}
}

func newLogger(w io.Writer, format string, quiet bool) (*slog.Logger, error) {
	level := slog.LevelInfo
	if quiet {
		level = slog.LevelWarn
	}
	hopts := &slog.HandlerOptions{Level: level}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, hopts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, hopts)), nil
	}
	return nil, usageErrorf("--log-format %q: want text or json", format)
}
