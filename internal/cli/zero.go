package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/sockit/sockit/scan"
)

// runZeroIO is connect -z HOST PORTS: nc's zero-I/O mode. Each port is
// connected to and closed at once; the open ones are printed (-v: every
// one), and the exit code is 0 if any port was open.
func runZeroIO(ctx context.Context, args []string, opts connectOptions, stdio IO) error {
	if len(args) != 2 {
		return usageErrorf("connect -z wants HOST PORTS, like 127.0.0.1 20-25,80")
	}
	if opts.nc.udp || opts.nc.unix || opts.nc.listen {
		return usageErrorf("connect -z tries TCP ports only: -u, -U and -l do not apply")
	}
	host := args[0]
	ports, err := scan.ParsePorts(args[1])
	if err != nil {
		return &usageError{err}
	}
	network := opts.nc.scheme()
	if err := opts.nc.checkNumeric(network + "://" + host + ":1"); err != nil {
		return err
	}
	timeout := opts.timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ip, err := scan.Resolve(ctx, network, host)
	if err != nil {
		return fmt.Errorf("connect -z %s: %w", host, err)
	}
	results := scan.Scan(ctx, ip, ports, scan.Config{Network: network, Concurrency: 1, Timeout: timeout})
	open := 0
	for _, r := range results {
		switch {
		case r.State == scan.Open:
			open++
			fmt.Fprintf(stdio.Out, "%s port %d (tcp) open\n", host, r.Port)
		case opts.verbose && r.Why != "":
			fmt.Fprintf(stdio.Err, "sockit: %s port %d (tcp) %s: %s\n", host, r.Port, r.State, r.Why)
		case opts.verbose:
			fmt.Fprintf(stdio.Err, "sockit: %s port %d (tcp) %s\n", host, r.Port, r.State)
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	if open == 0 {
		return fmt.Errorf("connect -z %s %s: no port accepted a connection", host, args[1])
	}
	return nil
}
