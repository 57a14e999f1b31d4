package endpoint

import (
	"fmt"
	"net"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// multicastSet reports whether o asks for a join (the sending side's
// interface, TTL and loop are sockopts, set before bind).
func (o Options) multicastSet() bool { return o.Join }

// groupConn is the IPv4 or IPv6 view of a UDP socket that multicast
// options are set through.
type groupConn interface {
	JoinGroup(ifi *net.Interface, group net.Addr) error
	JoinSourceSpecificGroup(ifi *net.Interface, group, source net.Addr) error
}

// setMulticast makes c, a UDP socket bound to group's port, join group
// as o says: on Iface, from Source only if set.
func (o Options) setMulticast(c *net.UDPConn, group net.IP) error {
	var g groupConn
	if group.To4() != nil {
		g = ipv4.NewPacketConn(c)
	} else {
		g = ipv6.NewPacketConn(c)
	}
	var ifi *net.Interface
	if o.Iface != "" {
		var err error
		if ifi, err = net.InterfaceByName(o.Iface); err != nil {
			return fmt.Errorf("iface=%s: %w", o.Iface, err)
		}
	}
	if o.Join {
		if !group.IsMulticast() {
			return fmt.Errorf("join: %s is not a multicast group (224.0.0.0/4, ff00::/8)", group)
		}
		gaddr := &net.UDPAddr{IP: group}
		if o.Source != "" {
			src := &net.UDPAddr{IP: net.ParseIP(o.Source)}
			if err := g.JoinSourceSpecificGroup(ifi, gaddr, src); err != nil {
				return fmt.Errorf("join %s from %s: %w", group, o.Source, err)
			}
		} else if err := g.JoinGroup(ifi, gaddr); err != nil {
			return fmt.Errorf("join %s: %w", group, err)
		}
	}
	return nil
}
