package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/spf13/cobra"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/relay"
	"github.com/sockit/sockit/socket"
)

type relayOptions struct {
	keep    bool
	verbose bool
	tls     tlsFlags
}

func newRelayCmd(stdio IO) *cobra.Command {
	opts := relayOptions{}
	cmd := &cobra.Command{
		Use:   "relay [flags] ADDR-A ADDR-B",
		Short: "Join two endpoints in both directions (socat)",
		Long: `relay joins two stream endpoints (tcp, tcp4, tcp6, unix, tls, or exec:COMMAND)
in both directions.

ADDR-A listens and ADDR-B dials (or listens, if ADDR-A is a program), unless
an address says otherwise with ?listen or ?dial. Each connection accepted on a listening side is joined to
a new connection on the other: dialled then, accepted in turn if both sides
listen, or, for exec:COMMAND, a new run of the program (words split at
spaces, no shell; its environment has SOCKIT_PEER_ADDR and SOCKIT_LOCAL_ADDR
of the connection it serves). A listener's bound address is printed first.

When one side ends its stream (closes, or shuts down its write side), relay
shuts down the write side of the other and keeps copying the other way, so
each peer reads all the other sent, then end-of-file. The pairing ends when
both ways have ended; a reset or error on either side closes both. Between
TCP connections, and between TCP and Unix ones, the bytes move by splice(2)
without entering user space.

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
  sockit relay -k 'tls://:8443?cert=s.pem&key=s.key' 127.0.0.1:8080   # terminate TLS`,
		Args: argsBetween(2, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRelay(cmd.Context(), args, opts, stdio)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.keep, "keep-open", "k", false, "keep accepting: join every connection, each to its own on the other side")
	f.BoolVarP(&opts.verbose, "verbose", "v", false, "print each pairing and, when it ends, its byte counts on standard error")
	opts.tls.add(cmd)
	return cmd
}

// relaySide is one side of a relay: a listener to accept from, an
// endpoint to dial, or a program to start.
type relaySide struct {
	ep     endpoint.Endpoint
	ln     net.Listener // nil: dial, or start the program
	stderr io.Writer    // a program's standard error
}

// open connects this side once: accepts, dials, or starts the program,
// telling it the addresses of peer, the other side's connection.
func (s *relaySide) open(ctx context.Context, peer relay.Conn) (relay.Conn, error) {
	if s.ep.Network == endpoint.Exec {
		var env []string
		if c, ok := peer.(net.Conn); ok {
			env = []string{"SOCKIT_PEER_ADDR=" + c.RemoteAddr().String(), "SOCKIT_LOCAL_ADDR=" + c.LocalAddr().String()}
		}
		return relay.Start(ctx, s.ep.Command(), env, s.stderr)
	}
	var c net.Conn
	var err error
	if s.ln != nil {
		c, err = s.ln.Accept()
	} else {
		c, err = s.ep.Dial(ctx)
		if err == nil {
			reportInsecure(s.stderr, s.ep, c)
		}
	}
	if err != nil {
		return nil, err
	}
	rc, ok := c.(relay.Conn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("relay %s: %T cannot shut down its write side", s.ep, c)
	}
	return rc, nil
}

func runRelay(ctx context.Context, args []string, opts relayOptions, stdio IO) error {
	var sides [2]*relaySide
	var listen [2]bool
	for i, arg := range args { // every address is checked before any socket opens
		ep, err := parseEndpoint(arg)
		if err != nil {
			return err
		}
		if ep.Type() != socket.Stream && ep.Network != endpoint.Exec {
			return usageErrorf("relay %s: only stream endpoints (tcp, tcp4, tcp6, unix, tls) and exec: can be relayed yet", arg)
		}
		// The first address listens and the second dials; after a program,
		// which can only be started, the second listens.
		listen[i] = i == 0 || sides[0].ep.Network == endpoint.Exec
		switch ep.Options.Role {
		case endpoint.RoleListen:
			listen[i] = true
		case endpoint.RoleDial:
			listen[i] = false
		}
		if ep.Network == endpoint.Exec {
			listen[i] = false // a program is started for each pairing
		}
		sides[i] = &relaySide{ep: ep, stderr: stdio.Err}
	}
	if err := opts.tls.apply("relay", &sides[0].ep, &sides[1].ep); err != nil {
		return err
	}
	if !listen[0] && !listen[1] && opts.keep {
		return usageErrorf("relay -k: one side must listen, or relay would dial both forever")
	}
	for i, s := range sides {
		if !listen[i] {
			continue
		}
		ln, err := s.ep.Listen(ctx)
		if err != nil {
			return err
		}
		defer ln.Close()
		s.ln = ln
		fmt.Fprintf(stdio.Out, "listening on %s\n", endpoint.FromAddr(s.ep.Network, ln.Addr()))
		reportCertificate(stdio.Err, ln)
	}
	a, b := sides[0], sides[1]
	swapped := b.ln != nil && a.ln == nil
	if swapped {
		a, b = b, a // accept first, then dial or start
	}
	// Stop accepting when ctx ends; pairings in progress end with it too.
	stop := context.AfterFunc(ctx, func() {
		for _, s := range sides {
			if s.ln != nil {
				s.ln.Close()
			}
		}
	})
	defer stop()

	var wg sync.WaitGroup
	defer wg.Wait()
	for n := 1; ; n++ {
		ca, err := a.open(ctx, nil)
		if err != nil {
			return acceptError(ctx, err)
		}
		pairing := func() error {
			if err := handshake(ctx, ca); err != nil {
				ca.Close()
				return err
			}
			cb, err := b.open(ctx, ca)
			if err != nil {
				ca.Close()
				return acceptError(ctx, err)
			}
			if opts.verbose {
				first, second := describeSide(ca, a.ep), describeSide(cb, b.ep)
				if swapped {
					first, second = second, first
				}
				fmt.Fprintf(stdio.Err, "sockit: relay #%d: %s <-> %s\n", n, first, second)
			}
			if err := handshake(ctx, cb); err != nil {
				ca.Close()
				cb.Close()
				return err
			}
			st, err := relay.Join(ctx, ca, cb)
			if swapped { // report in the user's order
				st.AToB, st.BToA = st.BToA, st.AToB
				st.FirstEnd = map[relay.Side]relay.Side{relay.A: relay.B, relay.B: relay.A}[st.FirstEnd]
			}
			if opts.verbose {
				fmt.Fprintf(stdio.Err, "sockit: relay #%d: %s\n", n, relayStatus(st, err))
			}
			if ctx.Err() != nil {
				return nil // interrupted by the user
			}
			return err
		}
		switch {
		case !opts.keep:
			return pairing()
		case b.ln != nil:
			// Both sides listen: pair their connections one at a time.
			if err := pairing(); err != nil {
				fmt.Fprintf(stdio.Err, "sockit: relay #%d: %v\n", n, err)
			}
		default:
			wg.Go(func() {
				if err := pairing(); err != nil {
					fmt.Fprintf(stdio.Err, "sockit: relay #%d: %v\n", n, err)
				}
			})
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// describeSide is a side's connection as -v prints it: its 5-tuple, or the
// program it runs.
func describeSide(c relay.Conn, ep endpoint.Endpoint) string {
	if nc, ok := c.(net.Conn); ok {
		return endpoint.TupleOf(nc).String()
	}
	return ep.String()
}

// acceptError is err, or nil if it only says the user stopped relay.
func acceptError(ctx context.Context, err error) error {
	if ctx.Err() != nil && (errors.Is(err, net.ErrClosed) || errors.Is(err, context.Canceled)) {
		return nil
	}
	return err
}

// relayStatus is the end-of-pairing line: bytes each way, who ended first,
// why it ended.
func relayStatus(st relay.Stats, err error) string {
	line := fmt.Sprintf("%d bytes a->b, %d bytes b->a", st.AToB, st.BToA)
	switch {
	case err != nil:
		return line + "; ended by " + err.Error()
	case st.FirstEnd != "":
		return line + "; " + string(st.FirstEnd) + " ended first, then both"
	}
	return line
}
