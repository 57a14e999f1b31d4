package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/peer"
	"github.com/sockit/sockit/session"
	"github.com/sockit/sockit/socket"
)

type listenOptions struct {
	keep                  bool
	exec                  string
	shExec                string
	broker                bool
	maxConns              int
	allow                 []string
	deny                  []string
	allowFiles, denyFiles []string // ncat's --allowfile, --denyfile
	idle                  time.Duration
	rules                 ruleFlags
	verbose               bool
	nc                    ncFlags
	dump                  dumpFlags
	raw                   rawOptions
	set                   []string // the flags given, by long name
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
the program writes goes back as one datagram. A UDP socket's receive buffer
is raised (within net.core.rmem_max, unless rcvbuf= is given) so that a
burst from many new peers waits in the kernel while their programs start;
the datagrams dropped all the same, by the kernel or by listen, are counted
and printed when listen ends (the kernel's always, all of them with -v).

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
must match an --allow, if any is given, and no --deny; --allowfile and
--denyfile read them from a file, as ncat's do.

nc's habits work too: "listen 8080" or "listen -l 127.0.0.1 8080" for
tcp://, -p PORT and -s ADDR for the address (listen -vp 4444), -u for udp,
-U for a Unix socket path (-uU: unixgram), -4/-6, -n (numeric host only),
-C (CRLF line ends), -I/-O (buffers), -T (TOS), -M (TTL), -b (broadcast),
-D (SO_DEBUG). nc's and ncat's flags that sockit does not take are refused
with what to type instead.

-v prints each peer's 5-tuple as it is accepted and one status line when it
is done: bytes each way, who closed first, why it ended; on a datagram
socket, also the datagrams dropped so far, when that count grows. -x dumps
every chunk each peer sends and receives on standard error in hex, --text
as text, each with its direction (< received, > sent), time, length and
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
		Args: ncPositional(&opts.nc),
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
	f.StringArrayVar(&opts.allowFiles, "allowfile", nil, "--allow the addresses and prefixes listed in this file (ncat's: one or more a line, # comments)")
	f.StringArrayVar(&opts.denyFiles, "denyfile", nil, "--deny the addresses and prefixes listed in this file")
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
	if err := opts.nc.apply(&ep, true); err != nil {
		return err
	}
	argv, err := programArgs(opts.exec, opts.shExec)
	if err != nil {
		return err
	}
	if (argv != nil || opts.broker) && (opts.rules.sendOnly || opts.rules.recvOnly) {
		return usageErrorf("listen: --send-only and --recv-only shape standard input and output, which --exec, --sh-exec and --broker do not use")
	}
	if opts.maxConns < 1 {
		return usageErrorf("--max-conns %d: at least 1 peer must be served", opts.maxConns)
	}
	join := opts.rules.join(stdio, opts.idle)
	if opts.nc.crlf && join.Input != nil {
		join.Input = peer.CRLF(join.Input)
	}
	join.TCPInfo = opts.verbose
	srv := &peer.Server{
		Join:          join,
		Keep:          opts.keep,
		Program:       argv,
		ProgramStderr: stdio.Err,
		Broker:        opts.broker,
	}
	srv.Gate.Max = opts.maxConns
	for _, lf := range []struct {
		files []string
		into  *[]string
		flag  string
	}{{opts.allowFiles, &opts.allow, "--allowfile"}, {opts.denyFiles, &opts.deny, "--denyfile"}} {
		for _, name := range lf.files {
			text, err := os.ReadFile(name)
			if err != nil {
				return usageErrorf("%s %v", lf.flag, err)
			}
			*lf.into = append(*lf.into, peer.SplitAddressList(string(text))...)
		}
	}
	if srv.Gate.Allow, err = peer.ParsePrefixes(opts.allow); err != nil {
		return usageErrorf("--allow %v", err)
	}
	if srv.Gate.Deny, err = peer.ParsePrefixes(opts.deny); err != nil {
		return usageErrorf("--deny %v", err)
	}
	if srv.Gate.Filters() && ep.IsUnix() {
		return usageErrorf("listen %s: --allow and --deny filter IP addresses; a Unix socket's peers have none", addr)
	}
	if d := opts.dump.dumper(stdio.Err); d != nil {
		numbered := opts.keep || opts.broker
		srv.WrapConn = func(n int64, c net.Conn) net.Conn {
			id := ""
			if numbered {
				id = fmt.Sprintf("#%d", n)
			}
			return d.Conn(c, id)
		}
	}

	if ep.Type() != socket.Datagram {
		srv.Configure = ep.Options.ConfigureConn
	}
	ln, sock, err := openListener(ctx, ep, opts)
	if err != nil {
		return err
	}
	bound := endpoint.FromAddr(ep.Network, ln.Addr())
	fmt.Fprintf(stdio.Err, "sockit: listening on %s\n", bound)
	if opts.verbose {
		reportOptions(stdio.Err, ep.Options, sock, bound.Address)
	}
	reportCertificate(stdio.Err, ln)
	idle := opts.idle // as the status lines say it
	if ep.Type() == socket.Datagram && idle <= 0 {
		idle = session.DefaultIdle
	}
	r := &listenReport{ctx: ctx, opts: opts, stdio: stdio, idle: idle,
		program: argv != nil, many: opts.keep || opts.broker}
	r.sessions, _ = ln.(*session.Listener)
	srv.Report = r.event
	err = srv.Serve(ctx, ln)
	r.drops(true)
	return err
}

// openListener opens ep's stream listener, or a session listener over its
// datagram socket; sock is the socket itself, for reading its options.
func openListener(ctx context.Context, ep endpoint.Endpoint, opts listenOptions) (ln net.Listener, sock any, err error) {
	if ep.Type() != socket.Datagram {
		ln, err := ep.Listen(ctx)
		return ln, ln, err
	}
	pc, err := ep.ListenPacket(ctx)
	if err != nil {
		return nil, nil, err
	}
	cfg := session.Config{Idle: opts.idle, MaxSessions: opts.maxConns}
	if ep.Options.RecvBuffer != 0 || ep.Options.RecvBufferForce != 0 {
		cfg.RecvBuffer = -1 // rcvbuf= said what it wants
	}
	if !opts.keep && !opts.broker && opts.exec == "" && opts.shExec == "" {
		cfg.MaxSessions = 1 // one peer: the others' datagrams are dropped
	}
	return session.Listen(pc, cfg), pc, nil
}

// listenReport prints what listen's server reports: under -v each peer's
// 5-tuple and status line; always the peers it could not serve and, when
// listen goes on serving others, their errors.
type listenReport struct {
	ctx     context.Context
	opts    listenOptions
	stdio   IO
	idle    time.Duration // the idle timeout in force, for status lines
	program bool          // peers are joined to a program
	many    bool          // several peers are served: -k or --broker
	mu      sync.Mutex    // serialises lines on standard error

	sessions *session.Listener // a datagram socket's, whose drops are told
	dropped  int64             // the drops last told, under mu
}

// logf prints one line on standard error.
func (r *listenReport) logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.stdio.Err, "sockit: "+format+"\n", args...)
}

