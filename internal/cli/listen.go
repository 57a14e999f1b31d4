package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sockit/sockit/dump"
	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/relay"
	"github.com/sockit/sockit/session"
	"github.com/sockit/sockit/socket"
)

type listenOptions struct {
	keep     bool
	exec     string
	shExec   string
	broker   bool
	maxConns int
	allow    []string
	deny     []string
	idle     time.Duration
	rules    peerRules
	verbose  bool
	nc       ncFlags
	dump     dumpFlags
	raw      rawOptions
	set      []string // the flags given, by long name
}

func newListenCmd(stdio IO) *cobra.Command {
	opts := listenOptions{}
	cmd := &cobra.Command{
		Use:   "listen [flags] ADDR | [HOST] PORT",
		Short: "Accept peers and join them to standard input and output, a program, or each other (netcat -l)",
		Long: `listen binds ADDR, prints the address it bound on standard error, and serves
the peers that connect, in one of four ways:

  (default)      the first peer is joined to standard input and output, and
                 listen exits when it is done (other peers are refused)
  -k             every peer at once: standard input goes to all of them,
                 and what each sends is printed on standard output
  --exec CMD     each peer gets its own run of CMD (words split as a shell
  --sh-exec CMD  splits them, nothing expanded; --sh-exec runs sh -c CMD),
                 with its standard input and output on the connection and
                 SOCKIT_PEER_ADDR and SOCKIT_LOCAL_ADDR in its environment
  --broker       what each peer sends goes to every other peer (a chat
                 room); standard input and output take no part

Half-close and exit, the same rule as connect's: when standard input ends,
the write side is shut down (the peer reads end-of-file; with -k, every
peer's) and what arrives is printed until the peer closes. If the peer's
stream ends first, the rest of standard input is still sent to it (it may
only have shut down its write side), then listen ends; from a terminal it
ends at once. --no-shutdown keeps the write side open; -q SECS
stops waiting SECS after standard input ended. A program's reply written
after its peer shut down its write side is still delivered. -w ends any
connection on which nothing has moved for that long. With -k, --exec or
--broker, listen runs until interrupted (SIGINT or SIGTERM), then exits 0.

Datagram addresses (udp, unixgram) have no connections: listen keeps one
session per peer address, replies to each sender from the same socket, and
ends a session when its peer has been silent for -w (60s if not given). Each
line of standard input is one datagram. The socket is never connected to its
first peer, so every sender is served. With --exec and --sh-exec, each line
the program writes goes back as one datagram.

icmp://ADDR (icmp6://ADDR) is raw receive instead: a raw socket that prints
every ICMP packet the host receives for ADDR (0.0.0.0 or [::]: any), decoded
layer by layer (IP header, ICMP message, and the packet an ICMP error quotes);
--count N stops after N packets, --json writes a line of JSON per packet, -x
adds the bytes in hex. It needs CAP_NET_RAW.

tls:// addresses serve TLS with the certificate of ?cert=FILE&key=FILE, or
with a self-signed certificate made on the spot; either way its SHA-256
fingerprint is printed, for clients to check.

--max-conns bounds the peers served at once; more are accepted and closed
(a datagram peer's datagrams are dropped). --allow and --deny take IP
addresses or CIDR prefixes (repeat them or separate with commas): a peer
must match an --allow, if any is given, and no --deny.

nc's habits work too: "listen 8080" or "listen -l 127.0.0.1 8080" for
tcp://, -u for udp, -U for a Unix socket path (-uU: unixgram), -4/-6, -n
(numeric host only).

-v prints each peer's 5-tuple as it is accepted and one status line when it
is done: bytes each way, who closed first, why it ended. -x dumps every
chunk each peer sends and receives on standard error in hex, --text as
text, each with its direction (< received, > sent), time, length and
stream offset, and the peer's #number when several may be open.`,
		Example: `  sockit listen :9000 > upload.bin                 # receive one file
  sockit listen -k -v 8080                          # talk to several clients at once
  sockit listen -k --sh-exec 'echo "hello $SOCKIT_PEER_ADDR"' :7000
  sockit listen --broker --max-conns 10 tcp6://[::]:6667
  sockit listen -k --exec cat udp://127.0.0.1:9999  # a UDP echo, a session per sender
  sockit listen -k --allow 10.0.0.0/8 --deny 10.0.0.13 -w 30 :2222
  sockit listen 'tls://:8443?cert=server.pem&key=server.key'
  sockit listen tls://127.0.0.1:8443               # a self-signed certificate, fingerprint printed
  sockit listen icmp://0.0.0.0                      # every ICMP packet, decoded`,
		Args: argsBetween(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := opts.nc.address(args, true)
			if err != nil {
				return err
			}
			cmd.Flags().Visit(func(f *pflag.Flag) { opts.set = append(opts.set, f.Name) })
			return runListen(cmd.Context(), addr, opts, stdio)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.keep, "keep-open", "k", false, "serve every peer, several at once, until interrupted")
	f.StringVarP(&opts.exec, "exec", "e", "", "run this program for each peer, joined to its connection")
	f.StringVarP(&opts.shExec, "sh-exec", "c", "", "run this shell command (sh -c) for each peer, joined to its connection")
	f.BoolVar(&opts.broker, "broker", false, "relay what each peer sends to every other peer; implies -k")
	f.IntVarP(&opts.maxConns, "max-conns", "m", 100, "peers served at once; more are closed (datagrams: dropped)")
	f.StringSliceVar(&opts.allow, "allow", nil, "serve only peers in these addresses or CIDR prefixes")
	f.StringSliceVar(&opts.deny, "deny", nil, "refuse peers in these addresses or CIDR prefixes")
	f.BoolVarP(&opts.verbose, "verbose", "v", false, "print each peer's 5-tuple and, when it is done, a status line on standard error")
	addRuleFlags(cmd, &opts.rules, &opts.idle, "w")
	opts.nc.addFlags(cmd, true)
	opts.dump.add(cmd)
	f.IntVar(&opts.raw.count, "count", 0, "icmp:// only: stop after this many packets (0: until interrupted)")
	f.BoolVar(&opts.raw.json, "json", false, "icmp:// only: write each packet as a line of JSON")
	cmd.MarkFlagsMutuallyExclusive("exec", "sh-exec", "broker")
	return cmd
}

// listener is what listen accepts from: a stream listener, or a datagram
// socket's sessions.
type listener interface {
	Accept() (net.Conn, error)
	Close() error
	Addr() net.Addr
}

func runListen(ctx context.Context, addr string, opts listenOptions, stdio IO) error {
	ep, err := parseEndpoint(addr)
	if err != nil {
		return err
	}
	if ep.Type() == 0 {
		return usageErrorf("listen %s: not a socket address", addr)
	}
	if ep.IsICMP() {
		return runRawListen(ctx, ep, opts, stdio)
	}
	if opts.raw != (rawOptions{}) {
		return usageErrorf("listen %s: --count and --json are for icmp:// addresses", addr)
	}
	var argv []string
	switch {
	case opts.exec != "":
		prog, err := parseEndpoint("exec:" + opts.exec)
		if err != nil {
			return usageErrorf("--exec %q: %v", opts.exec, err)
		}
		if argv = prog.Command(); len(argv) == 0 {
			return usageErrorf("--exec: no program given")
		}
	case opts.shExec != "":
		argv = []string{"/bin/sh", "-c", opts.shExec}
	}
	if (argv != nil || opts.broker) && (opts.rules.sendOnly || opts.rules.recvOnly) {
		return usageErrorf("listen: --send-only and --recv-only shape standard input and output, which --exec, --sh-exec and --broker do not use")
	}
	gate, err := newPeerGate(opts.allow, opts.deny, opts.maxConns)
	if err != nil {
		return err
	}
	if gate.filters() && ep.IsUnix() {
		return usageErrorf("listen %s: --allow and --deny filter IP addresses; a Unix socket's peers have none", addr)
	}

	ln, err := openListener(ctx, ep, opts)
	if err != nil {
		return err
	}
	defer ln.Close()
	fmt.Fprintf(stdio.Err, "sockit: listening on %s\n", endpoint.FromAddr(ep.Network, ln.Addr()))
	reportCertificate(stdio.Err, ln)
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()

	s := &listenServer{ctx: ctx, ln: ln, opts: opts, gate: gate, stdio: stdio, argv: argv,
		lines: ep.Type() != socket.Stream, datagram: ep.Type() == socket.Datagram, idle: opts.idle, stopping: make(chan struct{}), dumper: opts.dump.dumper(stdio.Err)}
	if ep.Type() == socket.Datagram && s.idle <= 0 {
		s.idle = session.DefaultIdle
	}
	switch {
	case argv != nil:
		err = s.serveExec()
	case opts.broker:
		err = s.serveBroker()
	case opts.keep:
		err = s.serveMany()
	default:
		err = s.serveOne()
	}
	if ctx.Err() != nil && (err == nil || errors.Is(err, net.ErrClosed)) {
		return nil // interrupted by the user
	}
	return err
}

// openListener opens ep's stream listener, or a session listener over its
// datagram socket.
func openListener(ctx context.Context, ep endpoint.Endpoint, opts listenOptions) (listener, error) {
	if ep.Type() != socket.Datagram {
		return ep.Listen(ctx)
	}
	pc, err := ep.ListenPacket(ctx)
	if err != nil {
		return nil, err
	}
	cfg := session.Config{Idle: opts.idle, MaxSessions: opts.maxConns}
	if !opts.keep && !opts.broker && opts.exec == "" && opts.shExec == "" {
		cfg.MaxSessions = 1 // one peer: the others' datagrams are dropped
	}
	return session.Listen(pc, cfg), nil
}

// listenServer serves the peers of one listen run.
type listenServer struct {
	ctx      context.Context
	ln       listener
	opts     listenOptions
	gate     *peerGate
	stdio    IO
	argv     []string
	lines    bool          // datagrams or records: standard input goes line by line
	datagram bool          // the peers are sessions of a datagram socket
	idle     time.Duration // the idle timeout in force, for status lines

	stopping chan struct{} // closed when serveEach stops accepting
	dumper   *dump.Dumper  // -x, --text; nil without
	n        atomic.Int64
	errMu    sync.Mutex // serialises lines on standard error
}

// logf prints one line on standard error.
func (s *listenServer) logf(format string, args ...any) {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	fmt.Fprintf(s.stdio.Err, "sockit: "+format+"\n", args...)
}

// accept returns the next peer the gate lets in, numbered from 1, with
// the idle timeout applied; it closes and reports the others. The caller
// reports the peer (logAccepted) once it is ready for it.
func (s *listenServer) accept() (int64, net.Conn, func() bool, error) {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return 0, nil, nil, err
		}
		n := s.n.Add(1)
		if why, full := s.gate.admit(c.RemoteAddr()); why != "" {
			c.Close()
			if s.opts.verbose || full { // a full server is news; a filtered scanner is not
				s.logf("#%d refused %s: %s", n, peerName(c), why)
			}
			continue
		}
		idled := func() bool { return false }
		if sc, ok := c.(*session.Conn); ok { // sessions time out on their own
			idled = sc.Idled
		} else if s.opts.idle > 0 {
			ic := relay.CloseWhenIdle(c, s.opts.idle)
			c, idled = ic, ic.Idled
		}
		if s.dumper != nil {
			id := ""
			if s.opts.keep || s.opts.broker {
				id = fmt.Sprintf("#%d", n)
			}
			c = s.dumper.Conn(c, id)
		}
		return n, c, idled, nil
	}
}

