package socket

import (
	"errors"
	"net"
	"syscall"
	"testing"
)

func TestCallString(t *testing.T) {
	tcp := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1).To4(), Port: 41234}
	tests := []struct {
		name string
		call Call
		want string
	}{
		{"socket", Call{Op: "socket", FD: -1, Args: "AF_INET, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0", Ret: 3},
			"socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0) = 3"},
		{"setsockopt", Call{Op: "setsockopt", FD: 3, Args: "SOL_SOCKET, SO_REUSEADDR, 1"},
			"setsockopt(3, SOL_SOCKET, SO_REUSEADDR, 1) = 0"},
		{"getsockopt", Call{Op: "getsockopt", FD: 3, Args: "SOL_IP, IP_TTL, [64]"},
			"getsockopt(3, SOL_IP, IP_TTL, [64]) = 0"},
		{"bind", Call{Op: "bind", FD: 3, Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}},
			"bind(3, 127.0.0.1:0) = 0"},
		{"bind v6", Call{Op: "bind", FD: 3, Addr: &net.TCPAddr{IP: net.IPv6loopback, Port: 80}},
			"bind(3, [::1]:80) = 0"},
		{"listen", Call{Op: "listen", FD: 3, Args: "128"},
			"listen(3, 128) = 0"},
		{"accept4", Call{Op: "accept4", FD: 3, Args: "SOCK_NONBLOCK|SOCK_CLOEXEC", Ret: 5, Addr: tcp},
			"accept4(3, SOCK_NONBLOCK|SOCK_CLOEXEC) = 5 (peer 127.0.0.1:41234)"},
		{"accept4 unix", Call{Op: "accept4", FD: 3, Args: "SOCK_NONBLOCK|SOCK_CLOEXEC", Ret: 5, Addr: &net.UnixAddr{Net: "unix"}},
			"accept4(3, SOCK_NONBLOCK|SOCK_CLOEXEC) = 5 (peer (unnamed))"},
		{"connect refused", Call{Op: "connect", FD: 4, Ret: -1, Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, Err: syscall.ECONNREFUSED},
			"connect(4, 127.0.0.1:1) = -1 ECONNREFUSED (connection refused)"},
		{"connect abstract", Call{Op: "connect", FD: 4, Addr: &net.UnixAddr{Name: "@echo", Net: "unix"}},
			"connect(4, @echo) = 0"},
		{"connect path", Call{Op: "connect", FD: 4, Ret: -1, Addr: &net.UnixAddr{Name: "/tmp/x.sock", Net: "unix"}, Err: syscall.ENOENT},
			"connect(4, /tmp/x.sock) = -1 ENOENT (no such file or directory)"},
		{"send", Call{Op: "send", FD: 4, Args: "5", Ret: 5},
			"send(4, 5) = 5"},
		{"recv", Call{Op: "recv", FD: 5, Args: "65536", Ret: 0},
			"recv(5, 65536) = 0"},
		{"recv again", Call{Op: "recv", FD: 5, Args: "65536", Ret: -1, Err: syscall.EAGAIN},
			"recv(5, 65536) = -1 EAGAIN (resource temporarily unavailable)"},
		{"sendto", Call{Op: "sendto", FD: 6, Args: "5", Ret: 5, Addr: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5555}},
			"sendto(6, 5, 127.0.0.1:5555) = 5"},
		{"recvfrom", Call{Op: "recvfrom", FD: 6, Args: "65536", Ret: 5, Addr: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5555}},
			"recvfrom(6, 65536) = 5 (from 127.0.0.1:5555)"},
		{"recvfrom unnamed", Call{Op: "recvfrom", FD: 6, Args: "65536", Ret: 5, Addr: &net.UnixAddr{Net: "unixgram"}},
			"recvfrom(6, 65536) = 5 (from (unnamed))"},
		{"getsockname", Call{Op: "getsockname", FD: 3, Addr: tcp},
			"getsockname(3) = 0 (127.0.0.1:41234)"},
		{"getpeername", Call{Op: "getpeername", FD: 4, Addr: tcp},
			"getpeername(4) = 0 (peer 127.0.0.1:41234)"},
		{"shutdown", Call{Op: "shutdown", FD: 4, Args: "SHUT_WR"},
			"shutdown(4, SHUT_WR) = 0"},
		{"close", Call{Op: "close", FD: 4},
			"close(4) = 0"},
		{"gethostname", Call{Op: "gethostname", FD: -1, Args: `"myhost"`},
			`gethostname() = 0 ("myhost")`},
		{"unnamed errno", Call{Op: "close", FD: 4, Ret: -1, Err: syscall.Errno(4095)},
			"close(4) = -1 errno 4095 (errno 4095)"},
		{"not an errno", Call{Op: "close", FD: 4, Ret: -1, Err: errors.New("odd")},
			"close(4) = -1 (odd)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.call.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		v    interface{ String() string }
		want string
	}{
		{INET, "AF_INET"}, {INET6, "AF_INET6"}, {UNIX, "AF_UNIX"}, {Domain(0), "AF_UNSPEC"}, {Domain(99), "Domain(99)"},
		{Stream, "SOCK_STREAM"}, {Datagram, "SOCK_DGRAM"}, {SeqPacket, "SOCK_SEQPACKET"}, {Raw, "SOCK_RAW"}, {Type(99), "Type(99)"},
		{ShutRead, "SHUT_RD"}, {ShutWrite, "SHUT_WR"}, {ShutBoth, "SHUT_RDWR"}, {How(9), "How(9)"},
		{ReuseAddr, "SO_REUSEADDR"}, {ReusePort, "SO_REUSEPORT"}, {RecvBuffer, "SO_RCVBUF"}, {SendBuffer, "SO_SNDBUF"},
		{KeepAlive, "SO_KEEPALIVE"}, {Broadcast, "SO_BROADCAST"}, {Error, "SO_ERROR"}, {TTL, "IP_TTL"},
		{HopLimit, "IPV6_UNICAST_HOPS"}, {V6Only, "IPV6_V6ONLY"}, {NoDelay, "TCP_NODELAY"}, {Option(0), "Option(0)"},
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("%T(%d).String() = %q, want %q", tt.v, tt.v, got, tt.want)
		}
	}
}
