package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/sockit/sockit/icmp"
)

type pingOptions struct {
	count      int
	interval   time.Duration
	size       int
	ttl        int
	timeout    time.Duration
	deadline   time.Duration
	quiet      bool
	ipv4, ipv6 bool
	numeric    bool
	json       bool
	socket     string
	verbose    bool
}

func newPingCmd(stdio IO) *cobra.Command {
	opts := pingOptions{interval: time.Second}
	cmd := &cobra.Command{
		Use:   "ping [flags] HOST",
		Short: "Send ICMP echo requests and time the replies (iputils ping)",
		Long: `ping sends ICMP echo requests to HOST (ICMPv6 for an IPv6 address) and
prints a line per reply, then a summary, the way iputils ping does:

  64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.045 ms

bytes is the size of the ICMP reply, ttl the TTL (IPv6: hop limit) it
arrived with, which tells how many routers it crossed, and time the round
trip, from just before the request was sent to the kernel's receive
timestamp of the reply. "(DUP!)" marks a second reply to one request,
"(out of order)" a reply that came after a later request's. ICMP errors
about a request are printed as "From ROUTER icmp_seq=N Time to live
exceeded" (or "Destination Host Unreachable", ...) and counted as errors.

The socket: a raw ICMP socket needs CAP_NET_RAW (root, or setcap
cap_net_raw+ep on the binary). Without it, ping uses the unprivileged ICMP
datagram socket, which the kernel allows to the groups in the sysctl
net.ipv4.ping_group_range. If neither is allowed, the error says how to
grant one. --socket picks one kind; -v says which one is in use.

It stops after -c requests (and their replies, or a wait for them), after
-w seconds, or at Ctrl-C, and always prints the summary. Exit status: 0 if
any reply came, 1 if none did or on an error, 2 for bad usage.`,
		Example: `  sockit ping -c 3 127.0.0.1
  sockit ping -6 -c 3 localhost
  sockit ping -i 0.01 -c 1000 -q 127.0.0.1
  sockit ping -t 2 -c 1 198.51.100.7          # a TTL that runs out two routers away
  sockit ping --json -c 5 ::1`,
		Args: argsBetween(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPing(cmd.Context(), args[0], opts, stdio)
		},
	}
	f := cmd.Flags()
	f.IntVarP(&opts.count, "count", "c", 0, "stop after sending this many requests (0: until -w or Ctrl-C)")
	f.VarP(seconds{&opts.interval}, "interval", "i", "time between requests, in seconds or as a duration (0.2, 10ms)")
	f.IntVarP(&opts.size, "size", "s", 56, "payload bytes of each request (the ICMP message is 8 more)")
	f.IntVarP(&opts.ttl, "ttl", "t", 0, "TTL (IPv6: hop limit) of the requests (default: the kernel's, 64)")
	f.VarP(seconds{&opts.timeout}, "timeout", "W", "how long to wait for missing replies after the last request (default: 10 if none came, else twice the longest round trip, at least 1)")
	f.VarP(seconds{&opts.deadline}, "deadline", "w", "stop after this long, whatever was sent (with -c: once -c replies came)")
	f.BoolVarP(&opts.quiet, "quiet", "q", false, "print only the first line and the summary")
	f.BoolVarP(&opts.ipv4, "ipv4", "4", false, "ping HOST's IPv4 address")
	f.BoolVarP(&opts.ipv6, "ipv6", "6", false, "ping HOST's IPv6 address")
	f.BoolVarP(&opts.numeric, "numeric", "n", false, "print addresses as numbers (sockit always does; for iputils habits)")
	f.BoolVar(&opts.json, "json", false, "write the replies, errors and summary as one JSON object at the end")
	f.StringVar(&opts.socket, "socket", "auto", "the ICMP socket: auto (raw, else datagram), raw or datagram")
	f.BoolVarP(&opts.verbose, "verbose", "v", false, "say which socket and echo identifier are in use, on standard error")
	return cmd
}

