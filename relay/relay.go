package relay

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
)

// Conn is one side of a relay: a stream whose write side can be shut
// down. *net.TCPConn and *net.UnixConn are Conns.
type Conn interface {
	io.ReadWriteCloser
	CloseWrite() error
}

// Side names a side of a Join: A or B, in the order given.
type Side string

const (
	A Side = "a"
	B Side = "b"
)

// Stats is what a Join did.
type Stats struct {
	AToB, BToA int64 // bytes copied each way
	// FirstEnd is the side whose stream ended first: its peer closed or
	// shut down its write side. Empty if an error or ctx ended the join
	// before either stream did.
	FirstEnd Side
}

// Join copies a to b and b to a until both directions have ended, an
// error stops one, or ctx ends; then it closes both. A direction ends when
// its source reads end-of-file, and its destination's write side is shut
// down then. A read or write error on either direction (a reset, say)
// closes both sides at once and is returned, wrapped with the direction.
func Join(ctx context.Context, a, b Conn) (Stats, error) {
	var (
		st   Stats
		mu   sync.Mutex
		errs [2]error
		wg   sync.WaitGroup
	)
	closeBoth := sync.OnceFunc(func() {
		a.Close()
		b.Close()
	})
	direction := func(i int, dst, src Conn, from Side, n *int64) {
		defer wg.Done()
		copied, err := io.Copy(dst, src)
		mu.Lock()
		*n = copied
		mu.Unlock()
		if err == nil {
			mu.Lock()
			if st.FirstEnd == "" {
				st.FirstEnd = from
			}
			mu.Unlock()
			err = dst.CloseWrite()
			if err == nil || isGone(err) {
				return // a peer that has gone already needs no end-of-file
			}
		}
		errs[i] = &DirectionError{From: from, Err: err}
		closeBoth() // the other direction cannot go on alone
	}
	wg.Add(2)
	go direction(0, b, a, A, &st.AToB)
	go direction(1, a, b, B, &st.BToA)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		closeBoth()
		<-done
		return st, ctx.Err()
	}
	closeBoth()
	return st, firstReal(errs[:])
}

// DirectionError is an error in one direction of a Join.
type DirectionError struct {
	From Side // the side the bytes came from
	Err  error
}

func (e *DirectionError) Error() string {
	to := B
	if e.From == B {
		to = A
	}
	return "relay " + string(e.From) + " to " + string(to) + ": " + e.Err.Error()
}

func (e *DirectionError) Unwrap() error { return e.Err }

// firstReal returns the first error that is not the echo of the other
// direction's failure: once one direction fails, closing both makes the
// other fail with "use of closed network connection".
func firstReal(errs []error) error {
	var closed error
	for _, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, net.ErrClosed), errors.Is(err, os.ErrClosed):
			if closed == nil {
				closed = err
			}
		default:
			return err
		}
	}
	return closed
}

// isGone reports whether err says the peer has gone: shutting down the
// write side of a connection it reset or closed is no failure.
func isGone(err error) bool {
	return errors.Is(err, syscall.ENOTCONN) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)
}