// acceptOne accepts peers until one is let in and completes its TLS
// handshake, if there is one; a failed handshake is reported and the next
// peer accepted.
func (s *listenServer) acceptOne() (int64, net.Conn, func() bool, error) {
	for {
		n, c, idled, err := s.accept()
		if err != nil {
			return 0, nil, nil, err
		}
		s.logAccepted(n, c)
		if err := handshake(s.ctx, c); err != nil {
			c.Close()
			s.gate.leave()
			s.logf("#%d %v", n, errorLine(err))
			continue
		}
		return n, c, idled, nil
	}
}

// logAccepted reports peer #n under -v.
func (s *listenServer) logAccepted(n int64, c net.Conn) {
	if s.opts.verbose {
		s.logf("#%d accepted %s", n, endpoint.TupleOf(c))
	}
}

func peerName(c net.Conn) string {
	if a := c.RemoteAddr(); a != nil && a.String() != "" {
		return a.String()
	}
	return "an unnamed peer"
}

// why is the status for a peer closed here: idle, interrupted, or "".
func (s *listenServer) why(idled func() bool) string {
	return interruptedOrIdle(s.ctx, idled(), s.idle)
}

// serveOne joins the first peer let in, and through the TLS handshake if
// there is one, to standard input and output.
func (s *listenServer) serveOne() error {
	n, c, idled, err := s.acceptOne()
	if err != nil {
		return err
	}
	if !s.datagram {
		s.ln.Close() // one peer: the others are refused by the kernel
	}
	defer s.gate.leave()
	defer c.Close()
	stop := context.AfterFunc(s.ctx, func() { c.Close() })
	defer stop()
	rules := s.opts.rules
	rules.lines = s.lines
	rules.sessionEnds = s.datagram
	var counts byteCounts
	end, err := joinPeer(c, s.stdio, rules, &counts)
	if s.opts.verbose {
		why := ""
		if end == closedHere || idled() { // a datagram session's end is its idling
			why = s.why(idled)
		}
		if err != nil {
			why = "error: " + errorLine(err)
		}
		s.logf("#%d %s", n, statusLine(&counts, end, why))
	}
	return err
}

