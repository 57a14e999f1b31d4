package socket

import (
	"errors"
	"syscall"
	"testing"
)

// TestListenFD checks that a second listen(2), through ListenFD, changes a
// listening Unix socket's backlog: non-blocking connects succeed while the
// listener holds at most backlog+1 unaccepted connections, then fail with
// EAGAIN (Linux's af_unix refuses a connection once its queue is longer
// than the backlog).
func TestListenFD(t *testing.T) {
	tests := []struct {
		name          string
		first, second int
	}{
		{"shrink", 128, 1},
		{"grow", 1, 4},
		{"zero", 128, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, _ := testContext(t)
			ln := newSocket(t, UNIX, Stream, nil)
			if err := ln.Bind(tempPath(t, Stream, "s.sock")); err != nil {
				t.Fatal(err)
			}
			if err := ln.Listen(tt.first); err != nil {
				t.Fatal(err)
			}
			if err := ListenFD(uintptr(ln.Fd()), tt.second); err != nil {
				t.Fatal(err)
			}
			laddr, err := ln.LocalAddr()
			if err != nil {
				t.Fatal(err)
			}
			want := tt.second + 1
			var n int
			for n = 0; n < want+3; n++ {
				err = newSocket(t, UNIX, Stream, nil).Connect(ctx, laddr)
				if err != nil {
					break
				}
			}
			if n != want || !errors.Is(err, syscall.EAGAIN) {
				t.Errorf("%d connects succeeded, then %v; want %d, then EAGAIN", n, err, want)
			}

			// Accepting one makes room for one more.
			c, _, err := ln.Accept(ctx)
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
			if err := newSocket(t, UNIX, Stream, nil).Connect(ctx, laddr); err != nil {
				t.Errorf("connect after an accept: %v", err)
			}
		})
	}
}

func TestListenFDError(t *testing.T) {
	f := newSocket(t, UNIX, Datagram, nil)
	err := ListenFD(uintptr(f.Fd()), 1)
	if !errors.Is(err, syscall.EOPNOTSUPP) || err.Error() != "listen: operation not supported" {
		t.Errorf("ListenFD on a datagram socket = %v, want EOPNOTSUPP", err)
	}
}
