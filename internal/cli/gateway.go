package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/sockit/sockit/gateway"
	"github.com/sockit/sockit/gateway/demo"
)

// tokenEnv is where the gateway's auth token may come from, so that it
// need not show in ps.
const tokenEnv = "SOCKIT_GATEWAY_TOKEN"

// gatewayGCPercent is the garbage collector's target for a gateway run
// without $GOGC. A gateway is a long-lived sidecar whose live heap is a
// few hundred kilobytes; at Go's default of 100 the heap still grows to
// its 4 MB floor before the first collection. 50 halves that floor, which
// keeps the process under 20 MB, at no measured cost in calls per second.
const gatewayGCPercent = 50

// --trace prints lines up to traceMaxLine bytes whole (a Python traceback
// fits), and of longer ones (a megabyte string) the first traceKeep bytes.
const (
	traceMaxLine = 1000
	traceKeep    = 200
)

type gatewayOptions struct {
	demo         bool
	bind         string
	port         int
	mode         string
	callbackHost string
	callbackPort int
	authToken    string
	tokenFromEnv bool // authToken came from $SOCKIT_GATEWAY_TOKEN
	maxConns     int
	trace        bool
	verbose      bool
	drain        time.Duration
}

func newGatewayCmd(stdio IO) *cobra.Command {
	opts := gatewayOptions{}
	cmd := &cobra.Command{
		Use:   "gateway --demo [flags]",
		Short: "Serve Go objects to Python over Py4J's protocol (the unmodified py4j client)",
		Long: `gateway speaks Py4J's wire protocol, so Python's py4j package — JavaGateway
or ClientServer — uses Go objects as if they lived in a JVM, and Go calls
back Python objects. Go programs serve their own objects with package
github.com/sockit/sockit/gateway; from the command line, --demo serves this
entry point:

  addition(a, b) -> int          concat(a, b) -> str
  divide(a, b) -> float          (an error for b == 0)
  sumList(list of int) -> int    echoBytes(bytes) -> bytes
  getStack() -> Stack            (push, pop, size, getInternalList)
  callMeBack(listener, s) -> str (calls listener.notify(s) in Python)

Modes (Python must use the same):
  gateway       classic py4j: JavaGateway; callbacks go to Python's callback
                server on --callback-port
  clientserver  py4j.clientserver.ClientServer: callbacks travel on the
                connection of the Python call in progress

The gateway binds 127.0.0.1 unless --bind says otherwise: anyone who can
connect can call every method. --auth-token (or $SOCKIT_GATEWAY_TOKEN) makes
each connection prove it knows the token first; the token travels in
clear text, so keep to loopback or a trusted network. A client's
gateway.shutdown() stops the gateway (exit 0); so does Ctrl-C.

Each connection is served by a thread blocked in recv, as a JVM serves
py4j (it answers a call sooner than Go's poller would), and the garbage
collector runs at 50% heap growth unless $GOGC is set: a gateway is a
long-lived process whose memory should stay small.`,
		Example: `  sockit gateway --demo
  # in Python, with py4j installed:
  #   from py4j.java_gateway import JavaGateway
  #   gw = JavaGateway(); print(gw.entry_point.addition(1, 2))
  sockit gateway --demo --mode clientserver --port 0
  SOCKIT_GATEWAY_TOKEN=s3cret sockit gateway --demo --trace`,
		Args: argsBetween(0, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("auth-token") {
				opts.authToken, opts.tokenFromEnv = os.Getenv(tokenEnv), true
			}
			return runGateway(cmd.Context(), opts, stdio)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.demo, "demo", false, "serve the demo entry point (required: the only objects the command line has)")
	f.StringVar(&opts.bind, "bind", "127.0.0.1", "address to listen on")
	f.IntVarP(&opts.port, "port", "p", 25333, "port to listen on (0: the kernel picks one, which is printed)")
	f.StringVarP(&opts.mode, "mode", "m", "gateway", "gateway (classic JavaGateway) or clientserver")
	f.StringVar(&opts.callbackHost, "callback-host", "127.0.0.1", "address of Python's callback server")
	f.IntVar(&opts.callbackPort, "callback-port", 25334, "port of Python's callback server (classic) or Python server (clientserver)")
	f.StringVar(&opts.authToken, "auth-token", "", "token every connection must send first (default $"+tokenEnv+")")
	f.IntVar(&opts.maxConns, "max-conns", gateway.DefaultMaxConns, "connections served at once; one more is refused with an error")
	f.BoolVar(&opts.trace, "trace", false, "print every protocol line on stderr (lines over 1000 bytes shortened)")
	f.BoolVarP(&opts.verbose, "verbose", "v", false, "log connections on stderr")
	f.DurationVar(&opts.drain, "drain", 5*time.Second, "on Ctrl-C, how long calls in progress may take to finish")
	return cmd
}

func runGateway(ctx context.Context, opts gatewayOptions, stdio IO) error {
	if !opts.demo {
		return usageErrorf("gateway: add --demo: the command line serves the demo entry point; Go programs serve their own objects with package gateway")
	}
	mode, err := gateway.ParseMode(opts.mode)
	if err != nil {
		return usageErrorf("gateway: %v", err)
	}
	for _, p := range []struct {
		flag string
		port int
	}{{"--port", opts.port}, {"--callback-port", opts.callbackPort}} {
		if p.port < 0 || p.port > 65535 {
			return usageErrorf("gateway: %s %d: ports are 0 to 65535", p.flag, p.port)
		}
	}
	if opts.maxConns < 1 {
		return usageErrorf("gateway: --max-conns wants 1 or more")
	}
	if strings.ContainsAny(opts.authToken, "\n\r") {
		from := "--auth-token"
		if opts.tokenFromEnv {
			from = "$" + tokenEnv
		}
		return usageErrorf("gateway: the auth token (%s) cannot hold a line break", from)
	}
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(gatewayGCPercent))
	}
	level := slog.LevelWarn
	if opts.verbose {
		level = slog.LevelDebug
	}
	// The log and --trace share stderr from many goroutines: one lock.
	stderr := &lockedWriter{w: stdio.Err}
	srv := &gateway.Server{
		EntryPoint:   demo.EntryPoint{},
		Adapters:     demo.Adapters(),
		AuthToken:    opts.authToken,
		Mode:         mode,
		CallbackAddr: net.JoinHostPort(opts.callbackHost, strconv.Itoa(opts.callbackPort)),
		MaxConns:     opts.maxConns,
		Logger:       slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
	}
	if opts.trace {
		srv.Trace = func(conn string, in bool, line string) {
			dir := "<"
			if in {
				dir = ">"
			}
			if len(line) > traceMaxLine {
				line = line[:traceKeep] + fmt.Sprintf("... (%d bytes)", len(line))
			}
			fmt.Fprintf(stderr, "%s %s %s\n", conn, dir, line)
		}
	}
	addr := net.JoinHostPort(opts.bind, strconv.Itoa(opts.port))
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	auth := "no auth token"
	if opts.authToken != "" {
		auth = "auth token required"
	}
	callbacks := "callbacks to " + srv.CallbackAddr
	if mode == gateway.ModeClientServer {
		callbacks = "callbacks on the calling connection, else to " + srv.CallbackAddr
	}
	fmt.Fprintf(stdio.Out, "gateway listening on %s (mode %s, %s, %s), serving the demo entry point\n", ln.Addr(), mode, callbacks, auth)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		if errors.Is(err, gateway.ErrShutdownCommand) {
			fmt.Fprintln(stdio.Out, "gateway shut down by a client")
			return nil
		}
		return err
	case <-ctx.Done():
		drainCtx, cancel := context.WithTimeout(context.Background(), opts.drain)
		defer cancel()
		err := srv.Shutdown(drainCtx)
		<-served
		if err != nil {
			return fmt.Errorf("gateway: calls still running after --drain %v were cut off", opts.drain)
		}
		return nil
	}
}

// lockedWriter serialises writes, each of which is one whole line.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
