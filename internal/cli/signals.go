package cli

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// isInstant reports whether the command called name prints and exits at
// once. Such a command leaves SIGINT, SIGTERM and SIGPIPE to the runtime's
// defaults (the first two end the process, and so does a write to a
// closed pipe on standard output, as for cat), and so skips what a handler
// costs before the first byte is written: the runtime's signal goroutine
// and ours, each woken on a thread of its own, 0.2-0.4 ms and 40 page
// faults of `sockit version`.
func isInstant(name string) bool {
	switch name {
	case "version", "info", "help", "completion", cobra.ShellCompRequestCmd, cobra.ShellCompNoDescRequestCmd:
		return true
	}
	return false
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
