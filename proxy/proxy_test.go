package proxy_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sockit/sockit/internal/testnet"
	"github.com/sockit/sockit/proxy"
)

// echoServer is a TCP server on loopback that sends back what it reads,
// and shuts its side down when the client does.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// startPeer runs a real proxy program until the test ends and returns
// once it accepts connections on port (tried until it does, bounded by
// the test's deadline: these programs say nothing when ready).
func startPeer(t *testing.T, port int, name string, args ...string) {
	t.Helper()
	path := testnet.PeerProgram(t, name, name)
	cmd := exec.CommandContext(testnet.Context(t), path, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	testnet.WaitListening(t, "127.0.0.1:"+strconv.Itoa(port))
}

func microsocks(t *testing.T, args ...string) string {
	port := testnet.FreePort(t)
	startPeer(t, port, "microsocks", append([]string{"-i", "127.0.0.1", "-p", strconv.Itoa(port)}, args...)...)
	return "127.0.0.1:" + strconv.Itoa(port)
}

func tinyproxy(t *testing.T, extra string) string {
	port := testnet.FreePort(t)
	conf := filepath.Join(t.TempDir(), "tinyproxy.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("Port %d\nListen 127.0.0.1\nTimeout 30\nAllow 127.0.0.1\nMaxClients 20\n%s", port, extra)), 0o644)
	startPeer(t, port, "tinyproxy", "-d", "-c", conf)
	return "127.0.0.1:" + strconv.Itoa(port)
}

// roundTrip sends a message through c and reads its echo back, byte for
// byte. (microsocks and tinyproxy close a tunnel whole when one side
// shuts its write side down, so the echo is read before any half-close.)
func roundTrip(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetDeadline(time.Now().Add(testnet.Timeout))
	msg := bytes.Repeat([]byte("through the proxies "), 5000)
	go c.Write(msg)
	got := make([]byte, len(msg))
	if n, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("echo: %d of %d bytes, %v", n, len(msg), err)
	}
}

func chain(t *testing.T, urls ...string) *proxy.Chain {
	t.Helper()
	hops, err := proxy.ParseList(urls...)
	if err != nil {
		t.Fatal(err)
	}
	return &proxy.Chain{Hops: hops}
}

// TestRealProxies dials through Debian's microsocks (SOCKS5, with and
// without a password) and tinyproxy (HTTP CONNECT), alone and chained:
// every byte comes back.
func TestRealProxies(t *testing.T) {
	echo := echoServer(t)
	socks := microsocks(t)
	socksAuth := microsocks(t, "-u", "alice", "-P", "s3cret")
	http := tinyproxy(t, "")
	for _, tt := range []struct {
		name string
		hops []string
	}{
		{"socks5", []string{"socks5://" + socks}},
		{"socks5h", []string{"socks5h://" + socks}},
		{"socks5 password", []string{"socks5://alice:s3cret@" + socksAuth}},
		{"http", []string{"http://" + http}},
		{"socks5 then http", []string{"socks5h://" + socks, "http://" + http}},
		{"http then socks5 then socks5", []string{"http://" + http + ",socks5://" + socks, "socks5h://alice:s3cret@" + socksAuth}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := chain(t, tt.hops...).DialContext(testnet.Context(t), "tcp", echo)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			roundTrip(t, c)
		})
	}
}

// TestRefusals: each hop that refuses says which hop and why, in words.
func TestRefusals(t *testing.T) {
	echo := echoServer(t)
	socksAuth := microsocks(t, "-u", "alice", "-P", "s3cret")
	denying := tinyproxy(t, "ConnectPort 443\n") // CONNECT to other ports: 403
	closed := "127.0.0.1:" + strconv.Itoa(testnet.FreePort(t))
	for _, tt := range []struct {
		name string
		hops []string
		want string
	}{
		{"socks5 without the password", []string{"socks5://" + socksAuth}, "proxy 1 (socks5://" + socksAuth + "): socks connect tcp"},
		{"socks5 wrong password", []string{"socks5://alice:wrong@" + socksAuth}, "proxy 1 (socks5://alice@" + socksAuth + ")"},
		{"http 403", []string{"http://" + denying}, "proxy 1 (http://" + denying + "): the proxy refused: 403"},
		{"second hop down", []string{"socks5h://alice:s3cret@" + socksAuth, "http://" + closed}, "proxy 1 (socks5h://alice@" + socksAuth + "): socks connect tcp"},
		{"first hop down", []string{"socks4a://" + closed}, "proxy 1 (socks4a://" + closed + "): dial tcp " + closed + ": connect: connection refused"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := chain(t, tt.hops...).DialContext(testnet.Context(t), "tcp", echo)
			var he *proxy.HopError
			if err == nil || !errors.As(err, &he) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%v; want an error containing %q", err, tt.want)
			}
		})
	}
}

// fakeSOCKS4 answers one SOCKS4 request with code and returns what the
// client sent: there is no SOCKS4 server in Debian that runs without a
// configuration of its own (dante's), so the wire format is checked
// here byte for byte.
func fakeSOCKS4(t *testing.T, code byte, then func(c net.Conn)) (addr string, got chan []byte) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got = make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(testnet.Timeout))
		buf := make([]byte, 512)
		n, _ := c.Read(buf)
		got <- buf[:n]
		c.Write([]byte{0, code, 0, 0, 0, 0, 0, 0})
		if then != nil {
			then(c)
		}
	}()
	return ln.Addr().String(), got
}