// drops tells how many datagrams were dropped: under -v when the count
// has grown, and when listen ends (final) if any were, the kernel's
// without -v too, since they are lost data where listen's are peers it
// does not serve.
func (r *listenReport) drops(final bool) {
	if r.sessions == nil {
		return
	}
	kernel := r.sessions.KernelDropped()
	all := r.sessions.Dropped() // after: it has the kernel's, as new or newer
	r.mu.Lock()
	defer r.mu.Unlock()
	grew := all > r.dropped
	r.dropped = all
	switch {
	case all == 0, !r.opts.verbose && (!final || kernel == 0), !final && !grew:
		return
	}
	what := "datagrams dropped"
	if all == 1 {
		what = "datagram dropped"
	}
	if !final {
		what += " so far"
	}
	fmt.Fprintf(r.stdio.Err, "sockit: %d %s: %d by the kernel (the socket's receive buffer was full: see rcvbuf= and net.core.rmem_max), %d by listen (from peers it was not serving, or past a session's queue)\n",
		all, what, kernel, all-kernel)
}

func (r *listenReport) event(e peer.Event) {
	if r.opts.verbose && (e.Kind == peer.Accepted || e.Kind == peer.Done) {
		defer r.drops(false)
	}
	switch e.Kind {
	case peer.Refused:
		full := errors.Is(e.Err, peer.ErrFull)
		if r.opts.verbose || full { // a full server is news; a filtered scanner is not
			r.logf("#%d refused %s: %s", e.Peer, peerName(e.Addr), r.refusal(e.Err))
		}
	case peer.Accepted:
		if r.opts.verbose {
			r.logf("#%d accepted %s", e.Peer, endpoint.TupleOf(e.Conn))
		}
	case peer.Secured:
		if r.opts.verbose {
			if cs, ok := tlsState(e.Conn); ok {
				r.logf("#%d tls: %s", e.Peer, endpoint.DescribeTLS(cs))
			}
		}
	case peer.Failed:
		r.logf("#%d %v", e.Peer, errorLine(e.Err))
	case peer.Done:
		// With one peer, its error is also listen's, printed as it exits.
		keepsServing := r.many || (r.program && r.opts.keep)
		switch {
		case r.opts.verbose:
			r.logf("#%d %s", e.Peer, r.status(e))
			if e.Result.TCPInfo != nil {
				r.logf("#%d tcp_info at close: %s", e.Peer, e.Result.TCPInfo)
			}
		case keepsServing && e.Err != nil:
			r.logf("#%d %v", e.Peer, errorLine(e.Err))
		}
	}
}

// refusal says why the gate refused a peer, in the flags' words.
func (r *listenReport) refusal(err error) string {
	switch {
	case errors.Is(err, peer.ErrNotAllowed):
		return "not in --allow"
	case errors.Is(err, peer.ErrDenied):
		return "in --deny"
	case errors.Is(err, peer.ErrFull):
		return fmt.Sprintf("%d peers are being served already (--max-conns)", r.opts.maxConns)
	}
	return err.Error()
}

// status is the -v line for a peer that has been served.
func (r *listenReport) status(e peer.Event) string {
	res := e.Result
	why := ""
	if res.Ending == peer.Closed || res.Idled { // a datagram session's end is its idling
		why = interruptedOrIdle(r.ctx, res.Idled, r.idle)
	}
	switch {
	case r.program:
		return programStatus(res, e.Err, why)
	case r.many && why != "": // idle or interrupted
	case e.Err != nil:
		why = "error: " + errorLine(e.Err)
	case r.many:
		why = "the peer closed"
	}
	return statusLine(res, why)
}

// programStatus is the -v line for a peer joined to a program.
func programStatus(res peer.Result, err error, why string) string {
	line := fmt.Sprintf("%d bytes from the peer to the program, %d bytes back; ", res.Received, res.Sent)
	switch {
	case why != "":
		return line + why
	case err != nil:
		return line + "error: " + errorLine(err)
	case res.Ending == peer.PeerLeft:
		return line + "the peer left while the program was still writing"
	case res.Ending == peer.PeerFirst:
		return line + "the peer ended first, then the program"
	case res.Ending == peer.ProgramFirst:
		return line + "the program ended first, then the peer"
	}
	return line + "closed"
}

func peerName(a net.Addr) string {
	if a != nil && a.String() != "" {
		return a.String()
	}
	return "an unnamed peer"
}
