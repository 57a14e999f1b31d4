package socket

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"
)

// TestRecvMsgControl receives a UDP datagram with its TTL, destination
// and kernel timestamp.
func TestRecvMsgControl(t *testing.T) {
	for _, tt := range []struct {
		d          Domain
		ip         net.IP
		ttl, pktin Option
	}{
		{INET, net.IPv4(127, 0, 0, 1), RecvTTL, PktInfo},
		{INET6, net.IPv6loopback, RecvHopLimit, RecvPktInfo6},
	} {
		t.Run(tt.d.String(), func(t *testing.T) {
			ctx, _ := testContext(t)
			rx := newSocket(t, tt.d, Datagram, nil)
			if err := rx.Bind(&net.UDPAddr{IP: tt.ip}); err != nil {
				if tt.d == INET6 {
					t.Skipf("no IPv6 loopback: %v", err)
				}
				t.Fatal(err)
			}
			for _, o := range []Option{tt.ttl, tt.pktin, TimestampNS} {
				if err := rx.SetOption(o, 1); err != nil {
					t.Fatal(err)
				}
			}
			to, _ := rx.LocalAddr()
			tx := newSocket(t, tt.d, Datagram, nil)
			before := time.Now()
			if _, err := tx.SendTo(ctx, []byte("hello"), to); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 3)
			m, err := rx.RecvMsg(ctx, buf, false)
			if err != nil {
				t.Fatal(err)
			}
			if m.N != 3 || !m.Truncated || m.TTL != 64 || !m.Dst.Equal(tt.ip) || m.Err != nil ||
				m.Time.Before(before.Add(-time.Second)) || m.Time.After(time.Now()) {
				t.Errorf("message %+v: want 3 bytes truncated, ttl 64, to %v, a timestamp", m, tt.ip)
			}
			if a, ok := m.From.(*net.UDPAddr); !ok || !a.IP.Equal(tt.ip) {
				t.Errorf("from %v", m.From)
			}
		})
	}
}

// TestRecvMsgErrQueue sends to a port nobody listens on: the port
// unreachable comes back on the error queue.
func TestRecvMsgErrQueue(t *testing.T) {
	ctx, _ := testContext(t)
	// A port that was free a moment ago, and a socket not listening on it.
	hole := newSocket(t, INET, Datagram, nil)
	if err := hole.Bind(&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	to, _ := hole.LocalAddr()
	hole.Close()

	f := newSocket(t, INET, Datagram, nil)
	if err := f.SetOption(RecvErr, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := f.SendTo(ctx, []byte("anyone?"), to); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	m, err := f.RecvMsg(ctx, buf, true)
	if err != nil {
		t.Fatal(err)
	}
	e := m.Err
	if e == nil || e.Errno != syscall.ECONNREFUSED || e.Origin != OriginICMP || e.Type != 3 || e.Code != 3 || !e.Offender.Equal(net.IPv4(127, 0, 0, 1)) {
		t.Fatalf("message %+v, error %+v: want port unreachable from 127.0.0.1", m, e)
	}
	if string(buf[:m.N]) != "anyone?" || m.From.String() != to.String() {
		t.Errorf("the failed datagram: %q to %v, want %q to %v", buf[:m.N], m.From, "anyone?", to)
	}
	if !errors.Is(e.Errno, syscall.ECONNREFUSED) || e.Error() != "connection refused (ICMP type 3 code 3 from 127.0.0.1)" {
		t.Errorf("Error() = %q", e.Error())
	}
}

// TestRxqOverflowCount: with RxqOverflow on, a datagram queued after some
// were dropped for a full receive buffer says how many, and DroppedFD says
// so at once.
func TestRxqOverflowCount(t *testing.T) {
	if _, ok := RxqOverflowCount(nil); ok {
		t.Error("RxqOverflowCount(nil) found a count")
	}
	ln, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	rc, err := ln.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = SetOptionFD(fd, RxqOverflow, 1) }); err != nil || serr != nil {
		t.Fatal(err, serr)
	}
	ln.SetReadBuffer(1024) // the kernel's least: a few datagrams
	c, err := net.DialUDP("udp", nil, ln.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const burst = 100
	for range burst { // on loopback each is queued or dropped before Write returns
		c.Write([]byte("burst"))
	}
	var now uint32
	if err := rc.Control(func(fd uintptr) { now, serr = DroppedFD(fd) }); err != nil || serr != nil {
		t.Fatal(err, serr)
	}
	ln.SetReadBuffer(1 << 20) // room for the last one, whatever is queued
	c.Write([]byte("last"))
	ln.SetReadDeadline(time.Now().Add(testTimeout))
	buf, oob := make([]byte, 64), make([]byte, RxqOverflowSpace)
	received := 0
	for {
		n, oobn, _, _, err := ln.ReadMsgUDP(buf, oob)
		if err != nil {
			t.Fatal(err)
		}
		dropped, ok := RxqOverflowCount(oob[:oobn])
		if string(buf[:n]) != "last" {
			received++
			continue
		}
		if !ok || dropped == 0 || received+int(dropped) != burst || now != dropped {
			t.Errorf("received %d of %d; the last datagram says %d dropped (%v), DroppedFD %d before it; want the rest", received, burst, dropped, ok, now)
		}
		return
	}
}
