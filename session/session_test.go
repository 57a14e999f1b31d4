package session_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sockit/sockit/internal/testnet"
	"github.com/sockit/sockit/session"
	"github.com/sockit/sockit/socket"
)

// listen opens a session listener on a fresh datagram socket of network.
func listen(t *testing.T, network string, cfg session.Config) *session.Listener {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "unixgram" {
		addr = filepath.Join(testnet.SocketDir(t), "server.sock")
	}
	pc, err := net.ListenPacket(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	l := session.Listen(pc, cfg)
	t.Cleanup(func() { l.Close() })
	return l
}

// peer opens a client socket of network that sends to l and can be
// answered.
func peer(t *testing.T, l *session.Listener, i int) net.Conn {
	t.Helper()
	var c net.Conn
	var err error
	switch a := l.Addr().(type) {
	case *net.UDPAddr:
		c, err = net.DialUDP("udp", nil, a)
	case *net.UnixAddr:
		local := &net.UnixAddr{Net: "unixgram", Name: filepath.Join(filepath.Dir(a.Name), fmt.Sprintf("peer%d.sock", i))}
		c, err = net.DialUnix("unixgram", local, a)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

// echo answers each session's datagrams with "PEER: datagram" until the
// listener closes; wait for it before the test ends.
func echo(l *session.Listener) (wait func()) {
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				buf := make([]byte, 2048)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					fmt.Fprintf(c, "%s: %s", c.RemoteAddr(), buf[:n])
				}
			})
		}
	})
	return func() { l.Close(); wg.Wait() }
}

// TestManyPeers has 100 peers talk to one socket at once; each must get
// exactly its own replies, in order.
func TestManyPeers(t *testing.T) {
	for _, network := range []string{"udp", "unixgram"} {
		t.Run(network, func(t *testing.T) {
			const peers, rounds = 100, 5
			l := listen(t, network, session.Config{})
			defer echo(l)()
			conns := make([]net.Conn, peers)
			for i := range conns {
				conns[i] = peer(t, l, i)
			}
			var wg sync.WaitGroup
			for i, c := range conns {
				wg.Go(func() {
					buf := make([]byte, 2048)
					for r := range rounds {
						msg := fmt.Sprintf("peer %d round %d", i, r)
						if _, err := c.Write([]byte(msg)); err != nil {
							t.Error(err)
							return
						}
						n, err := c.Read(buf)
						if err != nil {
							t.Errorf("peer %d: %v", i, err)
							return
						}
						if want := fmt.Sprintf("%s: %s", c.LocalAddr(), msg); string(buf[:n]) != want {
							t.Errorf("peer %d got %q, want %q", i, buf[:n], want)
							return
						}
					}
				})
			}
			wg.Wait()
			if got := l.Sessions(); got != peers {
				t.Errorf("Sessions() = %d, want %d", got, peers)
			}
			if d := l.Dropped(); d != 0 {
				t.Errorf("Dropped() = %d, want 0", d)
			}
		})
	}
}

// TestIdleEndsSession: a silent session reads io.EOF, and the peer's next
// datagram opens a new one.
func TestIdleEndsSession(t *testing.T) {
	l := listen(t, "udp", session.Config{Idle: 50 * time.Millisecond})
	p := peer(t, l, 0)
	for round := range 2 {
		if _, err := p.Write([]byte("hello")); err != nil {
			t.Fatal(err)
		}
		c, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 16)
		if n, err := c.Read(buf); err != nil || string(buf[:n]) != "hello" {
			t.Fatalf("round %d: Read = %q, %v", round, buf[:n], err)
		}
		if _, err := c.Read(buf); err != io.EOF {
			t.Fatalf("round %d: Read after silence = %v, want io.EOF", round, err)
		}
		if _, err := c.Write([]byte("late")); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("round %d: Write after the end = %v, want net.ErrClosed", round, err)
		}
		if got := l.Sessions(); got != 0 {
			t.Fatalf("round %d: Sessions() = %d after the session ended", round, got)
		}
	}
}

// TestMaxSessions: a peer past the limit is dropped, and counted.
func TestMaxSessions(t *testing.T) {
	l := listen(t, "udp", session.Config{MaxSessions: 2})
	p := []net.Conn{peer(t, l, 0), peer(t, l, 1), peer(t, l, 2)}
	var s []net.Conn
	for i := range 2 {
		p[i].Write([]byte("first"))
		c, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		s = append(s, c)
	}
	p[2].Write([]byte("one too many"))
	// The socket delivers in order: once this marker is read, the third
	// peer's datagram has been dealt with.
	p[0].Write([]byte("marker"))
	s[0].SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 16)
	for _, want := range []string{"first", "marker"} {
		if n, err := s[0].Read(buf); err != nil || string(buf[:n]) != want {
			t.Fatalf("Read = %q, %v; want %q", buf[:n], err, want)
		}
	}
	if d, n := l.Dropped(), l.Sessions(); d != 1 || n != 2 {
		t.Errorf("Dropped() = %d, Sessions() = %d; want 1, 2", d, n)
	}
	// Closing a session makes room: the third peer gets in.
	s[1].Close()
	p[2].Write([]byte("now"))
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := c.Read(buf); err != nil || string(buf[:n]) != "now" || c.RemoteAddr().String() != p[2].LocalAddr().String() {
		t.Errorf("third peer's session read %q, %v from %v", buf[:n], err, c.RemoteAddr())
	}
}

