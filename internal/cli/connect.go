package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/peer"
	"github.com/sockit/sockit/relay"
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
	tcpInfo time.Duration // --tcp-info: print TCP_INFO this often
	keep    bool          // -k, with -l
	exec    string        // -e
	shExec  string        // -c
	tls     tlsFlags
	dump    dumpFlags
	proxy   proxyFlags
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
path (-uU: unixgram), -4/-6, -n (numeric host only), -s ADDR and -p PORT
(the source address and port), -C (CRLF line ends), -I/-O (buffers), -T
(TOS), -M (TTL), -b (broadcast), -D (SO_DEBUG), -N (accepted: the rule
already), -e/-c (a program on the connection, as ncat's), -l to listen
instead (sockit listen; -lvp PORT, -lk), and -z HOST PORTS to report which
ports accept a connection without sending anything (sockit scan does more).
nc's and ncat's flags that sockit does not take are refused with what to
type instead (the README's flag table lists them all).`,
		Example: `  echo hello | sockit connect :7777
  sockit connect -v tcp6://[::1]:7777 < request.bin > reply.bin
  printf 'one\ntwo\n' | sockit connect udp://127.0.0.1:7777
  sockit connect -w 2s unix:@echo
  echo hi | sockit connect -u 127.0.0.1 7777
  sockit connect -z -v 127.0.0.1 20-25,80
  sockit connect tls://example.com:443 < request.txt
  sockit connect --insecure tls://127.0.0.1:8443
  sockit connect -lvp 4444                    # nc -lvp 4444
  sockit connect -s 127.0.0.2 -p 40000 10.0.0.5 80
  sockit connect -e /bin/sh 10.0.0.5 4444     # ncat -e`,
		Args: ncPositional(&opts.nc),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.zero {
				return runZeroIO(cmd.Context(), args, opts, stdio)
			}
			addr, err := opts.nc.address(args, opts.nc.listen)
			if err != nil {
				return err
			}
			if opts.nc.listen {
				ctx, stop := handleSignals(cmd.Context()) // listening runs on: connect's own come after its dial
				defer stop()
				maxConns := 1
				if opts.keep {
					maxConns = 100
				}
				return runListen(ctx, addr, listenOptions{keep: opts.keep, exec: opts.exec, shExec: opts.shExec, maxConns: maxConns,
					idle: opts.idle, rules: opts.rules, verbose: opts.verbose, nc: opts.nc, dump: opts.dump}, stdio)
			}
			if opts.keep {
				return usageErrorf("connect -k: keeps a listener open, for connect -l (or sockit listen -k)")
			}
			opts.addr = addr
			return runConnect(cmd.Context(), opts, stdio)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.verbose, "verbose", "v", false, "print the 5-tuple and the byte counts on standard error")
	f.VarP(seconds{&opts.timeout}, "wait", "w", "give up connecting after this long, in seconds or as a duration (0: the kernel's own timeout)")
	f.DurationVar(&opts.quiet, "linger", time.Second, "datagrams: after input ends, how long to wait for a reply that has not come")
	addRuleFlags(cmd, &opts.rules, &opts.idle, "i")
	opts.proxy.add(cmd) // before nc's refused flags, which skip the ones a command has
	opts.nc.addFlags(cmd, false)
	opts.tls.add(cmd)
	opts.dump.add(cmd)
	f.BoolVarP(&opts.zero, "zero", "z", false, "nc's -z: HOST PORTS, connect to each port and report it, sending nothing")
	f.VarP(seconds{&opts.tcpInfo}, "tcp-info", "", "print the kernel's TCP_INFO (rtt, retransmits, cwnd, ...) this often while the connection lives, in seconds or as a duration")
	f.BoolVarP(&opts.keep, "keep-open", "k", false, "with -l: serve every peer, several at once, until interrupted (nc -lk)")
	f.StringVarP(&opts.exec, "exec", "e", "", "run this program joined to the connection instead of standard input and output (ncat -e)")
	f.StringVarP(&opts.shExec, "sh-exec", "c", "", "run this shell command (sh -c) joined to the connection (ncat -c)")
	cmd.MarkFlagsMutuallyExclusive("exec", "sh-exec")
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
	if err := opts.nc.apply(&ep, false); err != nil {
		return err
	}
	argv, err := programArgs(opts.exec, opts.shExec)
	if err != nil {
		return err
	}
	if argv != nil && (opts.rules.sendOnly || opts.rules.recvOnly || opts.nc.crlf) {
		return usageErrorf("connect: --send-only, --recv-only and -C shape standard input and output, which --exec and --sh-exec do not use")
	}
	dialCtx := ctx
	if opts.timeout > 0 {
		var cancel context.CancelFunc
		dialCtx, cancel = context.WithTimeout(ctx, opts.timeout)
		defer cancel()
	}
	dial := ep.Dial
	if via, err := opts.proxy.chain(); err != nil {
		return err
	} else if via != nil {
		dial = func(ctx context.Context) (net.Conn, error) { return ep.DialVia(ctx, via.DialContext) }
	}
	c, err := dial(dialCtx)
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
		if cs, ok := tlsState(c); ok {
			fmt.Fprintf(stdio.Err, "sockit: tls: %s\n", endpoint.DescribeTLS(cs))
		}
	}
	raw := c // the socket, before any dump wraps it
	isTCP := ep.Type() == socket.Stream && !ep.IsUnix()
	if opts.tcpInfo > 0 {
		if !isTCP {
			return usageErrorf("--tcp-info: %s is not a TCP connection", ep)
		}
		stop := printTCPInfoEvery(ctx, stdio.Err, raw, opts.tcpInfo)
		defer stop()
	}
	if d := opts.dump.dumper(stdio.Err); d != nil {
		c = d.Conn(c, "")
	}
	if argv != nil {
		return runConnectProgram(ctx, c, argv, opts, stdio)
	}
	j := opts.rules.join(stdio, opts.idle)
	j.TCPInfo = opts.verbose && isTCP
	if opts.nc.crlf && j.Input != nil {
		j.Input = peer.CRLF(j.Input)
	}
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
		if res.TCPInfo != nil {
			fmt.Fprintf(stdio.Err, "sockit: tcp_info at close: %s\n", res.TCPInfo)
		}
	}
	return err
}