// pingReport is what --json writes.
type pingReport struct {
	Host        string         `json:"host"`
	Address     string         `json:"address"`
	Socket      string         `json:"socket"`
	ID          int            `json:"id"`
	Size        int            `json:"size"`
	Transmitted int            `json:"transmitted"`
	Received    int            `json:"received"`
	Duplicates  int            `json:"duplicates"`
	Errors      int            `json:"errors"`
	LossPercent float64        `json:"loss_percent"`
	TimeMS      float64        `json:"time_ms"`
	RTT         *pingRTT       `json:"rtt_ms,omitempty"`
	Replies     []pingReplyRow `json:"replies"`
	ICMPErrors  []pingErrorRow `json:"icmp_errors"`
	SendErrors  []pingErrorRow `json:"send_errors,omitempty"`
}

type pingRTT struct {
	Min  float64 `json:"min"`
	Avg  float64 `json:"avg"`
	Max  float64 `json:"max"`
	Mdev float64 `json:"mdev"`
}

type pingReplyRow struct {
	Seq   int     `json:"seq"`
	From  string  `json:"from"`
	Bytes int     `json:"bytes"`
	TTL   int     `json:"ttl"`
	RTTms float64 `json:"rtt_ms"`
	Dup   bool    `json:"dup,omitempty"`
	Late  bool    `json:"out_of_order,omitempty"`
}

type pingErrorRow struct {
	Seq     int    `json:"seq"`
	From    string `json:"from,omitempty"`
	Type    int    `json:"type,omitempty"`
	Code    int    `json:"code,omitempty"`
	Message string `json:"message"`
}

func (o pingOptions) check() error {
	switch {
	case o.ipv4 && o.ipv6:
		return usageErrorf("ping: -4 and -6 exclude each other")
	case o.count < 0:
		return usageErrorf("ping: -c wants 0 or more requests")
	case o.interval < 0:
		return usageErrorf("ping: -i wants 0 or more seconds")
	case o.size < 0 || o.size > 65507:
		return usageErrorf("ping: -s wants 0 to 65507 bytes")
	case o.ttl < 0 || o.ttl > 255:
		return usageErrorf("ping: -t wants a TTL of 1 to 255")
	case o.timeout < 0 || o.deadline < 0:
		return usageErrorf("ping: -W and -w want 0 or more seconds")
	}
	return nil
}

// resolveIP looks host up for -4/-6 and returns its first address.
func resolveIP(ctx context.Context, host string, ipv4, ipv6 bool) (netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		a = a.Unmap()
		switch {
		case ipv4 && !a.Is4():
			return netip.Addr{}, usageErrorf("%s is not an IPv4 address (-4)", host)
		case ipv6 && a.Is4():
			return netip.Addr{}, usageErrorf("%s is not an IPv6 address (-6)", host)
		}
		return a, nil
	}
	network := "ip"
	switch {
	case ipv4:
		network = "ip4"
	case ipv6:
		network = "ip6"
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, network, host)
	if err != nil {
		return netip.Addr{}, err
	}
	return addrs[0].Unmap(), nil
}

// kindFlag parses --socket.
func kindFlag(s string) (icmp.Kind, error) {
	k, err := icmp.ParseKind(s)
	if err != nil {
		return k, &usageError{err}
	}
	return k, nil
}

// icmpTarget reads the flags ping and trace share: --socket, and -4/-6
// for HOST's address.
func icmpTarget(ctx context.Context, command, host, socket string, ipv4, ipv6 bool) (netip.Addr, icmp.Kind, error) {
	kind, err := kindFlag(socket)
	if err != nil {
		return netip.Addr{}, kind, err
	}
	dst, err := resolveIP(ctx, host, ipv4, ipv6)
	if err != nil {
		var uerr *usageError
		if errors.As(err, &uerr) {
			return dst, kind, err
		}
		return dst, kind, fmt.Errorf("%s %s: %w", command, host, err)
	}
	return dst, kind, nil
}