func TestReadDeadlineAndTruncation(t *testing.T) {
	l := listen(t, "udp", session.Config{})
	p := peer(t, l, 0)
	p.Write([]byte("0123456789"))
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4)
	if n, err := c.Read(buf); err != nil || string(buf[:n]) != "0123" {
		t.Errorf("short Read = %q, %v; want the datagram cut to 4 bytes", buf[:n], err)
	}
	c.SetReadDeadline(time.Now().Add(-time.Second))
	_, err = c.Read(buf)
	var ne net.Error
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("Read past the deadline = %v, want a timeout", err)
	}
	// A deadline set while a Read waits ends that Read.
	c.SetReadDeadline(time.Time{})
	got := make(chan error, 1)
	go func() { _, err := c.Read(buf); got <- err }()
	c.SetReadDeadline(time.Now().Add(time.Millisecond))
	if err := <-got; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("waiting Read after SetReadDeadline = %v", err)
	}
	c.SetWriteDeadline(time.Now().Add(-time.Second))
	if _, err := c.Write([]byte("x")); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Write past the deadline = %v", err)
	}
}

func TestCloseListener(t *testing.T) {
	l := listen(t, "udp", session.Config{})
	p := peer(t, l, 0)
	p.Write([]byte("x"))
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	buf := make([]byte, 4)
	if n, err := c.Read(buf); err != nil || n != 1 {
		t.Errorf("Read of the queued datagram after Close = %d, %v", n, err)
	}
	if _, err := c.Read(buf); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Read after Close = %v, want net.ErrClosed", err)
	}
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close = %v, want net.ErrClosed", err)
	}
}

// TestUnboundUnixgramPeer: a peer with no address is served, but cannot be
// answered, and the error says why.
func TestUnboundUnixgramPeer(t *testing.T) {
	l := listen(t, "unixgram", session.Config{})
	p, err := net.DialUnix("unixgram", nil, l.Addr().(*net.UnixAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.Write([]byte("anonymous"))
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("reply")); !errors.Is(err, session.ErrNoReturnAddress) {
		t.Errorf("Write to an unbound peer = %v, want ErrNoReturnAddress", err)
	}
}

// TestKernelDropped: datagrams the kernel drops because the socket's
// receive buffer is full are counted, those after the last datagram that
// was queued too: what the session reads and what was dropped add up to
// what was sent.
func TestKernelDropped(t *testing.T) {
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	pc.SetReadBuffer(1024) // the kernel's least: a few datagrams
	c, err := net.DialUDP("udp", nil, pc.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Nothing reads yet: on loopback the kernel queues or drops each
	// datagram as it is sent.
	const burst = 200
	for i := range burst {
		fmt.Fprintf(c, "datagram %d", i)
	}
	l := session.Listen(pc, session.Config{RecvBuffer: -1})
	defer l.Close()
	dropped := l.KernelDropped() // no datagram queued since has told it
	pc.SetReadBuffer(1 << 20)    // room for the last one, whatever is queued
	c.Write([]byte("last"))
	s, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	s.SetReadDeadline(time.Now().Add(testnet.Timeout))
	buf := make([]byte, 64)
	received := 0
	for {
		n, err := s.Read(buf)
		if err != nil {
			t.Fatalf("after %d datagrams: %v", received, err)
		}
		if string(buf[:n]) == "last" {
			break
		}
		received++
	}
	if dropped == 0 || int64(received)+dropped != burst {
		t.Errorf("read %d of %d datagrams, KernelDropped() = %d; want the rest, and some", received, burst, dropped)
	}
	l.Close()
	if k, d := l.KernelDropped(), l.Dropped(); k != dropped || d != dropped {
		t.Errorf("after Close, KernelDropped() = %d, Dropped() = %d; want %d, and the listener dropped none", k, d, dropped)
	}
}

// TestRecvBuffer: Listen raises a UDP socket's receive buffer, within
// net.core.rmem_max, unless told not to.
func TestRecvBuffer(t *testing.T) {
	b, err := os.ReadFile("/proc/sys/net/core/rmem_max")
	if err != nil {
		t.Skip(err)
	}
	rmemMax, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		size int
		want func(before int) int // what the socket reports after Listen
	}{
		{"default", 0, func(before int) int { return max(before, 2*min(session.DefaultRecvBuffer, rmemMax)) }},
		{"asked", 64 << 10, func(before int) int { return max(before, 2*min(64<<10, rmemMax)) }},
		{"left alone", -1, func(before int) int { return before }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pc, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			before := recvBuffer(t, pc)
			l := session.Listen(pc, session.Config{RecvBuffer: tc.size})
			defer l.Close()
			if got, want := recvBuffer(t, pc), tc.want(before); got != want {
				t.Errorf("SO_RCVBUF %d after Listen, want %d (it was %d; rmem_max %d)", got, want, before, rmemMax)
			}
		})
	}
}

func recvBuffer(t *testing.T, pc net.PacketConn) int {
	t.Helper()
	rc, err := pc.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var oerr error
	if err := rc.Control(func(fd uintptr) { v, oerr = socket.OptionFD(fd, socket.RecvBuffer) }); err != nil || oerr != nil {
		t.Fatal(err, oerr)
	}
	return v
}