// reportTCPInfo prints c's TCP_INFO, the kernel's view of the
// connection: "sockit: tcp_info at close: ESTABLISHED rtt 0.05ms ...".
func reportTCPInfo(w io.Writer, c net.Conn, when string) {
	info, err := endpoint.TCPInfo(c)
	if err != nil {
		fmt.Fprintf(w, "sockit: tcp_info %s: %v\n", when, err)
		return
	}
	fmt.Fprintf(w, "sockit: tcp_info %s: %s\n", when, info)
}

// printTCPInfoEvery prints c's TCP_INFO every interval until stop is
// called or ctx ends; stop returns once the printing has stopped.
func printTCPInfoEvery(ctx context.Context, w io.Writer, c net.Conn, interval time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		start := time.Now()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				reportTCPInfo(w, c, "at "+now.Sub(start).Round(time.Millisecond).String())
			}
		}
	}()
	return func() { cancel(); <-done }
}

// runConnectProgram joins the dialled connection c to a program, as
// ncat -e does: the program's standard input and output are the
// connection.
func runConnectProgram(ctx context.Context, c net.Conn, argv []string, opts connectOptions, stdio IO) error {
	if opts.idle > 0 {
		c = relay.CloseWhenIdle(c, opts.idle)
	}
	res, err := peer.RunProgram(ctx, c, argv, stdio.Err)
	if opts.verbose {
		why := ""
		switch {
		case err != nil:
			why = "error: " + errorLine(err)
		case res.Ending == peer.ProgramFirst:
			why = "the program ended first, then the peer"
		case res.Ending == peer.PeerFirst:
			why = "the peer ended first, then the program"
		case res.Ending == peer.PeerLeft:
			why = "the peer left while the program was still sending"
		}
		// Sent is what the program sent the peer, Received what it got.
		fmt.Fprintf(stdio.Err, "sockit: %s\n", statusLine(res, why))
	}
	return err
}

// programArgs is the program --exec or --sh-exec names: words split as a
// shell would, or sh -c with the command; nil if neither is given.
func programArgs(exec, shExec string) ([]string, error) {
	switch {
	case exec != "":
		prog, err := parseEndpoint("exec:" + exec)
		if err != nil {
			return nil, usageErrorf("--exec %q: %v", exec, err)
		}
		argv := prog.Command()
		if len(argv) == 0 {
			return nil, usageErrorf("--exec: no program given")
		}
		return argv, nil
	case shExec != "":
		return []string{"/bin/sh", "-c", shExec}, nil
	}
	return nil, nil
}