func TestSOCKS4(t *testing.T) {
	for _, tt := range []struct {
		name, url, dest string
		code            byte
		want            []byte
		err             string
	}{
		{"socks4", "socks4://bob@", "192.0.2.7:8080", 90, []byte{4, 1, 0x1f, 0x90, 192, 0, 2, 7, 'b', 'o', 'b', 0}, ""},
		{"socks4a", "socks4a://", "example.test:443", 90, append([]byte{4, 1, 1, 0xbb, 0, 0, 0, 1, 0}, "example.test\x00"...), ""},
		{"rejected", "socks4://", "192.0.2.7:80", 91, nil, "the proxy refused: request rejected or failed"},
		{"identd", "socks4://", "192.0.2.7:80", 92, nil, "rejected: the proxy cannot reach the client's identd"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			addr, got := fakeSOCKS4(t, tt.code, nil)
			c, err := chain(t, tt.url+addr).DialContext(testnet.Context(t), "tcp", tt.dest)
			sent := <-got
			if tt.want != nil && !bytes.Equal(sent, tt.want) {
				t.Errorf("sent % x, want % x", sent, tt.want)
			}
			switch {
			case tt.err == "" && err != nil:
				t.Fatal(err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("%v; want %q", err, tt.err)
			case err == nil:
				c.Close()
			}
		})
	}
	addr, _ := fakeSOCKS4(t, 90, nil)
	if _, err := chain(t, "socks4://"+addr).DialContext(testnet.Context(t), "tcp", "[2001:db8::1]:80"); err == nil || !strings.Contains(err.Error(), "IPv4 addresses only") {
		t.Errorf("SOCKS4 to IPv6: %v", err)
	}
}

// TestLyingProxies: a proxy that answers garbage, or closes mid-way, is
// one error naming the hop, never a hang or a half-open tunnel.
func TestLyingProxies(t *testing.T) {
	for _, tt := range []struct {
		name, scheme string
		answer       string
		want         string
	}{
		{"http garbage", "http", "SSH-2.0-OpenSSH\r\n\r\n", "is no HTTP status line"},
		{"http closes", "http", "", "closed the connection before the end of its answer"},
		{"http 407", "http", "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n", "the proxy refused: 407 Proxy Authentication Required"},
		{"socks4 garbage", "socks4", "HTTP/1.1 400 Bad Request\r\n\r\n", "is no SOCKS4 reply"},
		{"socks4 closes", "socks4", "", "closed the connection before it answered"},
		{"socks5 garbage", "socks5", "HTTP/1.1 400 Bad Request\r\n\r\n", "proxy 1 (socks5://"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.SetDeadline(time.Now().Add(testnet.Timeout))
				c.Read(make([]byte, 512))
				io.WriteString(c, tt.answer)
				c.Close()
			}()
			ch := chain(t, tt.scheme+"://"+ln.Addr().String())
			ch.Handshake = 5 * time.Second
			_, err = ch.DialContext(testnet.Context(t), "tcp", "192.0.2.7:80")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%v; want %q", err, tt.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	for _, tt := range []struct{ in, want, err string }{
		{"socks5://127.0.0.1", "socks5://127.0.0.1:1080", ""},
		{"SOCKS5H://u:p@[::1]:9050", "socks5h://u@[::1]:9050", ""},
		{"http://proxy.test", "http://proxy.test:8080", ""},
		{"https://proxy.test", "https://proxy.test:443", ""},
		{"socks4a://id@h:1081", "socks4a://id@h:1081", ""},
		{"ftp://h:21", "", `scheme "ftp"`},
		{"socks4://u:p@h:1", "", "no password"},
		{"http://h:3128/path", "", "no path or query"},
		{"h:1080", "", "want SCHEME://"},
	} {
		h, err := proxy.Parse(tt.in)
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Parse(%q): %v, want %q", tt.in, err, tt.err)
			}
		case err != nil || h.String() != tt.want:
			t.Errorf("Parse(%q) = %v, %v; want %s", tt.in, h, err, tt.want)
		}
	}
	if _, err := (&proxy.Chain{Hops: []proxy.Hop{{Scheme: "socks5", Addr: "127.0.0.1:1"}}}).DialContext(context.Background(), "udp", "192.0.2.1:53"); err == nil {
		t.Error("udp through a chain: no error")
	}
}

// TestHTTPSProxy: an https hop speaks CONNECT over TLS to the proxy. The
// proxy here is tinyproxy behind a TLS terminator the test runs (Debian
// has no HTTPS proxy that runs without a configuration of its own): the
// CONNECT is tinyproxy's, the TLS this package's.
func TestHTTPSProxy(t *testing.T) {
	echo := echoServer(t)
	http := tinyproxy(t, "")
	cert, pool := selfSigned(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				up, err := net.Dial("tcp", http)
				if err != nil {
					return
				}
				defer up.Close()
				go io.Copy(up, c)
				io.Copy(c, up)
			}()
		}
	}()
	ch := chain(t, "https://"+ln.Addr().String())
	ch.TLS = &tls.Config{RootCAs: pool}
	c, err := ch.DialContext(testnet.Context(t), "tcp", echo)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	roundTrip(t, c)

	// Without the proxy's CA, the TLS to it fails, naming the hop.
	_, err = chain(t, "https://"+ln.Addr().String()).DialContext(testnet.Context(t), "tcp", echo)
	if err == nil || !strings.Contains(err.Error(), "proxy 1 (https://"+ln.Addr().String()+"): tls to the proxy: ") {
		t.Errorf("an https proxy with an unknown certificate: %v", err)
	}
}

// selfSigned is a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "proxy"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
