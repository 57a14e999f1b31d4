package socket

import (
	"net"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
)

// TestTrace checks that a tracer sees the real calls of a TCP exchange,
// in order, with the real descriptors.
func TestTrace(t *testing.T) {
	ctx, cancel := testContext(t)
	var srvRec, cliRec recorder

	ln := newSocket(t, INET, Stream, srvRec.trace)
	if err := ln.SetOption(ReuseAddr, 1); err != nil {
		t.Fatal(err)
	}
	if err := ln.Bind(loopback(INET, Stream)); err != nil {
		t.Fatal(err)
	}
	if err := ln.Listen(128); err != nil {
		t.Fatal(err)
	}
	laddr, err := ln.LocalAddr()
	if err != nil {
		t.Fatal(err)
	}
	lnFD := ln.Fd()

	var (
		wg     sync.WaitGroup
		connFD int
		peer   net.Addr
	)
	defer wg.Wait()
	defer cancel()
	wg.Go(func() {
		c, p, err := ln.Accept(ctx)
		if err != nil {
			t.Errorf("accept: %v", err)
			return
		}
		connFD, peer = c.Fd(), p
		buf := make([]byte, 1024)
		n, err := c.Recv(ctx, buf)
		if err != nil {
			t.Errorf("recv: %v", err)
		}
		if _, err := c.Send(ctx, buf[:n]); err != nil {
			t.Errorf("send: %v", err)
		}
		if err := c.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})

	cli := newSocket(t, INET, Stream, cliRec.trace)
	cliFD := cli.Fd()
	if err := cli.Connect(ctx, laddr); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Send(ctx, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Recv(ctx, make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	clocal, err := cli.LocalAddr()
	if err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for _, f := range []*FD{cli, ln} {
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Errorf("second Close = %v, want nil", err)
		}
		if fd := f.Fd(); fd != -1 {
			t.Errorf("Fd after Close = %d, want -1", fd)
		}
	}

	check := func(t *testing.T, got []Call, wants []wantCall) {
		t.Helper()
		var wantOps []string
		for _, w := range wants {
			wantOps = append(wantOps, w.op)
		}
		if !slices.Equal(ops(got), wantOps) {
			t.Fatalf("calls (-want +got):\n-%v\n+%v", wantOps, ops(got))
		}
		for i, w := range wants {
			if !w.matches(got[i]) {
				t.Errorf("call %d = %+v, want %+v", i, got[i], w)
			}
		}
	}
	t.Run("server", func(t *testing.T) {
		check(t, srvRec.Calls(), []wantCall{
			{op: "socket", fd: -1, args: "AF_INET, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0", ret: lnFD},
			{op: "setsockopt", fd: lnFD, args: "SOL_SOCKET, SO_REUSEADDR, 1"},
			{op: "bind", fd: lnFD, addr: loopback(INET, Stream)},
			{op: "listen", fd: lnFD, args: "128"},
			{op: "getsockname", fd: lnFD, addr: laddr},
			{op: "accept4", fd: lnFD, args: "SOCK_NONBLOCK|SOCK_CLOEXEC", ret: connFD, addr: clocal},
			{op: "recv", fd: connFD, args: "1024", ret: 5},
			{op: "send", fd: connFD, args: "5", ret: 5},
			{op: "close", fd: connFD},
			{op: "close", fd: lnFD},
		})
		if !sameAddr(peer, clocal) {
			t.Errorf("Accept's peer = %v, want %v", peer, clocal)
		}
		if got, want := srvRec.Calls()[0].String(), "socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0) = "+strconv.Itoa(lnFD); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	})
	t.Run("client", func(t *testing.T) {
		check(t, cliRec.Calls(), []wantCall{
			{op: "socket", fd: -1, args: "AF_INET, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0", ret: cliFD},
			{op: "connect", fd: cliFD, addr: laddr},
			{op: "send", fd: cliFD, args: "5", ret: 5},
			{op: "recv", fd: cliFD, args: "100", ret: 5},
			{op: "getsockname", fd: cliFD, addr: clocal},
			{op: "close", fd: cliFD},
		})
	})
}

// wantCall is what a traced call must look like. A zero args or a nil
// addr is not checked; the call must have succeeded.
type wantCall struct {
	op   string
	fd   int
	args string
	ret  int
	addr net.Addr
}

func (w wantCall) matches(c Call) bool {
	return c.Op == w.op && c.FD == w.fd && (w.args == "" || c.Args == w.args) && c.Ret == w.ret &&
		c.Err == nil && (w.addr == nil || sameAddr(c.Addr, w.addr)) && c.Dur >= 0
}

// TestTraceSocketError checks that a failed socket(2) is traced.
func TestTraceSocketError(t *testing.T) {
	var rec recorder
	_, err := Socket(UNIX, Stream, 99, rec.trace)
	if err == nil {
		t.Fatal("socket(AF_UNIX, SOCK_STREAM, 99) succeeded")
	}
	c := rec.last(t)
	if c.Op != "socket" || c.FD != -1 || c.Ret != -1 || c.Err != syscall.EPROTONOSUPPORT {
		t.Errorf("traced %+v, want socket = -1 EPROTONOSUPPORT", c)
	}
}
