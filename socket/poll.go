package socket

import (
	"context"
	"errors"
	"net"
	"os"
	"runtime"
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

// A direction is the readiness a call waits for.
type direction int

const (
	reading direction = iota
	writing
)

// wait runs fn with the descriptor until fn reports that it is done,
// parking the goroutine on the runtime poller until the descriptor is
// readable (or writable, by dir) whenever fn is not. fn returns false
// only when its system call returned EAGAIN (or connect's EINPROGRESS).
//
// wait returns nil once fn is done; net.ErrClosed if f is closed before or
// while it waits; and ctx.Err() if ctx is done before or while it waits.
func (f *FD) wait(ctx context.Context, dir direction, fn func(fd int) bool) error {
	if !f.open() {
		return net.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if ctx.Done() != nil {
		fired := make(chan struct{})
		stop := context.AfterFunc(ctx, func() {
			defer close(fired)
			f.cancel(dir, +1)
		})
		defer func() {
			if !stop() {
				<-fired
				f.cancel(dir, -1)
			}
		}()
	}
	do := f.rc.Read
	if dir == writing {
		do = f.rc.Write
	}
	for {
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
		case !errors.Is(err, os.ErrDeadlineExceeded):
			return err
		case ctx.Err() != nil:
			return ctx.Err()
		}
		// Another call's cancellation woke this one: let that call
		// return and clear the deadline, then park again.
		runtime.Gosched()
	}
}

// cancel counts calls waiting in direction dir whose contexts have ended
// (delta +1) or that have returned since (-1). While there are any, the
// descriptor has a deadline in the past for dir, which wakes them and
// every other call parked in that direction; the others park again once
// the deadline is cleared.
func (f *FD) cancel(dir direction, delta int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cancels[dir] += delta
	deadline := time.Time{}
	if f.cancels[dir] > 0 {
		deadline = aLongTimeAgo
	}
	setDeadline := f.file.SetReadDeadline
	if dir == writing {
		setDeadline = f.file.SetWriteDeadline
	}
	_ = setDeadline(deadline) // fails only once f is closed, which wakes every call anyway
}
