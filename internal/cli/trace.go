package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sockit/sockit/icmp"
)

type traceOptions struct {
	udp, icmp  bool
	probes     int
	maxHops    int
	firstHop   int
	wait       time.Duration
	port       int
	size       int
	ipv4, ipv6 bool
	numeric    bool
	json       bool
	socket     string
}

func newTraceCmd(stdio IO) *cobra.Command {
	opts := traceOptions{wait: icmp.DefaultWait}
	cmd := &cobra.Command{
		Use:     "trace [flags] HOST",
		Aliases: []string{"traceroute"},
		Short:   "List the routers on the way to a host (traceroute)",
		Long: `trace finds the routers between this host and HOST. It sends probes with a
TTL (IPv6: hop limit) of 1, then 2, and so on: each router on the way
lowers the TTL by one, and the router where it reaches zero drops the probe
and answers "time exceeded", which names it. The destination itself
answers the probe: an echo reply to an ICMP echo request (the default), or
"port unreachable" to a UDP datagram sent to an unlikely port (--udp, from
port 33434 up, one port per probe).

Each line is a hop: its TTL, who answered, and each probe's round trip; "*"
is a probe that got no answer within -w (a router that does not answer,
or a lost packet). !H, !N, !P, !X and !F-MTU mark a host, network or
protocol unreachable, administratively prohibited, and fragmentation
needed. The trace ends at the destination, at an unreachable, or after -m
hops; the exit status is 0 if the destination answered, 1 if not.

ICMP probes need a raw socket (CAP_NET_RAW) or the unprivileged ICMP
socket (net.ipv4.ping_group_range); UDP probes need neither: the ICMP
answers come back on the UDP socket's error queue (IP_RECVERR).`,
		Example: `  sockit trace 127.0.0.1
  sockit trace --udp -q 1 -w 1 203.0.113.9
  sockit trace -6 -m 10 --json ::1`,
		Args: argsBetween(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTrace(cmd.Context(), args[0], opts, stdio)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.udp, "udp", "U", false, "probe with UDP datagrams instead of ICMP echo requests")
	f.BoolVarP(&opts.icmp, "icmp", "I", false, "probe with ICMP echo requests (the default)")
	f.IntVarP(&opts.probes, "queries", "q", 3, "probes per hop")
	f.IntVarP(&opts.maxHops, "max-hops", "m", 30, "the largest TTL to probe with")
	f.IntVarP(&opts.firstHop, "first-hop", "f", 1, "the TTL to start with")
	f.VarP(seconds{&opts.wait}, "wait", "w", "how long to wait for a hop's answers, in seconds or as a duration")
	f.IntVarP(&opts.port, "port", "p", icmp.DefaultPort, "the first destination port of UDP probes")
	f.IntVar(&opts.size, "size", 32, "payload bytes of each probe")
	f.BoolVarP(&opts.ipv4, "ipv4", "4", false, "trace HOST's IPv4 address")
	f.BoolVarP(&opts.ipv6, "ipv6", "6", false, "trace HOST's IPv6 address")
	f.BoolVarP(&opts.numeric, "numeric", "n", false, "print addresses as numbers (sockit always does; for traceroute habits)")
	f.BoolVar(&opts.json, "json", false, "write the hops as JSON")
	f.StringVar(&opts.socket, "socket", "auto", "the ICMP socket for ICMP probes: auto, raw or datagram")
	return cmd
}

// traceReport is what --json writes.
type traceReport struct {
	Host     string     `json:"host"`
	Address  string     `json:"address"`
	Probe    string     `json:"probe"`
	Socket   string     `json:"socket"`
	MaxHops  int        `json:"max_hops"`
	Reached  bool       `json:"reached"`
	Hops     []traceHop `json:"hops"`
	Duration float64    `json:"seconds"`
}

type traceHop struct {
	TTL    int          `json:"ttl"`
	Probes []traceProbe `json:"probes"`
}

type traceProbe struct {
	Answered bool    `json:"answered"`
	From     string  `json:"from,omitempty"`
	RTTms    float64 `json:"rtt_ms,omitempty"`
	Reached  bool    `json:"reached,omitempty"`
	Type     int     `json:"type,omitempty"`
	Code     int     `json:"code,omitempty"`
	Message  string  `json:"message,omitempty"`
	Flag     string  `json:"flag,omitempty"`
}

func (o traceOptions) check() error {
	switch {
	case o.ipv4 && o.ipv6:
		return usageErrorf("trace: -4 and -6 exclude each other")
	case o.udp && o.icmp:
		return usageErrorf("trace: --udp and --icmp exclude each other")
	case o.probes < 1 || o.probes > 10:
		return usageErrorf("trace: -q wants 1 to 10 probes per hop")
	case o.firstHop < 1 || o.maxHops > 255 || o.firstHop > o.maxHops:
		return usageErrorf("trace: want 1 <= -f <= -m <= 255")
	case o.wait <= 0:
		return usageErrorf("trace: -w wants a positive wait")
	case o.port < 1 || o.port > 0xffff:
		return usageErrorf("trace: -p wants a port from 1 to 65535")
	case o.size < 0 || o.size > 65000:
		return usageErrorf("trace: --size wants 0 to 65000 bytes")
	}
	return nil
}

func runTrace(ctx context.Context, host string, opts traceOptions, stdio IO) error {
	if err := opts.check(); err != nil {
		return err
	}
	dst, kind, err := icmpTarget(ctx, "trace", host, opts.socket, opts.ipv4, opts.ipv6)
	if err != nil {
		return err
	}
	t, err := icmp.NewTracer(icmp.TraceConfig{Dst: dst, UDP: opts.udp, Port: opts.port, FirstTTL: opts.firstHop,
		MaxTTL: opts.maxHops, Probes: opts.probes, Wait: opts.wait, Size: opts.size, Kind: kind})
	if err != nil {
		return fmt.Errorf("trace %s: %w", host, err)
	}
	defer t.Close()

	out := stdio.Out
	if opts.json {
		out = io.Discard
	}
	headers := 20 + 8 // IPv4 and ICMP or UDP
	if dst.Is6() {
		headers = 40 + 8
	}
	probes := "UDP probes"
	if !opts.udp {
		probes = "ICMP probes (" + t.Socket() + " socket)"
	}
	fmt.Fprintf(out, "trace to %s (%s), %d hops max, %d byte packets, %s\n", host, dst, opts.maxHops, headers+opts.size, probes)
	report := traceReport{Host: host, Address: dst.String(), Probe: "icmp", Socket: t.Socket(), MaxHops: opts.maxHops, Hops: []traceHop{}}
	if opts.udp {
		report.Probe = "udp"
	}
	start := time.Now()
	hops, runErr := t.Run(ctx, func(h icmp.Hop) {
		fmt.Fprintln(out, hopLine(h))
		report.Hops = append(report.Hops, hopRow(h))
	})
	report.Duration = time.Since(start).Seconds()
	reached := len(hops) > 0 && hops[len(hops)-1].Reached()
	report.Reached = reached
	if opts.json {
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return err
		}
	}
	switch {
	case ctx.Err() != nil:
		return nil // interrupted: the hops done are printed
	case runErr != nil:
		return fmt.Errorf("trace %s: %w", host, runErr)
	case !reached && len(hops) > 0 && hops[len(hops)-1].Stopped():
		return fmt.Errorf("trace %s: stopped at hop %d: %s", host, hops[len(hops)-1].TTL, unreachable(hops[len(hops)-1]))
	case !reached:
		return fmt.Errorf("trace %s: no answer from the destination within %d hops", host, opts.maxHops)
	}
	return nil
}

