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
	"github.com/sockit/sockit/socket"
)

type connectOptions struct {
	addr    string
	verbose bool
	timeout time.Duration
	quiet   time.Duration
}

// maxLine bounds one line of standard input sent as a datagram or record.
const maxLine = 1 << 20

func newConnectCmd(stdio IO) *cobra.Command {
	opts := connectOptions{}
	cmd := &cobra.Command{
		Use:   "connect [flags] ADDR",
		Short: "Connect to ADDR and join it to standard input and output (netcat)",
		Long: `connect dials ADDR and joins it to standard input and output.

Stream sockets (tcp, unix): standard input goes to the socket and the socket to
standard output. When standard input ends, connect shuts down its write side
(the peer reads end-of-file) and keeps printing what arrives until the peer
closes.

Datagram sockets (udp, unixgram) and unixpacket: each line of standard input
is one datagram or record, newline included, and each reply is printed as it
arrives. When standard input ends, connect waits until every datagram has had
a reply, or until none has come for --linger; unixpacket shuts down its write
side and reads until the peer closes.

-v prints the connection's 5-tuple on standard error, with the ephemeral port
the kernel picked for this side, and the byte counts at the end.`,
		Example: `  echo hello | sockit connect :7777
  sockit connect -v tcp6://[::1]:7777 < request.bin > reply.bin
  printf 'one\ntwo\n' | sockit connect udp://127.0.0.1:7777
  sockit connect -w 2s unix:@echo`,
		Args: argsBetween(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.addr = args[0]
			return runConnect(cmd.Context(), opts, stdio)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.verbose, "verbose", "v", false, "print the 5-tuple and the byte counts on standard error")
	f.DurationVarP(&opts.timeout, "wait", "w", 0, "give up connecting after this long (0: the kernel's own timeout)")
	f.DurationVar(&opts.quiet, "linger", time.Second, "datagrams: after input ends, how long to wait for a reply that has not come")
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
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if opts.verbose {
		fmt.Fprintf(stdio.Err, "sockit: connected %s\n", endpoint.TupleOf(c))
	}
	var counts byteCounts
	if ep.Type() == socket.Stream {
		err = joinStream(c, stdio, &counts)
	} else {
		err = joinMessages(c, ep.Type(), opts.quiet, stdio, &counts)
	}
	if ctx.Err() != nil {
		err = nil // interrupted by the user: not a failure
	}
	if opts.verbose {
		fmt.Fprintf(stdio.Err, "sockit: sent %d bytes, received %d bytes\n", counts.sent.Load(), counts.received.Load())
	}
	return err
}

// byteCounts are updated by the send and receive sides as they go.
type byteCounts struct{ sent, received atomic.Int64 }

// joinStream copies stdin to c and c to stdout. Stdin's end shuts down c's
// write side; the join ends when the peer closes.
func joinStream(c net.Conn, stdio IO, counts *byteCounts) error {
	sendErr := make(chan error, 1)
	go func() {
		n, err := io.Copy(c, stdio.In)
		counts.sent.Add(n)
		if err == nil {
			err = closeWrite(c)
		}
		sendErr <- err
	}()
	n, err := io.Copy(stdio.Out, c)
	counts.received.Add(n)
	if err != nil && !outputGone(err) {
		return err
	}
	select {
	case err := <-sendErr:
		return err
	default:
		// The peer closed while stdin still had data: like ncat, stop here.
		// The send goroutine ends when it next touches the closed socket or
		// when the process exits.
		c.Close()
		return nil
	}
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

// joinMessages sends each line of stdin as one datagram or record and
// prints each reply.
func joinMessages(c net.Conn, typ socket.Type, linger time.Duration, stdio IO, counts *byteCounts) error {
	readErr := make(chan error, 1)
	got := make(chan struct{}, 1)
	var nreplies atomic.Int64
	go func() {
		buf := make([]byte, 256<<10)
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
	// Standard input is read in a goroutine of its own: a read from a
	// terminal cannot be interrupted, and an interrupt (which closes c) or
	// an error from the socket must end the join at once.
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
			return r.err
		}
		sent = r.sent
	case err := <-readErr:
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		return err
	}
	if typ == socket.SeqPacket {
		if err := closeWrite(c); err != nil {
			return err
		}
		if err := <-readErr; !errors.Is(err, io.EOF) {
			return err
		}
		return nil
	}
	// Datagrams have no end: wait for one reply per datagram, or for
	// linger without any.
	timer := time.NewTimer(linger)
	defer timer.Stop()
wait:
	for nreplies.Load() < int64(sent) {
		select {
		case <-got:
			timer.Reset(linger)
		case <-timer.C:
			break wait
		case err := <-readErr:
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
	}
	c.Close()
	if err := <-readErr; !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
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
	r := bufio.NewReaderSize(in, maxLine)
	sent := 0
	for {
		line, rerr := r.ReadSlice('\n')
		if errors.Is(rerr, bufio.ErrBufferFull) {
			return sent, fmt.Errorf("line %d of standard input is longer than %d bytes", sent+1, maxLine)
		}
		if len(line) > 0 {
			n, err := c.Write(line)
			counts.sent.Add(int64(n))
			if errors.Is(err, syscall.EMSGSIZE) {
				return sent, fmt.Errorf("send %d-byte message: %w (%s)", len(line), err, sizeLimit(c.LocalAddr()))
			}
			if err != nil {
				return sent, fmt.Errorf("send %d-byte message: %w", len(line), err)
			}
			sent++
		}
		if rerr == io.EOF {
			return sent, nil
		}
		if rerr != nil {
			return sent, rerr
		}
	}
}
