package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/sockit/sockit/dump"
	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/peer"
	"github.com/sockit/sockit/relay"
)

type relayOptions struct {
	keep    bool
	verbose bool
	idle    time.Duration
	tls     tlsFlags
	dump    dumpFlags
	proxy   proxyFlags
}

func newRelayCmd(stdio IO) *cobra.Command {
	opts := relayOptions{}
	cmd := &cobra.Command{
		Use:   "relay [flags] ADDR-A ADDR-B",
		Short: "Join two endpoints in both directions (socat)",
		Long: `relay joins two endpoints in both directions, as socat does. Either side may
be any socket (tcp, tls, unix, unixpacket, udp, unixgram, in every family),
exec:COMMAND (a program), file:PATH (a file: the content it has when the
pairing starts is sent, and what arrives is appended) or - (standard input and output); one at least must be
a socket.

ADDR-A listens and ADDR-B dials, unless an address says otherwise with
?listen or ?dial; after a program ADDR-B listens, and after a file or -, it
dials. Each connection accepted on a listening side is joined to a new one
on the other: dialled then, accepted in turn if both sides listen, or a new
run of the program (words split as a shell splits them, nothing expanded;
its environment has SOCKIT_PEER_ADDR and SOCKIT_LOCAL_ADDR of the
connection it serves), or the file opened anew. A listener's bound address
is printed first (on standard error if - takes standard output).

A listening udp or unixgram socket keeps one session per client address,
each with its own dial on the other side, so replies go back to the client
that asked; a session ends when its client has been silent for -w (60s if
not given). A datagram socket sends each chunk it is given as one datagram,
and each line when the other side is a program.

When one side ends its stream (closes, or shuts down its write side), relay
shuts down the write side of the other and keeps copying the other way, so
each peer reads all the other sent, then end-of-file. A datagram side ends
when its session does; a datagram side that is told the other has ended
stops reading. The pairing ends when both ways have ended; a reset or error
on either side closes both. Between TCP connections, and between TCP and
Unix ones, the bytes move by splice(2) without entering user space (not with -x or --text, which dump each chunk of
the first side that is a socket on standard error: < what it sent,
> what it was sent).

A tls:// side that listens presents ?cert=&key= or a self-signed certificate
(its fingerprint printed); one that dials verifies the server (--ca, or
--insecure). TLS to plain TCP is how to put TLS in front of a server.

Without -k relay joins one pair and exits: 0 if both ways ended cleanly, 1 on
a network error. With -k it keeps accepting until interrupted.`,
		Example: `  sockit relay :8080 127.0.0.1:80                  # forward a port
  sockit relay -k unix:/tmp/app.sock tcp://10.0.0.2:5432
  sockit relay -k -v tcp6://[::]:7000 tcp4://127.0.0.1:7000
  sockit relay 'tcp://127.0.0.1:9000?dial' 'tcp://:9001?listen'
  sockit relay -k :8080 exec:sh -c 'echo "hello $SOCKIT_PEER_ADDR"'
  sockit relay -k 'tls://:8443?cert=s.pem&key=s.key' 127.0.0.1:8080   # terminate TLS
  sockit relay -k udp://127.0.0.1:5353 udp://192.0.2.53:53            # a UDP forwarder
  sockit relay -k tcp://:9000 file:/tmp/uploads.log
  sockit relay - tcp://127.0.0.1:7777`,
		Args: argsBetween(2, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRelay(cmd.Context(), args, opts, stdio)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.keep, "keep-open", "k", false, "keep accepting: join every connection, each to its own on the other side")
	f.BoolVarP(&opts.verbose, "verbose", "v", false, "print each pairing and, when it ends, its byte counts on standard error")
	f.VarP(seconds{&opts.idle}, "idle-timeout", "w", "end a pairing when nothing has moved for this long (seconds or a duration; datagram sessions: 60s if not given)")
	opts.tls.add(cmd)
	opts.dump.add(cmd)
	opts.proxy.add(cmd)
	return cmd
}

func runRelay(ctx context.Context, args []string, opts relayOptions, stdio IO) error {
	var eps [2]endpoint.Endpoint
	for i, arg := range args { // every address is checked before any socket opens
		ep, err := parseEndpoint(arg)
		if err != nil {
			return err
		}
		eps[i] = ep
	}
	if err := opts.tls.apply("relay", &eps[0], &eps[1]); err != nil {
		return err
	}
	r := &peer.Relay{A: eps[0], B: eps[1], Keep: opts.keep, Idle: opts.idle, TCPInfo: opts.verbose,
		Stdin: stdio.In, Stdout: stdio.Out, Stderr: stdio.Err}
	via, err := opts.proxy.chain()
	if err != nil {
		return err
	}
	if via != nil {
		r.Via = via.DialContext
	}
	switch err := r.Check(); {
	case errors.Is(err, peer.ErrNoSocket):
		return usageErrorf("relay %s %s: one side at least must be a socket", args[0], args[1])
	case errors.Is(err, peer.ErrKeepStdio):
		return usageErrorf("relay -k: standard input and output (-) serve one pairing only")
	case errors.Is(err, peer.ErrKeepWithoutListen):
		return usageErrorf("relay -k: one side must listen, or relay would dial both forever")
	case err != nil:
		return err
	}
	// Listening lines go to standard output, unless "-" uses it for data.
	notices := stdio.Out
	if eps[0].Network == endpoint.Stdio || eps[1].Network == endpoint.Stdio {
		notices = stdio.Err
	}
	ep := func(side relay.Side) endpoint.Endpoint {
		return map[relay.Side]endpoint.Endpoint{relay.A: eps[0], relay.B: eps[1]}[side]
	}
	if dumper := opts.dump.dumper(stdio.Err); dumper != nil {
		r.Wrap = func(n int, a, b relay.Conn) (relay.Conn, relay.Conn) {
			id := ""
			if opts.keep {
				id = fmt.Sprintf("#%d", n)
			}
			return dumpOne(dumper, id, a, b)
		}
	}
	r.Report = func(e peer.RelayEvent) {
		switch e.Kind {
		case peer.Listening:
			bound := endpoint.FromAddr(ep(e.Side).Network, e.Listener.Addr())
			fmt.Fprintf(notices, "listening on %s\n", bound)
			if opts.verbose {
				reportOptions(stdio.Err, ep(e.Side).Options, e.Socket, bound.Address)
			}
			reportCertificate(stdio.Err, e.Listener)
		case peer.Dialled:
			reportInsecure(stdio.Err, ep(e.Side), e.Conn)
			if opts.verbose {
				reportOptions(stdio.Err, ep(e.Side).Options, e.Conn, e.Conn.LocalAddr().String())
			}
		case peer.Paired:
			if opts.verbose {
				fmt.Fprintf(stdio.Err, "sockit: relay #%d: %s <-> %s\n", e.N, describeSide(e.A, eps[0]), describeSide(e.B, eps[1]))
				for _, side := range []struct {
					name string
					c    relay.Conn
				}{{"a", e.A}, {"b", e.B}} {
					if c, ok := side.c.(net.Conn); ok {
						if cs, ok := tlsState(c); ok {
							fmt.Fprintf(stdio.Err, "sockit: relay #%d: %s tls: %s\n", e.N, side.name, endpoint.DescribeTLS(cs))
						}
					}
				}
			}
		case peer.Ended:
			if opts.verbose && e.Joined {
				fmt.Fprintf(stdio.Err, "sockit: relay #%d: %s\n", e.N, relayStatus(e.Stats, e.Err))
				if e.InfoA != nil {
					fmt.Fprintf(stdio.Err, "sockit: relay #%d: a tcp_info at close: %s\n", e.N, e.InfoA)
				}
				if e.InfoB != nil {
					fmt.Fprintf(stdio.Err, "sockit: relay #%d: b tcp_info at close: %s\n", e.N, e.InfoB)
				}
			}
			if opts.keep && e.Err != nil && ctx.Err() == nil {
				fmt.Fprintf(stdio.Err, "sockit: relay #%d: %v\n", e.N, e.Err)
			}
		}
	}
	return r.Run(ctx)
}

// dumpOne wraps the first of a and b that is a connection in d, so that
// the dump shows what each way carried, once.
func dumpOne(d *dump.Dumper, id string, a, b relay.Conn) (relay.Conn, relay.Conn) {
	if c, ok := a.(net.Conn); ok {
		return d.Conn(c, id), b
	}
	if c, ok := b.(net.Conn); ok {
		return a, d.Conn(c, id)
	}
	return a, b
}

// describeSide is a side's connection as -v prints it: its 5-tuple, or the
// program it runs.
func describeSide(c relay.Conn, ep endpoint.Endpoint) string {
	if nc, ok := c.(net.Conn); ok {
		return endpoint.TupleOf(nc).String()
	}
	return ep.String()
}

// relayStatus is the end-of-pairing line: bytes each way, who ended first,
// why it ended.
func relayStatus(st relay.Stats, err error) string {
	line := fmt.Sprintf("%d bytes a->b, %d bytes b->a", st.AToB, st.BToA)
	switch {
	case errors.Is(err, context.Canceled):
		return line + "; interrupted"
	case err != nil:
		return line + "; ended by " + err.Error()
	case st.FirstEnd != "":
		return line + "; " + string(st.FirstEnd) + " ended first, then both"
	}
	return line
}
