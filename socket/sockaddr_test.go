package socket

import (
	"net"
	"testing"
)

// TestSockaddr encodes addresses as the kernel reads them and decodes them
// back as the kernel would return them.
func TestSockaddr(t *testing.T) {
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Skipf("no loopback interface: %v", err)
	}
	v4 := net.IPv4(192, 0, 2, 1)
	tests := []struct {
		name    string
		d       Domain
		t       Type
		in      net.Addr
		wantLen uint32
		want    string // the decoded address, as %#v
	}{
		{"tcp4", INET, Stream, &net.TCPAddr{IP: v4, Port: 80}, 16,
			`&net.TCPAddr{IP:net.IP{0xc0, 0x0, 0x2, 0x1}, Port:80, Zone:""}`},
		{"udp4 any", INET, Datagram, &net.UDPAddr{Port: 53}, 16,
			`&net.UDPAddr{IP:net.IP{0x0, 0x0, 0x0, 0x0}, Port:53, Zone:""}`},
		{"raw4", INET, Raw, &net.IPAddr{IP: v4}, 16,
			`&net.IPAddr{IP:net.IP{0xc0, 0x0, 0x2, 0x1}, Zone:""}`},
		{"v4-mapped", INET6, Stream, &net.TCPAddr{IP: v4, Port: 65535}, 28,
			`&net.TCPAddr{IP:net.IP{0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0xff, 0xff, 0xc0, 0x0, 0x2, 0x1}, Port:65535, Zone:""}`},
		{"zone by name", INET6, Datagram, &net.UDPAddr{IP: net.ParseIP("fe80::1"), Port: 1, Zone: lo.Name}, 28,
			`&net.UDPAddr{IP:net.IP{0xfe, 0x80, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x1}, Port:1, Zone:"` + lo.Name + `"}`},
		{"zone by number", INET6, Raw, &net.IPAddr{IP: net.ParseIP("fe80::1"), Zone: "999999"}, 28,
			`&net.IPAddr{IP:net.IP{0xfe, 0x80, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x1}, Zone:"999999"}`},
		{"path", UNIX, Stream, &net.UnixAddr{Name: "/run/x.sock", Net: "unix"}, 2 + 11 + 1,
			`&net.UnixAddr{Name:"/run/x.sock", Net:"unix"}`},
		{"abstract", UNIX, Datagram, &net.UnixAddr{Name: "@x\x00y", Net: "unixgram"}, 2 + 4,
			`&net.UnixAddr{Name:"@x\x00y", Net:"unixgram"}`},
		{"unnamed", UNIX, SeqPacket, &net.UnixAddr{Net: "unixpacket"}, 2,
			`&net.UnixAddr{Name:"", Net:"unixpacket"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sa, err := sockaddrOf(tt.d, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if sa.len != tt.wantLen {
				t.Errorf("length %d, want %d", sa.len, tt.wantLen)
			}
			if got := fmtGo(sa.addr(tt.d, tt.t)); got != tt.want {
				t.Errorf("decoded\n got %s\nwant %s", got, tt.want)
			}
		})
	}
	t.Run("no address", func(t *testing.T) {
		var sa sockaddr // what recvfrom leaves for a TCP socket or an unnamed sender
		if a := sa.addr(INET, Stream); a != nil {
			t.Errorf("INET: %#v, want nil", a)
		}
		if got, want := fmtGo(sa.addr(UNIX, Datagram)), `&net.UnixAddr{Name:"", Net:"unixgram"}`; got != want {
			t.Errorf("UNIX: %s, want %s", got, want)
		}
	})
}