// serve serves one peer and returns its -v status line and its error.
type serve func() (status string, err error)

// serveEach accepts peers until the listener closes. For each, in a
// goroutine of its own, it completes the TLS handshake if there is one,
// calls join, which makes the peer ready to be served (a member of a hub,
// say), and runs the serve that join returns; when that
// returns, the peer is closed and counted out before its status is
// printed, so that a client that has read the status may come back. Then
// serveEach closes the connections still open, waits for their serve to
// return, and returns the error that stopped accepting.
func (s *listenServer) serveEach(join func(n int64, c net.Conn, idled func() bool) serve) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		open = map[net.Conn]bool{}
	)
	var err error
	for {
		n, c, idled, aerr := s.accept()
		if aerr != nil {
			err = aerr
			break
		}
		mu.Lock()
		open[c] = true
		mu.Unlock()
		wg.Go(func() {
			var status string
			err := handshake(s.ctx, c)
			if err == nil {
				serve := join(n, c, idled)
				s.logAccepted(n, c)
				status, err = serve()
			}
			c.Close()
			mu.Lock()
			delete(open, c)
			mu.Unlock()
			s.gate.leave()
			s.report(n, status, err)
		})
	}
	close(s.stopping)
	mu.Lock()
	for c := range open {
		c.Close()
	}
	mu.Unlock()
	wg.Wait()
	return err
}

