// Command sockit is a socket toolkit: echo servers on every socket type,
// a netcat-style client, and a tour of the Berkeley socket lifecycle.
// Run "sockit --help" for the commands.
package main

import (
	"context"
	"os"

	"github.com/sockit/sockit/internal/cli"
)

// main runs the command; internal/cli makes it end on SIGINT and SIGTERM
// (signals.go).
func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], cli.Stdio()))
}
