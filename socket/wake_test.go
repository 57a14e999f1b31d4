package socket

import (
	"context"
	"errors"
	"net"
	"sync"
	"syscall"
	"testing"
)

// blocked starts call, a call that blocks on f, in a goroutine and returns
// once it has found f not ready and is about to park, with a func that
// waits for call's error.
func blocked(t *testing.T, f *FD, call func() error) (wait func() error) {
	t.Helper()
	parked := make(chan struct{})
	var once sync.Once
	f.parking = func() { once.Do(func() { close(parked) }) }
	var (
		wg  sync.WaitGroup
		err error
	)
	wg.Go(func() { err = call() })
	t.Cleanup(wg.Wait)
	select {
	case <-parked:
	case <-t.Context().Done():
	}
	return func() error {
		wg.Wait()
		return err
	}
}

// TestWake checks that a blocked call is woken by Close from another
// goroutine and by its context.
func TestWake(t *testing.T) {
	blockers := []struct {
		name string
		// setup returns a socket on which call blocks.
		setup func(t *testing.T, ctx context.Context) *FD
		call  func(ctx context.Context, f *FD) error
	}{
		{
			name: "accept",
			setup: func(t *testing.T, ctx context.Context) *FD {
				return listener(t, INET, Stream, loopback(INET, Stream), nil)
			},
			call: func(ctx context.Context, f *FD) error { _, _, err := f.Accept(ctx); return err },
		},
		{
			name: "recv",
			setup: func(t *testing.T, ctx context.Context) *FD {
				_, srv := pair(t, ctx, UNIX, Stream, tempPath(t, Stream, "s.sock"), nil)
				return srv
			},
			call: func(ctx context.Context, f *FD) error { _, err := f.Recv(ctx, make([]byte, 8)); return err },
		},
		{
			name: "recvfrom",
			setup: func(t *testing.T, ctx context.Context) *FD {
				return listener(t, INET, Datagram, loopback(INET, Datagram), nil)
			},
			call: func(ctx context.Context, f *FD) error { _, _, err := f.RecvFrom(ctx, make([]byte, 8)); return err },
		},
	}
	for _, b := range blockers {
		t.Run(b.name+"/close", func(t *testing.T) {
			ctx, _ := testContext(t)
			f := b.setup(t, ctx)
			wait := blocked(t, f, func() error { return b.call(ctx, f) })
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			if err := wait(); !errors.Is(err, net.ErrClosed) {
				t.Errorf("err = %v, want net.ErrClosed", err)
			}
		})
		t.Run(b.name+"/cancel", func(t *testing.T) {
			ctx, _ := testContext(t)
			f := b.setup(t, ctx)
			var rec recorder
			f.tr = rec.trace
			cctx, cancel := context.WithCancel(ctx)
			wait := blocked(t, f, func() error { return b.call(cctx, f) })
			cancel()
			err := wait()
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			if c := rec.last(t); c.Err != syscall.EAGAIN || c.Ret != -1 {
				t.Errorf("traced %v, want the EAGAIN the kernel last returned", c)
			}
			if got := ops(rec.Calls()); len(got) != 1 {
				t.Errorf("traced %v, want one call", got)
			}
		})
	}
	t.Run("accept/timeout", func(t *testing.T) {
		ctx, _ := testContext(t)
		ln := listener(t, INET, Stream, loopback(INET, Stream), nil)
		tctx, cancel := context.WithTimeout(ctx, 1)
		defer cancel()
		if _, _, err := ln.Accept(tctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want context.DeadlineExceeded", err)
		}
	})
}

// TestCancelThenAccept checks that a cancelled Accept leaves the
// listener usable.
func TestCancelThenAccept(t *testing.T) {
	ctx, _ := testContext(t)
	ln := listener(t, INET, Stream, loopback(INET, Stream), nil)
	cctx, cancel := context.WithCancel(ctx)
	wait := blocked(t, ln, func() error { _, _, err := ln.Accept(cctx); return err })
	cancel()
	if err := wait(); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	ln.parking = nil
	laddr, err := ln.LocalAddr()
	if err != nil {
		t.Fatal(err)
	}
	cli := newSocket(t, INET, Stream, nil)
	if err := cli.Connect(ctx, laddr); err != nil {
		t.Fatal(err)
	}
	c, _, err := ln.Accept(ctx)
	if err != nil {
		t.Fatalf("accept after a cancelled accept: %v", err)
	}
	c.Close()
}

// TestConcurrentCancel checks that cancelling one of two calls waiting on
// the same descriptor wakes only that one, and that overlapping
// cancellations each wake their call.
func TestConcurrentCancel(t *testing.T) {
	recv := func(ctx context.Context, f *FD) error {
		_, _, err := f.RecvFrom(ctx, make([]byte, 8))
		return err
	}
	t.Run("other call survives", func(t *testing.T) {
		ctx, _ := testContext(t)
		cli, srv := pair(t, ctx, INET, Datagram, loopback(INET, Datagram), nil)
		cctx, cancel := context.WithCancel(ctx)
		waitA := blocked(t, srv, func() error { return recv(cctx, srv) })
		var (
			wg   sync.WaitGroup
			errB error
		)
		wg.Go(func() { errB = recv(ctx, srv) })
		cancel()
		if err := waitA(); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled call: %v, want context.Canceled", err)
		}
		if _, err := cli.Send(ctx, []byte("x")); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if errB != nil {
			t.Errorf("other call: %v, want the datagram", errB)
		}
	})
	t.Run("both cancelled", func(t *testing.T) {
		ctx, _ := testContext(t)
		_, srv := pair(t, ctx, INET, Datagram, loopback(INET, Datagram), nil)
		ctxA, cancelA := context.WithCancel(ctx)
		ctxB, cancelB := context.WithCancel(ctx)
		waitA := blocked(t, srv, func() error { return recv(ctxA, srv) })
		var (
			wg   sync.WaitGroup
			errB error
		)
		wg.Go(func() { errB = recv(ctxB, srv) })
		cancelA()
		cancelB()
		if err := waitA(); !errors.Is(err, context.Canceled) {
			t.Errorf("first call: %v, want context.Canceled", err)
		}
		wg.Wait()
		if !errors.Is(errB, context.Canceled) {
			t.Errorf("second call: %v, want context.Canceled", errB)
		}
	})
}