// report prints a served peer's status under -v, and its error always.
func (s *listenServer) report(n int64, status string, err error) {
	switch {
	case s.opts.verbose && status != "":
		s.logf("#%d %s", n, status)
	case err != nil:
		s.logf("#%d %v", n, errorLine(err))
	}
}

// serveExec joins each peer to its own run of the program.
func (s *listenServer) serveExec() error {
	pairing := func(n int64, c net.Conn, idled func() bool) serve {
		return func() (string, error) {
			env := []string{"SOCKIT_PEER_ADDR=" + peerAddr(c), "SOCKIT_LOCAL_ADDR=" + c.LocalAddr().String()}
			prog, err := relay.Start(s.ctx, s.argv, env, s.stdio.Err)
			if err != nil {
				return "", err
			}
			peer := c.(relay.Conn)
			if s.datagram {
				peer = relay.Lines(peer) // a datagram per line the program writes
			}
			st, err := relay.Join(s.ctx, peer, prog)
			why := s.why(idled)
			switch {
			case s.ctx.Err() != nil || idled():
				err = nil
			case peerLeft(err):
				why, err = "the peer left while the program was still writing", nil
			}
			return execStatus(st, err, why), err
		}
	}
	if s.opts.keep {
		return s.serveEach(pairing)
	}
	n, c, idled, err := s.acceptOne()
	if err != nil {
		return err
	}
	status, err := pairing(n, c, idled)()
	c.Close()
	s.gate.leave()
	if s.opts.verbose {
		s.logf("#%d %s", n, status)
	}
	return err
}

