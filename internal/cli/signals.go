package cli

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// handlersAtStart reports whether the command called name has its signal
// handlers (handleSignals) installed before it runs. Not the ones that
// print and exit at once (version, info, help, completion): they leave
// SIGINT, SIGTERM and SIGPIPE to the runtime's defaults (the first two end
// the process, and so does a write to a closed pipe on standard output, as
// for cat). Not connect either, which installs them once its dial is done
// (or at once, listening with -l):
// a Ctrl-C during a dial that hangs then ends the process, as it ends nc,
// and a dial refused at once (a closed port) is answered without them.
// What a handler costs before the first byte is written is the runtime's
// signal goroutine and ours, each woken on a thread of its own: 0.4 ms of
// a 2.5 ms `sockit connect` to a closed port, 40 page faults.
func handlersAtStart(name string) bool {
	switch name {
	case "version", "info", "help", "completion", cobra.ShellCompRequestCmd, cobra.ShellCompNoDescRequestCmd:
		return false
	case "connect":
		return false
	}
	return true
}

// handleSignals makes ctx end on SIGINT or SIGTERM, for the commands
// that run until interrupted or wait on the network, and keeps SIGPIPE
// from killing the process: a write to standard output after its reader
// has gone (sockit ... | head) then fails with EPIPE, which the commands
// treat as a quiet end. Notify, not Ignore: an ignored signal would stay
// ignored in the programs exec: and --exec run. stop undoes it.
func handleSignals(ctx context.Context) (_ context.Context, stop func()) {
	ctx, stopNotify := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	pipe := make(chan os.Signal, 1)
	signal.Notify(pipe, syscall.SIGPIPE)
	return ctx, func() {
		signal.Stop(pipe)
		stopNotify()
	}
}
