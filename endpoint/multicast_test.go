package endpoint_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/internal/testnet"
)

// TestMulticast sends to a group from one namespace and receives in
// another that joined it: IPv4 and IPv6, any source, and a
// source-specific join that takes the sender and one that does not.
func TestMulticast(t *testing.T) {
	n := testnet.New(t)
	a, b := n.Host("a"), n.Host("b")
	link := n.Link(a, []string{"198.51.100.1/24", "2001:db8:1::1/64"}, b, []string{"198.51.100.2/24", "2001:db8:1::2/64"})
	va, vb := link.Names()
	tests := []struct {
		name   string
		listen string // in b
		other  string // in b too: a join that must not get the datagram, or ""
		send   string // from a
	}{
		{"ipv4", "udp4://239.1.2.3:5000?join&iface=" + vb, "", "udp4://239.1.2.3:5000?iface=" + va + "&mttl=1"},
		{"ipv6", "udp6://[ff0e::1234]:5000?join&iface=" + vb, "", "udp6://[ff0e::1234]:5000?iface=" + va},
		{"source-specific", "udp4://232.1.2.3:5001?join&source=198.51.100.1&iface=" + vb + "&reuseaddr",
			"udp4://232.1.2.3:5001?join&source=198.51.100.9&iface=" + vb + "&reuseaddr", "udp4://232.1.2.3:5001?iface=" + va},
	}
	// A new link's IPv6 input drops what arrives (Ip6InNoRoutes) until the
	// kernel has set the interface up for IPv6: wait until a unicast
	// datagram gets across before testing the groups.
	ipv6Ready(t, a, b)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testnet.Context(t)
			var recv, other net.PacketConn
			if err := b.Do(func() error {
				var err error
				if recv, err = parse(t, tt.listen).ListenPacket(ctx); err != nil {
					return err
				}
				if tt.other != "" {
					other, err = parse(t, tt.other).ListenPacket(ctx)
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
			defer recv.Close()
			if other != nil {
				defer other.Close()
			}
			var send net.Conn
			if err := a.Do(func() error {
				var err error
				send, err = parse(t, tt.send).Dial(ctx)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			defer send.Close()
			if _, err := send.Write([]byte("to the group")); err != nil {
				t.Fatal(err)
			}
			recv.SetReadDeadline(time.Now().Add(testnet.Timeout))
			buf := make([]byte, 64)
			nr, from, err := recv.ReadFrom(buf)
			if err != nil || string(buf[:nr]) != "to the group" {
				t.Fatalf("the member read %q from %v, %v", buf[:nr], from, err)
			}
			if other != nil {
				// The kernel queues a group's datagram to every member
				// socket in one pass: if this one was to get it, it has.
				other.SetReadDeadline(time.Now())
				if nr, _, err := other.ReadFrom(buf); err == nil {
					t.Errorf("a join from another source got %q", buf[:nr])
				}
			}
		})
	}
}

func TestMulticastRefused(t *testing.T) {
	ctx := testnet.Context(t)
	for _, tt := range []struct{ addr, want string }{
		{"udp4://127.0.0.1:0?join", "join: 127.0.0.1 is not a multicast group"},
		{"udp4://239.1.2.3:0?join&iface=nosuch0", "iface=nosuch0: route ip+net: no such network interface"},
	} {
		_, err := parse(t, tt.addr).ListenPacket(ctx)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.addr, err, tt.want)
		}
	}
	if _, err := endpoint.Parse("udp4://239.1.2.3:5000?source=192.0.2.1"); err == nil || !strings.Contains(err.Error(), "give join too") {
		t.Errorf("source without join: %v", err)
	}
}

// ipv6Ready returns once a UDP datagram from a reaches b over their link's
// IPv6 addresses, resent until it does (each one a fresh try, bounded by
// the test's deadline).
func ipv6Ready(t *testing.T, a, b *testnet.Host) {
	t.Helper()
	ctx := testnet.Context(t)
	var recv net.PacketConn
	if err := b.Do(func() error {
		var err error
		recv, err = net.ListenPacket("udp6", "[2001:db8:1::2]:6000")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer recv.Close()
	var send net.Conn
	if err := a.Do(func() error {
		var err error
		send, err = net.Dial("udp6", "[2001:db8:1::2]:6000")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer send.Close()
	buf := make([]byte, 16)
	for ctx.Err() == nil {
		send.Write([]byte("ready?"))
		recv.SetReadDeadline(time.Now().Add(100 * time.Millisecond)) // a wait for each try, not an assertion
		if _, _, err := recv.ReadFrom(buf); err == nil {
			return
		}
	}
	t.Fatal("no IPv6 datagram got across the link")
}