// peerLeft reports whether err says only that the peer went away while
// bytes were still being sent to it: no failure of this side.
func peerLeft(err error) bool {
	var de *relay.DirectionError
	return errors.As(err, &de) && de.From == relay.B &&
		(errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET))
}

// execStatus is the -v line for a peer joined to a program.
func execStatus(st relay.Stats, err error, why string) string {
	line := fmt.Sprintf("%d bytes from the peer to the program, %d bytes back; ", st.AToB, st.BToA)
	switch {
	case why != "":
		return line + why
	case err != nil:
		return line + "error: " + errorLine(err)
	case st.FirstEnd == relay.A:
		return line + "the peer ended first, then the program"
	case st.FirstEnd == relay.B:
		return line + "the program ended first, then the peer"
	}
	return line + "closed"
}

// peerAddr is the peer's address for a program's environment.
func peerAddr(c net.Conn) string {
	if a := c.RemoteAddr(); a != nil {
		return a.String()
	}
	return ""
}

// pumpStatus is the -v line for a peer of -k or --broker, which ends when
// the peer does.
func (s *listenServer) pumpStatus(counts *byteCounts, err error, idled func() bool) string {
	why := "the peer closed"
	if err != nil {
		why = "error: " + errorLine(err)
	}
	if w := s.why(idled); w != "" {
		why = w
	}
	return statusLine(counts, closedHere, why)
}

// serveBroker relays what each peer sends to every other.
func (s *listenServer) serveBroker() error {
	hub := &relay.Hub{Broker: true}
	defer hub.Close()
	return s.serveEach(func(n int64, c net.Conn, idled func() bool) serve {
		var counts byteCounts
		m := hub.Add(countingWriter{c, &counts.sent}, false, func(error) { c.Close() })
		return func() (string, error) {
			received, err := pump(c, m.Send)
			c.Close() // the peer has ended: so has its connection
			m.Leave()
			counts.received.Store(received)
			return s.pumpStatus(&counts, err, idled), err
		}
	})
}

// pump reads c until it ends and hands each chunk to send; it returns the
// bytes read and the error that ended it, if not end-of-file or close.
func pump(c net.Conn, send func([]byte)) (int64, error) {
	buf := make([]byte, maxLine)
	var total int64
	for {
		n, err := c.Read(buf)
		if n > 0 {
			total += int64(n)
			send(buf[:n])
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, notClosed(err)
		}
	}
}

