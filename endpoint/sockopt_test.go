package endpoint_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/internal/testnet"
	"github.com/sockit/sockit/relay"
	"github.com/sockit/sockit/socket"
)

func parse(t *testing.T, s string) endpoint.Endpoint {
	t.Helper()
	ep, err := endpoint.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

// readBack is Options.ReadBack as a name -> Got map; a value that could
// not be read fails the test.
func readBack(t *testing.T, o endpoint.Options, c any) map[string]string {
	t.Helper()
	settings, err := o.ReadBack(c)
	if err != nil {
		t.Fatalf("ReadBack: %v", err)
	}
	got := map[string]string{}
	for _, s := range settings {
		if s.Err != nil {
			t.Errorf("read back %s: %v", s.Name, s.Err)
		}
		got[s.Name] = s.Got
	}
	return got
}

// tcpTriple listens on query's options, dials with them, and accepts: the
// listener, the dialled and the accepted connection.
func tcpTriple(t *testing.T, network, query string) (endpoint.Endpoint, net.Listener, net.Conn, net.Conn) {
	t.Helper()
	ctx := testnet.Context(t)
	host := "127.0.0.1"
	if strings.HasSuffix(network, "6") {
		testnet.SkipWithoutIPv6(t, network)
		host = "[::1]"
	}
	lep := parse(t, network+"://"+host+":0?"+query)
	ln, err := lep.Listen(ctx)
	if err != nil {
		t.Fatalf("listen %s: %v", lep, err)
	}
	t.Cleanup(func() { ln.Close() })
	dep := parse(t, network+"://"+ln.Addr().String()+"?"+query)
	dc, err := dep.Dial(ctx)
	if err != nil {
		t.Fatalf("dial %s: %v", dep, err)
	}
	t.Cleanup(func() { dc.Close() })
	ac, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ac.Close() })
	if err := lep.Options.ConfigureConn(ac); err != nil {
		t.Fatal(err)
	}
	return lep, ln, dc, ac
}

// TestSockoptsTCP sets each option on a listener and a dial, and reads
// back what the kernel holds on the listener, the dialled connection and
// the accepted one (which inherits the listener's).
func TestSockoptsTCP(t *testing.T) {
	tests := []struct {
		query    string
		network  string            // tcp unless set
		listener map[string]string // read back on the listener
		conns    map[string]string // read back on the dialled and the accepted connection
	}{
		{query: "rcvbuf=64k&sndbuf=64k", listener: map[string]string{"rcvbuf": "131072", "sndbuf": "131072"},
			conns: map[string]string{"rcvbuf": "131072", "sndbuf": "131072"}},
		{query: "ttl=7", conns: map[string]string{"ttl": "7"}},
		{query: "hoplimit=9", network: "tcp6", conns: map[string]string{"ttl": "9"}},
		{query: "tos=lowdelay", conns: map[string]string{"tos": "0x10"}},
		{query: "dscp=af41", conns: map[string]string{"tos": "0x88"}},
		{query: "tclass=0x20", network: "tcp6", conns: map[string]string{"tos": "0x20"}},
		{query: "reuseaddr=0", listener: map[string]string{"reuseaddr": "0"}},
		{query: "keepalive=30s,5s,4", conns: map[string]string{"keepalive": "1", "keepidle": "30", "keepintvl": "5", "keepcnt": "4"}},
		{query: "keepalive=off", conns: map[string]string{"keepalive": "0"}},
		{query: "linger=0", conns: map[string]string{"linger": "0s"}},
		{query: "linger=3", conns: map[string]string{"linger": "3s"}},
		{query: "mark=0x2a", conns: map[string]string{"mark": "42"}},
		{query: "priority=3", conns: map[string]string{"priority": "3"}},
		{query: "bindtodevice=lo", conns: map[string]string{"bindtodevice": "lo"}},
		{query: "freebind", listener: map[string]string{"freebind": "1"}},
		{query: "transparent", listener: map[string]string{"transparent": "1"}},
		{query: "congestion=reno", conns: map[string]string{"congestion": "reno"}},
		{query: "maxseg=1000", listener: map[string]string{"maxseg": "1000"}},
		{query: "user-timeout=10s", conns: map[string]string{"user-timeout": "10000"}},
		{query: "nodelay=0", conns: map[string]string{"nodelay": "0"}},
		{query: "cork", conns: map[string]string{"cork": "1"}},
		{query: "fastopen=16", listener: map[string]string{"fastopen": "16"}},
		{query: "rcvbufforce=1m", listener: map[string]string{"rcvbufforce": "2097152"}},
		{query: "busy-poll=50us", listener: map[string]string{"busy-poll": "50"}},
		{query: "debug", listener: map[string]string{"debug": "1"}},
		{query: "v6only", network: "tcp6", listener: map[string]string{"v6only": "1"}},
	}
	for _, tt := range tests {
		network := tt.network
		if network == "" {
			network = "tcp"
		}
		t.Run(network+"?"+tt.query, func(t *testing.T) {
			lep, ln, dc, ac := tcpTriple(t, network, tt.query)
			check := func(what string, c any, want map[string]string) {
				got := readBack(t, lep.Options, c)
				for name, v := range want {
					if got[name] != v {
						t.Errorf("%s: %s=%q, want %q (all: %v)", what, name, got[name], v, got)
					}
				}
			}
			check("listener", ln, tt.listener)
			check("dialled", dc, tt.conns)
			check("accepted", ac, tt.conns)
		})
	}
}

