package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sockit/sockit/host"
)

func newInfoCmd(stdio IO) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "info",
		Short: "Show what this host offers sockets: name, addresses, port range, limits",
		Long: `info prints the host name, each interface and its addresses, the ephemeral
port range the kernel picks client ports from (net.ipv4.ip_local_port_range),
the listen backlog ceiling (net.core.somaxconn), the open-file limit (each
socket is a file), and whether IPv6, raw sockets and unprivileged ICMP
("ping") sockets are usable here — and what is missing when they are not.`,
		Example: `  sockit info
  sockit info --json | jq .ephemeral_ports`,
		Args: argsBetween(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInfo(cmd.Context(), asJSON, stdio)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func runInfo(_ context.Context, asJSON bool, stdio IO) error {
	info, err := host.Inspect()
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	return printInfo(stdio.Out, info)
}

func printInfo(w io.Writer, info host.Info) error {
	var b strings.Builder
	fmt.Fprintf(&b, "hostname         %s\n", info.Hostname)
	fmt.Fprintf(&b, "ephemeral ports  %d-%d (%d ports)\n", info.EphemeralPorts.First, info.EphemeralPorts.Last,
		info.EphemeralPorts.Last-info.EphemeralPorts.First+1)
	fmt.Fprintf(&b, "listen backlog   %d at most (net.core.somaxconn)\n", info.Somaxconn)
	fmt.Fprintf(&b, "open files       %d (hard limit %d)\n", info.OpenFiles.Soft, info.OpenFiles.Hard)
	fmt.Fprintf(&b, "ipv6             %s\n", checkText(info.IPv6))
	fmt.Fprintf(&b, "raw sockets      %s\n", checkText(info.Raw))
	fmt.Fprintf(&b, "ping sockets     %s\n", checkText(info.PingSocket))
	b.WriteString("interfaces\n")
	for _, i := range info.Interfaces {
		fmt.Fprintf(&b, "  %-12s mtu %-6d %s\n", i.Name, i.MTU, i.Flags)
		for _, a := range i.Addrs {
			fmt.Fprintf(&b, "  %-12s %s\n", "", a)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func checkText(c host.Check) string {
	if c.OK {
		return "yes"
	}
	return "no: " + c.Reason
}
