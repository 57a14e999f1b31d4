// Command sockit is a socket toolkit: echo servers on every socket type,
// a netcat-style client, and a tour of the Berkeley socket lifecycle.
// Run "sockit --help" for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/sockit/sockit/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// A write to standard output after its reader has gone (sockit ... |
	// head) then fails with EPIPE, which the commands treat as a quiet end,
	// instead of the runtime killing the process. Notify, not Ignore: an
	// ignored signal would stay ignored in the programs exec: and --exec run.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	code := cli.Main(ctx, os.Args[1:], cli.Stdio())
	stop()
	os.Exit(code)
}
