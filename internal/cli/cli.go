package cli

import (
	"context"
	"io"
	"os"
	"slices"

	"github.com/spf13/cobra"
)

// IO is where a command reads and writes.
type IO struct {
	In  io.Reader
	Out io.Writer // results
	Err io.Writer // diagnostics, logs and errors
}

// Stdio returns the process's standard streams.
func Stdio() IO { return IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr} }

// Main runs sockit with args (without the program name) and returns the
// exit code: 0 ok, 1 a network or runtime error, 2 a usage error.
//
// The commands that run on end ctx on SIGINT and SIGTERM, and see EPIPE
// instead of dying of SIGPIPE, until Main returns (handlersAtStart).
func Main(ctx context.Context, args []string, stdio IO) int {
	root := newRootCmdFor(stdio, args)
	stop := func() {}
	root.PersistentPreRun = func(cmd *cobra.Command, _ []string) {
		if handlersAtStart(cmd.Name()) {
			var sctx context.Context
			sctx, stop = handleSignals(cmd.Context())
			cmd.SetContext(sctx)
		}
	}
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	stop()
	if err == nil {
		return exitOK
	}
	return reportError(stdio.Err, err)
}

// Command returns sockit's root command with every subcommand, reading and
// writing stdio: for tools that document the commands (man pages, shell
// completion), which walk its tree.
func Command(stdio IO) *cobra.Command { return newRootCmd(stdio) }

// newBareRootCmd is the root command without its commands.
func newBareRootCmd(stdio IO) *cobra.Command {
	root := &cobra.Command{
		Use:   "sockit",
		Short: "A socket toolkit: echo servers, netcat, socat, ping, traceroute, and the socket lifecycle made visible",
		Long: `sockit opens every kind of socket Linux offers a user — TCP and UDP over IPv4 and
IPv6, Unix stream, datagram and sequenced-packet sockets, by path or abstract
name — with one address syntax, and shows what the kernel did: the addresses,
the ephemeral port it picked, and each system call.

Addresses:
  tcp://127.0.0.1:7777   tcp4://0.0.0.0:80   tcp6://[::1]:7   localhost:7777   :7777
  udp://127.0.0.1:5353   udp4://:9           udp6://[::1]:9
  unix:///run/app.sock   unix:rel/app.sock   unix:@abstract-name
  unixgram:/tmp/g.sock   unixpacket:@seq
  tls://example.com:443  tls4://0.0.0.0:8443 (TLS over tcp)
  icmp://0.0.0.0         icmp6://[::]        (raw ICMP: listen's raw receive)
  -                      standard input and output
  exec:COMMAND           file:PATH           (relay: a program, a file)
Options follow '?' (-v prints them as the kernel holds them):
  rcvbuf, sndbuf, rcvbufforce, sndbufforce, ttl (hoplimit), tos (dscp,
  tclass), nodelay, keepalive, linger, fastopen, congestion, maxseg,
  user-timeout, quickack, cork, reuseport, reuseaddr, v6only, freebind,
  transparent, bindtodevice, mark, priority, broadcast, busy-poll, debug,
  backlog, bind, listen, dial (which side listens, in relay); for udp
  multicast: join, source, iface, mttl, mloop; for tls: cert, key, ca,
  servername, insecure, clientca, verifyclient, alpn, minversion
  e.g. tcp://127.0.0.1:0?backlog=16&rcvbuf=256k

Exit codes: 0 ok, 1 network or runtime error, 2 usage error (bad flag or address).`,
		Example: `  sockit demo                          # echo round trip over every socket type
  sockit demo --trace                  # ... and every system call of a TCP and a UDP exchange
  sockit serve :7777 udp://:7777 unix:@echo
  echo hello | sockit connect -v :7777
  sockit listen -k --sh-exec 'date' :7013
  sockit ping -c 3 ::1
  sockit trace --udp 203.0.113.9
  sockit gateway --demo                # Python's py4j client calls Go objects
  sockit info`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetIn(stdio.In)
	root.SetOut(stdio.Out)
	root.SetErr(stdio.Err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErrorf("%v", err) })
	return root
}

// newRootCmd is the root with every command.
func newRootCmd(stdio IO) *cobra.Command {
	root := newBareRootCmd(stdio)
	for _, c := range commands() {
		root.AddCommand(c.build(stdio))
	}
	addCompletions(root)
	return root
}

// newRootCmdFor is the root that runs args: with only the command args
// name when they start with one, as building every command's flags is a
// quarter of the page faults of a short run such as "sockit version"
// (446 against 336); with them all for anything else (help, completion,
// a root flag, an unknown command, which cobra answers with a suggestion).
func newRootCmdFor(stdio IO, args []string) *cobra.Command {
	if len(args) > 0 {
		for _, c := range commands() {
			if c.name == args[0] || slices.Contains(c.aliases, args[0]) {
				root := newBareRootCmd(stdio)
				root.AddCommand(c.build(stdio))
				return root
			}
		}
	}
	return newRootCmd(stdio)
}

// namedCommand is one of sockit's commands with the words that select it
// (its name and aliases, as its cobra.Command has them), so that a run can
// build only the command it runs.
type namedCommand struct {
	name    string
	aliases []string
	build   func(IO) *cobra.Command
}

// commands are sockit's commands, in the order help lists them.
func commands() []namedCommand {
	return []namedCommand{
		{"demo", nil, newDemoCmd},
		{"serve", nil, newServeCmd},
		{"connect", nil, newConnectCmd},
		{"listen", nil, newListenCmd},
		{"relay", nil, newRelayCmd},
		{"scan", nil, newScanCmd},
		{"ping", nil, newPingCmd},
		{"trace", []string{"traceroute"}, newTraceCmd},
		{"bench", nil, newBenchCmd},
		{"perf", nil, newPerfCmd},
		{"gateway", nil, newGatewayCmd},
		{"info", nil, newInfoCmd},
		{"version", nil, newVersionCmd},
	}
}
