package socket

import (
	"context"
	"errors"
	"net"
	"os"
	"time"
)

// aLongTimeAgo is a deadline in the past: setting it wakes a parked call.
var aLongTimeAgo = time.Unix(1, 0)

// control runs fn with the descriptor, which stays open until fn returns.
// It returns net.ErrClosed if f is closed; fn's own result is its to
// report.
func (f *FD) control(fn func(fd int)) error {
	if !f.open() {
		return net.ErrClosed
	}
	err := f.rc.Control(func(fd uintptr) { fn(int(fd)) })
	if err != nil && f.closed.Load() {
		return net.ErrClosed
	}
	return err
}

// wait runs fn with the descriptor until fn reports that it is done,
// parking the goroutine on the runtime poller until the descriptor is
// readable (or, if write, writable) whenever fn is not. fn returns false
// only when its system call returned EAGAIN (or connect's EINPROGRESS).
//
// wait returns nil once fn is done; net.ErrClosed if f is closed before or
// while it waits; and ctx.Err() if ctx is done before or while it waits.
// Cancellation sets a past read (or write) deadline on the descriptor,
// which wakes every call parked in the same direction; wait clears it
// again before returning.
func (f *FD) wait(ctx context.Context, write bool, fn func(fd int) bool) error {
	if !f.open() {
		return net.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	setDeadline, do := f.file.SetReadDeadline, f.rc.Read
	if write {
		setDeadline, do = f.file.SetWriteDeadline, f.rc.Write
	}
	if ctx.Done() != nil {
		fired := make(chan struct{})
		stop := context.AfterFunc(ctx, func() {
			defer close(fired)
			_ = setDeadline(aLongTimeAgo) // fails only once f is closed, which wakes the call anyway
		})
		defer func() {
			if !stop() {
				<-fired
				_ = setDeadline(time.Time{})
			}
		}()
	}
	err := do(func(fd uintptr) bool {
		if fn(int(fd)) {
			return true
		}
		if f.parking != nil {
			f.parking()
		}
		return false
	})
	switch {
	case err == nil:
		return nil
	case f.closed.Load():
		return net.ErrClosed
	case errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil:
		return ctx.Err()
	}
	return err
}