// hopLine formats a hop as traceroute -n does: the TTL, then for each
// probe its round trip, preceded by who answered whenever that changes.
func hopLine(h icmp.Hop) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%2d", h.TTL)
	var last string
	for _, p := range h.Probes {
		if !p.Answered {
			b.WriteString("  *")
			continue
		}
		if from := p.From.String(); from != last {
			fmt.Fprintf(&b, "  %s", from)
			last = from
		}
		fmt.Fprintf(&b, "  %.3f ms", ms(p.RTT))
		if f := p.Flag(); f != "" {
			b.WriteString(" " + f)
		}
	}
	return b.String()
}

func hopRow(h icmp.Hop) traceHop {
	row := traceHop{TTL: h.TTL, Probes: make([]traceProbe, 0, len(h.Probes))}
	for _, p := range h.Probes {
		tp := traceProbe{Answered: p.Answered}
		if p.Answered {
			tp.From, tp.RTTms, tp.Reached, tp.Flag = p.From.String(), ms(p.RTT), p.Reached, p.Flag()
			tp.Type, tp.Code, tp.Message = p.Message.Type, p.Message.Code, p.Message.TypeName()
		}
		row.Probes = append(row.Probes, tp)
	}
	return row
}

// unreachable says what stopped a trace short of the destination.
func unreachable(h icmp.Hop) string {
	for _, p := range h.Probes {
		if p.Flag() != "" {
			return fmt.Sprintf("%s from %s", p.Message.Describe(), p.From)
		}
	}
	return "unreachable"
}
