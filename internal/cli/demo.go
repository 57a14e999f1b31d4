package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sockit/sockit/engine"
	"github.com/sockit/sockit/internal/tour"
)

type demoOptions struct {
	trace  bool
	json   bool
	engine string
}

func newDemoCmd(stdio IO) *cobra.Command {
	opts := demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Echo round trip over every socket type, with the 5-tuples (the tour)",
		Long: `demo starts an echo server for each socket type Linux offers a user — TCP and
UDP over IPv4 and IPv6, Unix stream, datagram and sequenced-packet sockets, and
an abstract-namespace socket — on an ephemeral port or a temp path, connects a
client, sends a message, checks that the echo is byte for byte the same, and
prints one row per type: the socket type, family and protocol, the server's
address, the client's address (with the ephemeral port the kernel picked), the
bytes and the round-trip time.

--trace then runs one TCP and one UDP exchange through sockit's socket package
and prints every system call as it happens: socket, setsockopt, bind, listen,
connect, accept, send/recv, sendto/recvfrom, shutdown, close — real calls,
real descriptors.

demo exits 1 if any echo did not come back intact.`,
		Example: `  sockit demo
  sockit demo --trace
  sockit demo --json | jq '.[] | {name, client}'`,
		Args: argsBetween(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), opts, stdio)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.trace, "trace", false, "also print a TCP and a UDP exchange system call by system call")
	f.BoolVar(&opts.json, "json", false, "print the rows as JSON")
	f.StringVar(&opts.engine, "engine", engine.Names()[0], "the servers' engine")
	return cmd
}

func runDemo(ctx context.Context, opts demoOptions, stdio IO) error {
	eng, err := engine.ByName(opts.engine)
	if err != nil {
		return &usageError{err}
	}
	rows, err := tour.Run(ctx, eng)
	if err != nil {
		return err
	}
	if opts.json {
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			return err
		}
	} else if err := printDemoTable(stdio.Out, rows); err != nil {
		return err
	}
	if opts.trace {
		fmt.Fprintln(stdio.Out)
		if err := tour.Trace(ctx, stdio.Out); err != nil {
			return err
		}
	}
	failed := 0
	for _, r := range rows {
		if r.Skipped == "" && !r.Verified {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("demo: %d of %d socket types did not echo intact", failed, len(rows))
	}
	return nil
}

func printDemoTable(w io.Writer, rows []tour.Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tSOCKET\tFAMILY\tPROTO\tSERVER\tCLIENT\tBYTES\tRTT\tECHO")
	for _, r := range rows {
		switch {
		case r.Skipped != "":
			fmt.Fprintf(tw, "%s\t\t%s\t\t\t\t\t\tskipped: %s\n", r.Name, r.Family, r.Skipped)
		case r.Err != "":
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\tFAILED: %s\n", r.Name, r.Socket, r.Family, r.Proto, r.Server, r.Client, r.Bytes, roundRTT(r.RTT), r.Err)
		default:
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\tverified\n", r.Name, r.Socket, r.Family, r.Proto, r.Server, r.Client, r.Bytes, roundRTT(r.RTT))
		}
	}
	return tw.Flush()
}

func roundRTT(d time.Duration) time.Duration {
	if d > time.Millisecond {
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}
