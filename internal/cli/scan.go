package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sockit/sockit/bench"
	"github.com/sockit/sockit/scan"
)

type scanOptions struct {
	concurrency int
	timeout     time.Duration
	ipv4, ipv6  bool
	all, json   bool
}

func newScanCmd(stdio IO) *cobra.Command {
	opts := scanOptions{}
	cmd := &cobra.Command{
		Use:   "scan [flags] HOST PORTS",
		Short: "Find the open TCP ports of a host (connect scan, nc -z)",
		Long: `scan connects to each TCP port of HOST in PORTS and reports what it finds:

  open      the connection was accepted (and is closed at once)
  closed    the host refused it
  filtered  no answer within --timeout, or the host is unreachable:
            something between drops the attempt

PORTS is a list of ports and ranges: 22, 20-25,80,443 or 1-65535. The table
shows the open ports (--all: every port) and counts the rest. --json writes
every port's result. On a terminal a progress line counts the ports done.
Scan only hosts you are allowed to.`,
		Example: `  sockit scan 127.0.0.1 1-1024
  sockit scan -w 300ms -c 500 localhost 1-65535
  sockit scan --all --json ::1 22,80,443`,
		Args: argsBetween(2, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScan(cmd.Context(), args[0], args[1], opts, stdio)
		},
	}
	f := cmd.Flags()
	f.IntVarP(&opts.concurrency, "concurrency", "c", 100, "connects in flight at once")
	opts.timeout = time.Second
	f.VarP(seconds{&opts.timeout}, "timeout", "w", "how long a port may take to answer before it counts as filtered, in seconds or as a duration (2, 300ms)")
	f.BoolVarP(&opts.ipv4, "ipv4", "4", false, "scan the host's IPv4 address")
	f.BoolVarP(&opts.ipv6, "ipv6", "6", false, "scan the host's IPv6 address")
	f.BoolVar(&opts.all, "all", false, "list closed and filtered ports too")
	f.BoolVar(&opts.json, "json", false, "write every port's result as JSON")
	return cmd
}

// scanReport is what --json writes.
type scanReport struct {
	Host    string         `json:"host"`
	Address string         `json:"address"`
	Seconds float64        `json:"seconds"`
	Counts  map[string]int `json:"counts"`
	Ports   []scan.Result  `json:"ports"`
}

func runScan(ctx context.Context, host, portList string, opts scanOptions, stdio IO) error {
	ports, err := scan.ParsePorts(portList)
	if err != nil {
		return &usageError{err}
	}
	network := "tcp"
	switch {
	case opts.ipv4 && opts.ipv6:
		return usageErrorf("scan: -4 and -6 exclude each other")
	case opts.ipv4:
		network = "tcp4"
	case opts.ipv6:
		network = "tcp6"
	}
	if opts.concurrency < 1 || opts.timeout <= 0 {
		return usageErrorf("scan: -c wants 1 or more and -w a positive time")
	}
	ip, err := scan.Resolve(ctx, network, host)
	if err != nil {
		return fmt.Errorf("scan %s: %w", host, err)
	}
	if !opts.json {
		fmt.Fprintf(stdio.Out, "scan %s (%s): %s ports, %d at a time, %v timeout\n",
			host, ip, bench.Count(int64(len(ports))), opts.concurrency, opts.timeout)
	}
	cfg := scan.Config{Network: network, Concurrency: opts.concurrency, Timeout: opts.timeout}
	var progress *progressLine
	if isTerminal(stdio.Out) && !opts.json {
		progress = newProgressLine(stdio.Out)
		var mu sync.Mutex
		last := time.Now()
		cfg.Progress = func(done int) {
			mu.Lock()
			defer mu.Unlock()
			if now := time.Now(); now.Sub(last) >= time.Second {
				last = now
				progress.Show("  %s of %s ports", bench.Count(int64(done)), bench.Count(int64(len(ports))))
			}
		}
	}
	t0 := time.Now()
	results := scan.Scan(ctx, ip, ports, cfg)
	took := time.Since(t0)
	if progress != nil {
		progress.Clear()
	}
	counts := map[string]int{}
	failed := 0
	for _, r := range results {
		counts[string(r.State)]++
		if r.State == scan.Failed {
			failed++
		}
	}
	if opts.json {
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(scanReport{Host: host, Address: ip.String(), Seconds: took.Seconds(), Counts: counts, Ports: results}); err != nil {
			return err
		}
	} else {
		writeScanTable(stdio.Out, results, counts, opts.all)
		fmt.Fprintf(stdio.Out, "scanned %s ports in %.2fs\n", bench.Count(int64(len(results))), took.Seconds())
	}
	switch {
	case ctx.Err() != nil:
		return nil // interrupted: what was found is printed
	case failed > 0:
		return fmt.Errorf("scan %s: %d ports could not be tried (see the error rows)", host, failed)
	}
	return nil
}

// writeScanTable lists the open ports (all with all) and counts the rest.
func writeScanTable(w io.Writer, results []scan.Result, counts map[string]int, all bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	rows := 0
	for _, r := range results {
		if all || r.State == scan.Open || r.State == scan.Failed {
			if rows++; rows == 1 {
				fmt.Fprintln(tw, "PORT\tSTATE\tTIME\tREASON")
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", r.Port, r.State, bench.Duration(int64(r.Time)), r.Why)
		}
	}
	tw.Flush()
	if rows == 0 {
		fmt.Fprintln(w, "no open ports")
	}
	if !all {
		fmt.Fprintf(w, "%s closed, %s filtered (not listed; --all lists them)\n",
			bench.Count(int64(counts[string(scan.Closed)])), bench.Count(int64(counts[string(scan.Filtered)])))
	}
}