// serveMany joins every peer to standard input and output at once.
func (s *listenServer) serveMany() error {
	hub := &relay.Hub{}
	defer hub.Close()
	out := hub.Add(s.stdio.Out, true, nil)
	rules := s.opts.rules

	// The members joined to standard input; at its end each gets its write
	// side shut down after its last chunk, and so does each that joins
	// after it.
	var (
		mu         sync.Mutex
		members    = map[net.Conn]*relay.Member{}
		inputEnded bool
		endOfInput = make(chan struct{}) // closed when inputEnded is set
	)
	endFor := func(c net.Conn, m *relay.Member) {
		if !rules.noShutdown {
			m.After(func() { closeWrite(c) })
		}
	}
	inputDone := make(chan error, 1)
	if !rules.recvOnly {
		go func() {
			err := readInput(s.stdio.In, s.lines, out.Send)
			mu.Lock()
			inputEnded = true
			for c, m := range members {
				endFor(c, m)
			}
			mu.Unlock()
			close(endOfInput)
			inputDone <- err
		}()
	}
	acceptDone := make(chan error, 1)
	go func() {
		acceptDone <- s.serveEach(func(n int64, c net.Conn, idled func() bool) serve {
			var counts byteCounts
			m := hub.Add(countingWriter{c, &counts.sent}, false, func(error) { c.Close() })
			mu.Lock()
			members[c] = m
			if inputEnded {
				endFor(c, m)
			}
			mu.Unlock()
			return func() (string, error) {
				send := m.Send // to the center: standard output
				if rules.sendOnly {
					send = func([]byte) {}
				}
				received, err := pump(c, send)
				if err == nil && !rules.recvOnly && !isTerminal(s.stdio.In) {
					// The peer may only have shut down its write side:
					// it gets standard input to the end (join.go's rule).
					select {
					case <-endOfInput:
						m.Flush()
					case <-m.Done():
					case <-s.stopping:
					}
				}
				c.Close() // both ways have ended: so has the connection
				m.Leave()
				mu.Lock()
				delete(members, c)
				mu.Unlock()
				counts.received.Store(received)
				return s.pumpStatus(&counts, err, idled), err
			}
		})
	}()
	var quit <-chan time.Time
	for {
		select {
		case err := <-acceptDone:
			return err
		case err := <-inputDone:
			if err != nil {
				s.ln.Close()
				<-acceptDone
				return err
			}
			if rules.quit >= 0 {
				t := time.NewTimer(rules.quit)
				defer t.Stop()
				quit = t.C
			}
		case <-quit:
			s.ln.Close()
			return notClosed(<-acceptDone)
		}
	}
}

// readInput reads in until it ends, handing send each chunk, or each line
// when lines is set.
func readInput(in io.Reader, lines bool, send func([]byte)) error {
	if lines {
		_, err := forEachLine(in, func(line []byte) error { send(line); return nil })
		return err
	}
	buf := make([]byte, 64<<10)
	for {
		n, err := in.Read(buf)
		if n > 0 {
			send(buf[:n])
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// peerGate applies --allow, --deny and --max-conns.
type peerGate struct {
	allow, deny []netip.Prefix
	max         int
	open        atomic.Int64
}

func newPeerGate(allow, deny []string, max int) (*peerGate, error) {
	if max < 1 {
		return nil, usageErrorf("--max-conns %d: at least 1 peer must be served", max)
	}
	g := &peerGate{max: max}
	var err error
	if g.allow, err = parsePrefixes("--allow", allow); err != nil {
		return nil, err
	}
	if g.deny, err = parsePrefixes("--deny", deny); err != nil {
		return nil, err
	}
	return g, nil
}

func parsePrefixes(flag string, list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, usageErrorf("%s %q: not an IP address or CIDR prefix like 192.0.2.0/24", flag, s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 { // peers' addresses are compared unmapped
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func (g *peerGate) filters() bool { return len(g.allow) > 0 || len(g.deny) > 0 }

// admit says why a peer at a is refused, or "" and counts it in; full
// says the refusal is for --max-conns.
func (g *peerGate) admit(a net.Addr) (why string, full bool) {
	if g.filters() {
		ip := addrIP(a)
		if !ip.IsValid() {
			return "its address is not an IP address", false
		}
		if len(g.allow) > 0 && !matchAny(g.allow, ip) {
			return "not in --allow", false
		}
		if matchAny(g.deny, ip) {
			return "in --deny", false
		}
	}
	if g.open.Add(1) > int64(g.max) {
		g.open.Add(-1)
		return fmt.Sprintf("%d peers are being served already (--max-conns)", g.max), true
	}
	return "", false
}

// leave counts a peer out.
func (g *peerGate) leave() { g.open.Add(-1) }

func addrIP(a net.Addr) netip.Addr {
	var ip net.IP
	switch a := a.(type) {
	case *net.TCPAddr:
		ip = a.IP
	case *net.UDPAddr:
		ip = a.IP
	default:
		return netip.Addr{}
	}
	addr, _ := netip.AddrFromSlice(ip)
	return addr.Unmap()
}

func matchAny(ps []netip.Prefix, ip netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
