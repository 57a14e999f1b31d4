package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/sockit/sockit/dump"
	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/icmp"
)

// rawOptions are listen's flags for icmp:// addresses.
type rawOptions struct {
	count int
	json  bool
}

// rawRecord is one line of listen --json on an icmp address.
type rawRecord struct {
	N int `json:"n"`
	icmp.Packet
	Bytes int `json:"bytes"`
}

// runRawListen is listen icmp://ADDR: every ICMP packet the host receives
// for ADDR, decoded layer by layer on standard output.
func runRawListen(ctx context.Context, ep endpoint.Endpoint, opts listenOptions, stdio IO) error {
	for _, name := range opts.set {
		switch name {
		case "hex", "count", "json", "verbose", "numeric":
		default:
			return usageErrorf("listen %s: --%s does not apply: an icmp address has no peers to serve (it takes -x, --count and --json)", ep, name)
		}
	}
	if opts.raw.count < 0 {
		return usageErrorf("listen: --count wants 0 or more packets")
	}
	addr, err := resolveIP(ctx, ep.Address, ep.Network == "icmp", ep.Network == "icmp6")
	if err != nil {
		return fmt.Errorf("listen %s: %w", ep, err)
	}
	c, err := icmp.Listen(addr, nil)
	if err != nil {
		return fmt.Errorf("listen %s: %w", ep, err)
	}
	defer c.Close()
	fmt.Fprintf(stdio.Err, "sockit: listening on %s\n", ep)
	fmt.Fprintf(stdio.Err, "sockit: a raw socket: every %s packet this host receives for %s is printed, decoded\n", protoLabel(ep), addr)

	var hex *dump.Dumper
	if opts.dump.hex {
		hex = dump.New(stdio.Out, dump.Hex)
	}
	enc := json.NewEncoder(stdio.Out)
	for n := 1; opts.raw.count == 0 || n <= opts.raw.count; n++ {
		p, err := c.Receive(ctx)
		switch {
		case ctx.Err() != nil || errors.Is(err, net.ErrClosed):
			return nil // interrupted
		case err != nil:
			return fmt.Errorf("listen %s: %w", ep, err)
		}
		if opts.raw.json {
			if err := enc.Encode(rawRecord{N: n, Packet: p, Bytes: len(p.Bytes)}); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(stdio.Out, "#%d %s %d bytes from %s\n", n, p.Time.Format("15:04:05.000000"), len(p.Bytes), addrOrQ(p.IP.Src))
		for _, l := range p.Layers() {
			fmt.Fprintf(stdio.Out, "  %s\n", l)
		}
		if hex != nil {
			hex.Record("", dump.Received, 0, p.Bytes)
		}
	}
	return nil
}

func protoLabel(ep endpoint.Endpoint) string {
	if ep.Network == "icmp6" {
		return "ICMPv6"
	}
	return "ICMP"
}

func addrOrQ(a netip.Addr) string {
	if !a.IsValid() {
		return "?"
	}
	return a.String()
}
