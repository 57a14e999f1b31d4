package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/peer"
	"github.com/sockit/sockit/socket"
)

type connectOptions struct {
	addr    string
	verbose bool
	timeout time.Duration
	quiet   time.Duration
	idle    time.Duration
	rules   ruleFlags
	nc      ncFlags
	zero    bool
	tls     tlsFlags
	dump    dumpFlags
}

func newConnectCmd(stdio IO) *cobra.Command {
	opts := connectOptions{}
	cmd := &cobra.Command{
		Use:   "connect [flags] ADDR | HOST PORT",
		Short: "Connect to ADDR and join it to standard input and output (netcat)",
		Long: `connect dials ADDR and joins it to standard input and output.

Standard input goes to the socket and the socket to standard output. When
standard input ends, connect shuts down its write side (the peer reads
end-of-file) and keeps printing what arrives until the peer closes. If the
peer's stream ends first, connect still sends the rest of standard input
(the peer may only have shut down its write side), then ends; from a
terminal it ends at once. --no-shutdown keeps the write side open
when standard input ends; -q SECS gives up waiting for the peer SECS after
it. --send-only drops what the peer sends; --recv-only never reads standard
input. -i ends a connection on which nothing has moved for that long.

Datagram sockets (udp, unixgram) and unixpacket: each line of standard input
is one datagram or record, newline included, and each reply is printed as it
arrives. When standard input ends, a datagram connect waits until every
datagram has had a reply, or until none has come for --linger.

-v prints the connection's 5-tuple on standard error, with the ephemeral port
the kernel picked for this side, and at the end one status line: bytes each
way, who closed first, why connect ended. -x dumps every chunk sent and
received on standard error in hex, --text as text.

nc's habits work too: "connect HOST PORT", -u for udp, -U for a Unix socket
path (-uU: unixgram), -4/-6, -n (numeric host only), -l to listen instead
(sockit listen), and -z HOST PORTS to report which ports accept a
connection without sending anything (sockit scan does more).`,
		Example: `  echo hello | sockit connect :7777
  sockit connect -v tcp6://[::1]:7777 < request.bin > reply.bin
  printf 'one\ntwo\n' | sockit connect udp://127.0.0.1:7777
  sockit connect -w 2s unix:@echo
  echo hi | sockit connect -u 127.0.0.1 7777
  sockit connect -z -v 127.0.0.1 20-25,80
  sockit connect tls://example.com:443 < request.txt
  sockit connect --insecure tls://127.0.0.1:8443`,
		Args: argsBetween(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.zero {
				return runZeroIO(cmd.Context(), args, opts, stdio)
			}
			addr, err := opts.nc.address(args, opts.nc.listen)
			if err != nil {
				return err
			}
			if opts.nc.listen {
				return runListen(cmd.Context(), addr, listenOptions{maxConns: 1, idle: opts.idle, rules: opts.rules, verbose: opts.verbose, dump: opts.dump}, stdio)
			}
			opts.addr = addr
			return runConnect(cmd.Context(), opts, stdio)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.verbose, "verbose", "v", false, "print the 5-tuple and the byte counts on standard error")
	f.DurationVarP(&opts.timeout, "wait", "w", 0, "give up connecting after this long (0: the kernel's own timeout)")
	f.DurationVar(&opts.quiet, "linger", time.Second, "datagrams: after input ends, how long to wait for a reply that has not come")
	addRuleFlags(cmd, &opts.rules, &opts.idle, "i")
	opts.nc.addFlags(cmd, false)
	opts.tls.add(cmd)
	opts.dump.add(cmd)
	f.BoolVarP(&opts.zero, "zero", "z", false, "nc's -z: HOST PORTS, connect to each port and report it, sending nothing")
	return cmd
}

func runConnect(ctx context.Context, opts connectOptions, stdio IO) error {
	ep, err := parseEndpoint(opts.addr)
	if err != nil {
		return err
	}
	if ep.Type() == 0 {
		return usageErrorf("connect %s: not a socket address", opts.addr)
	}
	if err := opts.tls.apply("connect", &ep); err != nil {
		return err
	}
	dialCtx := ctx
	if opts.timeout > 0 {
		var cancel context.CancelFunc
		dialCtx, cancel = context.WithTimeout(ctx, opts.timeout)
		defer cancel()
	}
	c, err := ep.Dial(dialCtx)
	if err != nil {
		// The dial can time out on its socket's deadline an instant before
		// dialCtx itself reports it, so ask the error.
		var nerr net.Error
		if opts.timeout > 0 && errors.As(err, &nerr) && nerr.Timeout() {
			return fmt.Errorf("%w: no connection within -w %v", err, opts.timeout)
		}
		return err
	}
	defer c.Close()
	ctx, stop := handleSignals(ctx) // now that the connection is up (handlersAtStart)
	defer stop()
	reportInsecure(stdio.Err, ep, c)
	if opts.verbose {
		fmt.Fprintf(stdio.Err, "sockit: connected %s\n", endpoint.TupleOf(c))
		reportOptions(stdio.Err, ep.Options, c, c.LocalAddr().String())
	}
	if d := opts.dump.dumper(stdio.Err); d != nil {
		c = d.Conn(c, "")
	}
	j := opts.rules.join(stdio, opts.idle)
	j.Messages = ep.Type() != socket.Stream
	j.Datagram = ep.Type() == socket.Datagram
	j.Linger = opts.quiet
	if j.Linger <= 0 {
		j.Linger = -1 // --linger 0: no wait
	}
	res, err := j.Run(ctx, c)
	var why string
	switch res.Ending {
	case peer.AllReplied:
		why = "standard input ended; every datagram had a reply"
	case peer.LingerRanOut:
		why = fmt.Sprintf("standard input ended; %d of %d datagrams had a reply within --linger %v", res.Replies, res.Datagrams, opts.quiet)
	case peer.Closed:
		why = interruptedOrIdle(ctx, res.Idled, opts.idle)
	}
	if opts.verbose {
		if err != nil {
			why = "error: " + errorLine(err)
		}
		fmt.Fprintf(stdio.Err, "sockit: %s\n", statusLine(res, why))
	}
	return err
}
