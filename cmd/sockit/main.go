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
	code := cli.Main(ctx, os.Args[1:], cli.Stdio())
	stop()
	os.Exit(code)
}
