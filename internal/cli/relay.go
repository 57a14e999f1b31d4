package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/sockit/sockit/dump"
	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/relay"
	"github.com/sockit/sockit/session"
	"github.com/sockit/sockit/socket"
)

type relayOptions struct {
	keep    bool
	verbose bool
	idle    time.Duration
	tls     tlsFlags
	dump    dumpFlags
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
	return cmd
}

// relaySide is one side of a relay: a listener to accept from, an
// endpoint to dial, or a program, file or standard input and output to
// open.
type relaySide struct {
	ep    endpoint.Endpoint
	ln    net.Listener // nil: dial or open
	stdio IO           // standard input and output for "-"; a program's standard error
	idle  time.Duration
}

// isSocket reports whether the side is a socket, which can listen or dial.
func (s *relaySide) isSocket() bool { return s.ep.Type() != 0 }

// open connects this side once: accepts, dials, or starts the program,
// telling it the addresses of peer, the other side's connection.
func (s *relaySide) open(ctx context.Context, peer relay.Conn) (relay.Conn, error) {
	switch s.ep.Network {
	case endpoint.Exec:
		var env []string
		if c, ok := peer.(net.Conn); ok {
			env = []string{"SOCKIT_PEER_ADDR=" + addrString(c.RemoteAddr()), "SOCKIT_LOCAL_ADDR=" + c.LocalAddr().String()}
		}
		return relay.Start(ctx, s.ep.Command(), env, s.stdio.Err)
	case endpoint.Stdio:
		return relay.Stdio(s.stdio.In, s.stdio.Out), nil
	case endpoint.File:
		return relay.OpenFile(s.ep.Address)
	}
	var c net.Conn
	var err error
	if s.ln != nil {
		c, err = s.ln.Accept()
	} else {
		c, err = s.ep.Dial(ctx)
		if err == nil {
			reportInsecure(s.stdio.Err, s.ep, c)
		}
	}
	if err != nil {
		return nil, err
	}
	_, session := c.(*session.Conn)
	switch {
	case s.ep.Type() == socket.Datagram && !session:
		return relay.DatagramConn(c), nil
	case s.idle > 0 && !session: // sessions time out on their own
		c = relay.CloseWhenIdle(c, s.idle)
	}
	rc, ok := c.(relay.Conn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("relay %s: %T cannot shut down its write side", s.ep, c)
	}
	return rc, nil
}

// listen opens the side's listener: a stream listener, or sessions over a
// datagram socket.
func (s *relaySide) listen(ctx context.Context) (net.Listener, error) {
	if s.ep.Type() != socket.Datagram {
		return s.ep.Listen(ctx)
	}
	pc, err := s.ep.ListenPacket(ctx)
	if err != nil {
		return nil, err
	}
	return session.Listen(pc, session.Config{Idle: s.idle}), nil
}

func runRelay(ctx context.Context, args []string, opts relayOptions, stdio IO) error {
	var sides [2]*relaySide
	var listen [2]bool
	for i, arg := range args { // every address is checked before any socket opens
		ep, err := parseEndpoint(arg)
		if err != nil {
			return err
		}
		sides[i] = &relaySide{ep: ep, stdio: stdio, idle: opts.idle}
		// The first address listens and the second dials; after a program,
		// which can only be started, the second listens, and after a file
		// or "-", which can only be opened, it dials.
		listen[i] = i == 0 || sides[0].ep.Network == endpoint.Exec
		switch ep.Options.Role {
		case endpoint.RoleListen:
			listen[i] = true
		case endpoint.RoleDial:
			listen[i] = false
		}
		if !sides[i].isSocket() {
			listen[i] = false // opened, or started, for each pairing
		}
	}
	if !sides[0].isSocket() && !sides[1].isSocket() {
		return usageErrorf("relay %s %s: one side at least must be a socket", args[0], args[1])
	}
	stdioUsed := sides[0].ep.Network == endpoint.Stdio || sides[1].ep.Network == endpoint.Stdio
	if stdioUsed && opts.keep {
		return usageErrorf("relay -k: standard input and output (-) serve one pairing only")
	}
	// Listening lines go to standard output, unless "-" uses it for data.
	notices := stdio.Out
	if stdioUsed {
		notices = stdio.Err
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
		ln, err := s.listen(ctx)
		if err != nil {
			return err
		}
		defer ln.Close()
		s.ln = ln
		fmt.Fprintf(notices, "listening on %s\n", endpoint.FromAddr(s.ep.Network, ln.Addr()))
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

	dumper := opts.dump.dumper(stdio.Err)
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
			ca, cb = linesToDatagrams(ca, cb), linesToDatagrams(cb, ca)
			if dumper != nil {
				id := ""
				if opts.keep {
					id = fmt.Sprintf("#%d", n)
				}
				ca, cb = dumpOne(dumper, id, ca, cb)
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

// linesToDatagrams is c, made to send a datagram per line if it is a
// datagram socket and other is a program, whose output pipe keeps no
// message boundaries.
func linesToDatagrams(c, other relay.Conn) relay.Conn {
	if _, program := other.(*relay.Program); !program {
		return c
	}
	if nc, ok := c.(net.Conn); ok && (nc.LocalAddr().Network() == "udp" || nc.LocalAddr().Network() == "unixgram") {
		return relay.Lines(c)
	}
	return c
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
	case errors.Is(err, context.Canceled):
		return line + "; interrupted"
	case err != nil:
		return line + "; ended by " + err.Error()
	case st.FirstEnd != "":
		return line + "; " + string(st.FirstEnd) + " ended first, then both"
	}
	return line
}

// addrString is a for a program's environment: "" if there is none.
func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}
