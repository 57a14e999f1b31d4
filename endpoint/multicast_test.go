package endpoint_test

import (
	"net"
	"strings"
	"syscall"
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
	link.WaitIPv6(t, "2001:db8:1::2")
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
				if got, ok := queued(t, other); ok {
					t.Errorf("a join from another source got %q", got)
				}
			}
		})
	}
}

// TestMulticastLoop: a datagram sent to a group comes back to this host's
// own members of it unless the sender says mloop=0. Since Linux 5.18 the
// looped copy is delivered inside the sender's sendmsg (netif_rx in
// process context runs the softirq as it re-enables bottom halves), so
// once Write returns the copy is queued or it never will be; and were it
// late, it would still be read before the second datagram.
func TestMulticastLoop(t *testing.T) {
	n := testnet.New(t)
	a, b := n.Host("a"), n.Host("b")
	link := n.Link(a, []string{"198.51.100.1/24", "2001:db8:1::1/64"}, b, []string{"198.51.100.2/24", "2001:db8:1::2/64"})
	va, _ := link.Names()
	for _, tt := range []struct{ name, group string }{
		{"ipv4", "udp4://239.1.2.4:5003"},
		{"ipv6", "udp6://[ff0e::1235]:5003"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testnet.Context(t)
			var member net.PacketConn
			var quiet, loud net.Conn
			if err := a.Do(func() error {
				var err error
				if member, err = parse(t, tt.group+"?join&iface="+va).ListenPacket(ctx); err != nil {
					return err
				}
				if quiet, err = parse(t, tt.group+"?iface="+va+"&mloop=0").Dial(ctx); err != nil {
					return err
				}
				loud, err = parse(t, tt.group+"?iface="+va+"&mloop").Dial(ctx)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			defer member.Close()
			defer quiet.Close()
			defer loud.Close()
			buf := make([]byte, 64)
			if _, err := quiet.Write([]byte("quiet")); err != nil {
				t.Fatal(err)
			}
			if got, ok := queued(t, member); ok {
				t.Fatalf("mloop=0: the host's own member got %q", got)
			}
			if _, err := loud.Write([]byte("loud")); err != nil {
				t.Fatal(err)
			}
			member.SetReadDeadline(time.Now().Add(testnet.Timeout))
			if nr, _, err := member.ReadFrom(buf); err != nil || string(buf[:nr]) != "loud" {
				t.Fatalf("mloop=1: the member read %q, %v; want \"loud\"", buf[:nr], err)
			}
			for _, side := range []struct {
				addr string
				conn net.Conn
				want string
			}{{"?mloop=0", quiet, "mloop=0"}, {"?mloop", loud, "mloop=1"}} {
				settings, err := parse(t, tt.group+side.addr).Options.ReadBack(side.conn)
				if err != nil {
					t.Fatal(err)
				}
				if len(settings) != 1 || settings[0].String() != side.want {
					t.Errorf("%s read back %v, want %s", side.addr, settings, side.want)
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

// queued returns the datagram waiting in pc's receive queue, if there is
// one, without waiting: a recvfrom(2) with MSG_DONTWAIT. (A read with a
// deadline already past would not do: Go's poller returns the timeout
// without calling the kernel.)
func queued(t *testing.T, pc net.PacketConn) (string, bool) {
	t.Helper()
	rc, err := pc.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n := -1
	if err := rc.Read(func(fd uintptr) bool {
		n, _, _ = syscall.Recvfrom(int(fd), buf, syscall.MSG_DONTWAIT)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if n < 0 {
		return "", false
	}
	return string(buf[:n]), true
}