func runPing(ctx context.Context, host string, opts pingOptions, stdio IO) error {
	if err := opts.check(); err != nil {
		return err
	}
	dst, kind, err := icmpTarget(ctx, "ping", host, opts.socket, opts.ipv4, opts.ipv6)
	if err != nil {
		return err
	}
	p, err := icmp.NewPinger(icmp.Config{Dst: dst, Count: opts.count, Interval: opts.interval, Size: opts.size,
		TTL: opts.ttl, Timeout: opts.timeout, Deadline: opts.deadline, Kind: kind})
	if err != nil {
		return fmt.Errorf("ping %s: %w", host, err)
	}
	defer p.Close()
	if opts.verbose {
		fmt.Fprintf(stdio.Err, "sockit: ping %s: %s socket, echo identifier %d\n", dst, p.Kind(), p.ID())
	}

	report := pingReport{Host: host, Address: dst.String(), Socket: p.Kind().String(), ID: p.ID(), Size: opts.size,
		Replies: []pingReplyRow{}, ICMPErrors: []pingErrorRow{}}
	out := stdio.Out
	if opts.json {
		out = io.Discard
	}
	// iputils' two headers, to the space: its IPv6 one has none before
	// the parenthesis.
	if dst.Is4() {
		fmt.Fprintf(out, "PING %s (%s) %d(%d) bytes of data.\n", host, dst, opts.size, opts.size+28)
	} else {
		fmt.Fprintf(out, "PING %s(%s) %d data bytes\n", host, dst, opts.size)
	}
	lines := out
	if opts.quiet {
		lines = io.Discard
	}
	p.OnReply = func(r icmp.Reply) {
		fmt.Fprintf(lines, "%d bytes from %s: icmp_seq=%d ttl=%d time=%s ms%s\n", r.Bytes, r.From, r.Seq, r.TTL, pingTime(r.RTT), replyNote(r))
		report.Replies = append(report.Replies, pingReplyRow{Seq: r.Seq, From: r.From.String(), Bytes: r.Bytes, TTL: r.TTL, RTTms: ms(r.RTT), Dup: r.Dup, Late: r.Late})
	}
	p.OnError = func(e icmp.ErrorReply) {
		fmt.Fprintf(lines, "From %s icmp_seq=%d %s\n", e.From, e.Seq, e.Message.Describe())
		report.ICMPErrors = append(report.ICMPErrors, pingErrorRow{Seq: e.Seq, From: e.From.String(), Type: e.Message.Type, Code: e.Message.Code, Message: e.Message.Describe()})
	}
	p.OnSendError = func(seq int, err error) {
		fmt.Fprintf(stdio.Err, "sockit: ping %s: icmp_seq=%d not sent: %s\n", dst, seq, errorLine(err))
		report.SendErrors = append(report.SendErrors, pingErrorRow{Seq: seq, Message: errorLine(err)})
	}

	sum, runErr := p.Run(ctx)

	fmt.Fprintf(out, "\n--- %s ping statistics ---\n", host)
	fmt.Fprintf(out, "%d packets transmitted, %d received", sum.Transmitted, sum.Received)
	if sum.Duplicates > 0 {
		fmt.Fprintf(out, ", +%d duplicates", sum.Duplicates)
	}
	if sum.Errors > 0 {
		fmt.Fprintf(out, ", +%d errors", sum.Errors)
	}
	// Rounded to the millisecond, as iputils rounds it.
	fmt.Fprintf(out, ", %s%% packet loss, time %dms\n", strconv.FormatFloat(sum.Loss(), 'g', 6, 64), sum.Elapsed.Round(time.Millisecond).Milliseconds())
	if sum.Received > 0 {
		fmt.Fprintf(out, "rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", ms(sum.Min), ms(sum.Avg), ms(sum.Max), ms(sum.Mdev))
	}

	report.Transmitted, report.Received, report.Duplicates, report.Errors = sum.Transmitted, sum.Received, sum.Duplicates, sum.Errors
	report.LossPercent, report.TimeMS = sum.Loss(), ms(sum.Elapsed)
	if sum.Received > 0 {
		report.RTT = &pingRTT{Min: ms(sum.Min), Avg: ms(sum.Avg), Max: ms(sum.Max), Mdev: ms(sum.Mdev)}
	}
	if opts.json {
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return err
		}
	}
	switch {
	case runErr != nil:
		return fmt.Errorf("ping %s: %w", host, runErr)
	case sum.Received == 0 && sum.Transmitted > 0:
		return fmt.Errorf("ping %s: no reply to %d requests", host, sum.Transmitted)
	}
	return nil
}

func replyNote(r icmp.Reply) string {
	switch {
	case r.Dup:
		return " (DUP!)"
	case r.Late:
		return " (out of order)"
	}
	return ""
}

// ms converts d to milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// pingTime formats a round trip in milliseconds with the precision
// iputils uses: three decimals under 1 ms, two under 10, one under 100.
func pingTime(d time.Duration) string {
	v := ms(d)
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}