// TestSockoptFastOpenDial: a dial with fastopen sets the connect flag.
func TestSockoptFastOpenDial(t *testing.T) {
	lep, _, dc, _ := tcpTriple(t, "tcp", "fastopen")
	if got := readBack(t, lep.Options, dc)["fastopen"]; got != "1" {
		t.Errorf("dialled fastopen = %q, want 1 (TCP_FASTOPEN_CONNECT)", got)
	}
}

// TestSockoptUDP reads back broadcast, and checks that ttl and tos reach
// the packets: the receiver reads them from each datagram's control
// messages.
func TestSockoptUDP(t *testing.T) {
	for _, tt := range []struct{ network, host string }{{"udp4", "127.0.0.1"}, {"udp6", "[::1]"}} {
		t.Run(tt.network, func(t *testing.T) {
			testnet.SkipWithoutIPv6(t, tt.network)
			ctx := testnet.Context(t)
			recv, err := parse(t, tt.network+"://"+tt.host+":0").ListenFD(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer recv.Close()
			recvTTL, recvTOS := socket.RecvTTL, socket.RecvTOS
			if tt.network == "udp6" {
				recvTTL, recvTOS = socket.RecvHopLimit, socket.RecvTClass
			}
			for _, o := range []socket.Option{recvTTL, recvTOS} {
				if err := recv.SetOption(o, 1); err != nil {
					t.Fatal(err)
				}
			}
			addr, _ := recv.LocalAddr()
			query := "ttl=7&tos=0xb8"
			if tt.network == "udp4" {
				query += "&broadcast"
			}
			sep := parse(t, tt.network+"://"+addr.String()+"?"+query)
			c, err := sep.Dial(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if tt.network == "udp4" {
				if got := readBack(t, sep.Options, c)["broadcast"]; got != "1" {
					t.Errorf("broadcast = %q, want 1", got)
				}
			}
			if _, err := c.Write([]byte("x")); err != nil {
				t.Fatal(err)
			}
			m, err := recv.RecvMsg(ctx, make([]byte, 16), false)
			if err != nil {
				t.Fatal(err)
			}
			if m.TTL != 7 || m.TOS != 0xb8 {
				t.Errorf("datagram arrived with TTL %d, TOS %#x; want 7 and 0xb8", m.TTL, m.TOS)
			}
		})
	}
}

// TestSockoptLingerZeroResets: a server whose socket lingers 0 seconds
// resets the connection when it closes, and the client reads ECONNRESET
// instead of end-of-file.
func TestSockoptLingerZeroResets(t *testing.T) {
	for _, tt := range []struct {
		query     string
		wantReset bool
	}{{"linger=0", true}, {"linger=off", false}, {"", false}} {
		t.Run(tt.query, func(t *testing.T) {
			_, _, dc, ac := tcpTriple(t, "tcp", tt.query)
			ac.Close()
			dc.SetReadDeadline(time.Now().Add(testnet.Timeout))
			_, err := dc.Read(make([]byte, 1))
			if got := errors.Is(err, syscall.ECONNRESET); got != tt.wantReset {
				t.Errorf("client read after the server's close: %v; reset %v, want %v", err, got, tt.wantReset)
			}
			if !tt.wantReset && err != io.EOF {
				t.Errorf("client read %v, want EOF", err)
			}
		})
	}
}

// TestSockoptV6Only: a wildcard IPv6 listener takes IPv4 clients unless
// v6only.
func TestSockoptV6Only(t *testing.T) {
	testnet.SkipWithoutIPv6(t, "tcp6")
	for _, tt := range []struct {
		query    string
		wantIPv4 bool
	}{{"", true}, {"v6only", false}, {"v6only=0", true}} {
		t.Run(tt.query, func(t *testing.T) {
			ctx := testnet.Context(t)
			ln, err := parse(t, "tcp://[::]:0?"+tt.query).Listen(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			port := ln.Addr().(*net.TCPAddr).Port
			c, err := net.DialTimeout("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), testnet.Timeout)
			if c != nil {
				c.Close()
			}
			if (err == nil) != tt.wantIPv4 {
				t.Errorf("IPv4 dial: %v, want it to succeed: %v", err, tt.wantIPv4)
			}
		})
	}
}

// TestSockoptFreeBind: an address this host does not have can be bound
// only with freebind (192.0.2.1 is a documentation address: nothing is
// sent to it).
func TestSockoptFreeBind(t *testing.T) {
	ctx := testnet.Context(t)
	_, err := parse(t, "tcp://192.0.2.1:0").Listen(ctx)
	if !errors.Is(err, syscall.EADDRNOTAVAIL) {
		t.Fatalf("listen on 192.0.2.1 without freebind: %v, want EADDRNOTAVAIL", err)
	}
	ln, err := parse(t, "tcp://192.0.2.1:0?freebind").Listen(ctx)
	if err != nil {
		t.Fatalf("listen on 192.0.2.1 with freebind: %v", err)
	}
	ln.Close()
}

// TestSockoptRefused: what the kernel refuses is a *SockoptError naming
// the option, its value and why.
func TestSockoptRefused(t *testing.T) {
	tests := []struct {
		addr string
		want []string
	}{
		{"tcp://127.0.0.1:0?congestion=nosuchalgo", []string{"setsockopt congestion=nosuchalgo:", "no such file or directory", "it offers", "reno"}},
		{"tcp://127.0.0.1:0?bindtodevice=nosuch0", []string{"setsockopt bindtodevice=nosuch0:", "no such device", "no interface of that name"}},
	}
	for _, tt := range tests {
		_, err := parse(t, tt.addr).Listen(testnet.Context(t))
		var serr *endpoint.SockoptError
		if !errors.As(err, &serr) {
			t.Errorf("listen %s: %v, want a *SockoptError", tt.addr, err)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("listen %s: %q lacks %q", tt.addr, err, w)
			}
		}
	}
	if os.Geteuid() == 0 {
		return // the EPERM cases need an unprivileged user: see internal/cli
	}
	_, err := parse(t, "tcp://127.0.0.1:0?mark=1").Listen(context.Background())
	if err == nil || !strings.Contains(err.Error(), "CAP_NET_ADMIN") {
		t.Errorf("mark as a user: %v, want the CAP_NET_ADMIN hint", err)
	}
}

// TestTCPInfo reads the kernel's view of both ends of a connection, also
// through the wrappers sockit puts around connections.
func TestTCPInfo(t *testing.T) {
	_, _, dc, ac := tcpTriple(t, "tcp", "")
	msg := []byte("hello, tcp_info")
	if _, err := dc.Write(msg); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(ac, make([]byte, len(msg))); err != nil {
		t.Fatal(err)
	}
	got, err := endpoint.TCPInfo(ac)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != "ESTABLISHED" || got.BytesReceived != uint64(len(msg)) || got.SndMSS <= 0 || got.Cwnd <= 0 {
		t.Errorf("accepted side: %+v; want ESTABLISHED, %d bytes received, an MSS and a window", got, len(msg))
	}
	wrapped := relay.CloseWhenIdle(dc, time.Hour)
	defer wrapped.Close()
	if info, err := endpoint.TCPInfo(wrapped); err != nil || info.State != "ESTABLISHED" {
		t.Errorf("through relay.IdleConn: %+v, %v", info, err)
	}
	if !strings.HasPrefix(got.String(), "ESTABLISHED rtt ") {
		t.Errorf("String() = %q", got.String())
	}
	if _, err := endpoint.TCPInfo(&net.UDPConn{}); err == nil {
		t.Error("TCPInfo of a UDP socket: no error")
	}
}

// TestConnAs finds a connection under the wrappers sockit puts around it.
func TestConnAs(t *testing.T) {
	_, _, dc, _ := tcpTriple(t, "tcp", "")
	wrapped := relay.CloseWhenIdle(dc, time.Hour)
	defer wrapped.Close()
	if tc, ok := endpoint.ConnAs[*net.TCPConn](wrapped); !ok || tc != dc {
		t.Errorf("ConnAs[*net.TCPConn] = %v, %v; want the dialled connection", tc, ok)
	}
	if _, ok := endpoint.ConnAs[*tls.Conn](wrapped); ok {
		t.Error("found a *tls.Conn in a plain connection")
	}
}
