package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/relay"
	"github.com/sockit/sockit/socket"
)

type connectOptions struct {
	addr    string
	verbose bool
	timeout time.Duration
	quiet   time.Duration
	idle    time.Duration
	rules   peerRules
	nc      ncFlags
	zero    bool
	tls     tlsFlags
	dump    dumpFlags
}

// maxLine bounds one line of standard input sent as a datagram or record.
const maxLine = 1 << 20

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
	reportInsecure(stdio.Err, ep, c)
	if d := opts.dump.dumper(stdio.Err); d != nil {
		c = d.Conn(c, "")
	}
	var idled func() bool
	if opts.idle > 0 {
		ic := relay.CloseWhenIdle(c, opts.idle)
		c, idled = ic, ic.Idled
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if opts.verbose {
		fmt.Fprintf(stdio.Err, "sockit: connected %s\n", endpoint.TupleOf(c))
	}
	var counts byteCounts
	var end ending
	var why string
	rules := opts.rules
	rules.lines = ep.Type() != socket.Stream
	if ep.Type() == socket.Datagram && !rules.sendOnly && !rules.recvOnly {
		why, err = joinMessages(c, opts.quiet, stdio, &counts)
		end = closedHere
	} else {
		end, err = joinPeer(c, stdio, rules, &counts)
	}
	if end == closedHere && why == "" {
		why = interruptedOrIdle(ctx, idled != nil && idled(), opts.idle)
	}
	if ctx.Err() != nil {
		err = nil // interrupted by the user: not a failure
	}
	if opts.verbose {
		if err != nil {
			why = "error: " + errorLine(err)
		}
		fmt.Fprintf(stdio.Err, "sockit: %s\n", statusLine(&counts, end, why))
	}
	return err
}

// addRuleFlags adds the flags of the half-close and exit rule (join.go) to
// cmd; idleShort is the idle timeout's one-letter name.
func addRuleFlags(cmd *cobra.Command, rules *peerRules, idle *time.Duration, idleShort string) {
	f := cmd.Flags()
	f.BoolVar(&rules.noShutdown, "no-shutdown", false, "when standard input ends, keep the write side open instead of shutting it down")
	rules.quit = -1
	f.VarP(seconds{&rules.quit}, "quit-after", "q", "after standard input ends, wait at most this long for the peer to close (seconds or a duration; -1: until it closes)")
	f.BoolVar(&rules.sendOnly, "send-only", false, "only send: read and drop what the peer sends")
	f.BoolVar(&rules.recvOnly, "recv-only", false, "only receive: never read standard input")
	f.VarP(seconds{idle}, "idle-timeout", idleShort, "close a connection on which nothing has moved for this long (seconds or a duration; 0: never)")
	cmd.MarkFlagsMutuallyExclusive("send-only", "recv-only")
}

// outputGone reports whether err says standard output's reader has gone,
// as when connect's output is piped into head: like cat, connect then ends
// quietly.
func outputGone(err error) bool { return errors.Is(err, syscall.EPIPE) }

func closeWrite(c net.Conn) error {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// joinMessages sends each line of stdin as one datagram and prints each
// reply. When standard input ends it waits until every datagram has had a
// reply, or none has come for linger; why says which.
func joinMessages(c net.Conn, linger time.Duration, stdio IO, counts *byteCounts) (why string, err error) {
	readErr := make(chan error, 1)
	got := make(chan struct{}, 1)
	var nreplies atomic.Int64
	go func() {
		buf := make([]byte, maxLine)
		for {
			n, err := c.Read(buf)
			if err != nil {
				readErr <- err
				return
			}
			counts.received.Add(int64(n))
			if _, err := stdio.Out.Write(buf[:n]); err != nil {
				if outputGone(err) {
					err = net.ErrClosed // the reader left: end quietly
				}
				readErr <- err
				return
			}
			nreplies.Add(1)
			select {
			case got <- struct{}{}:
			default:
			}
		}
	}()
	// Standard input is read in a goroutine of its own, as in joinPeer.
	type sendResult struct {
		sent int
		err  error
	}
	sendDone := make(chan sendResult, 1)
	go func() {
		n, err := sendLines(c, stdio.In, counts)
		sendDone <- sendResult{n, err}
	}()
	var sent int
	select {
	case r := <-sendDone:
		if r.err != nil {
			c.Close()
			<-readErr
			return "", r.err
		}
		sent = r.sent
	case err := <-readErr:
		return "", notClosed(err)
	}
	// Datagrams have no end: wait for one reply per datagram, or for
	// linger without any.
	timer := time.NewTimer(linger)
	defer timer.Stop()
	why = "standard input ended; every datagram had a reply"
wait:
	for nreplies.Load() < int64(sent) {
		select {
		case <-got:
			timer.Reset(linger)
		case <-timer.C:
			why = fmt.Sprintf("standard input ended; %d of %d datagrams had a reply within --linger %v", nreplies.Load(), sent, linger)
			break wait
		case err := <-readErr:
			return "", notClosed(err)
		}
	}
	c.Close()
	if err := <-readErr; !errors.Is(err, net.ErrClosed) {
		return "", err
	}
	return why, nil
}

// sizeLimit says how large a message a socket with local address a takes.
func sizeLimit(a net.Addr) string {
	if u, ok := a.(*net.UDPAddr); ok {
		if u.IP.To4() != nil {
			return "a UDP datagram over IPv4 carries at most 65,507 bytes"
		}
		return "a UDP datagram over IPv6 carries at most 65,527 bytes"
	}
	return "a Unix datagram or record is at most the socket's SO_SNDBUF less 32 bytes; raise it with ?sndbuf="
}

// sendLines sends each line of in as one message and returns how many.
func sendLines(c net.Conn, in io.Reader, counts *byteCounts) (int, error) {
	return forEachLine(in, func(line []byte) error {
		n, err := c.Write(line)
		counts.sent.Add(int64(n))
		if errors.Is(err, syscall.EMSGSIZE) {
			return fmt.Errorf("send %d-byte message: %w (%s)", len(line), err, sizeLimit(c.LocalAddr()))
		}
		if err != nil {
			return fmt.Errorf("send %d-byte message: %w", len(line), err)
		}
		return nil
	})
}

// forEachLine calls f with each line of in, newline included (the last
// may have none), and returns how many lines f took.
func forEachLine(in io.Reader, f func(line []byte) error) (int, error) {
	r := bufio.NewReaderSize(in, maxLine)
	lines := 0
	for {
		line, rerr := r.ReadSlice('\n')
		if errors.Is(rerr, bufio.ErrBufferFull) {
			return lines, fmt.Errorf("line %d of standard input is longer than %d bytes", lines+1, maxLine)
		}
		if len(line) > 0 {
			if err := f(line); err != nil {
				return lines, err
			}
			lines++
		}
		if rerr == io.EOF {
			return lines, nil
		}
		if rerr != nil {
			return lines, rerr
		}
	}
}
