package poll

import (
	"os"
	"time"
)

// Solo makes Run park on fd itself, rather than on the epoll instance,
// while fd is watched for input only; events is what fd is watched for
// now. Call it for a loop that serves one socket, after Add, and call
// Unsolo before closing fd.
//
// A socket registered in epfd wakes the loop through two epoll instances,
// and that second wakeup is not a synchronous one: the scheduler then wakes
// the loop on another CPU more often than not. Measured with one connection
// of 64-byte ping-pong, parking on the socket doubles the rate.
func (p *Poller) Solo(fd int, events uint32) error {
	nfd, err := Dup(fd)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(nfd), "solo") // non-blocking like fd: the runtime's poller takes it
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		f.Close()
		return os.ErrClosed
	}
	if p.solo != nil {
		p.solo.Close()
	}
	p.solo, p.soloFD, p.soloOut = f, fd, events&Out != 0
	return nil
}

// Unsolo undoes Solo for fd, if fd is the solo socket: call it before
// closing fd. Run may be inside the solo file's read, so the file is closed
// when Run leaves it (or by Close).
func (p *Poller) Unsolo(fd int) {
	if p.solo == nil || p.soloFD != fd {
		return
	}
	p.mu.Lock()
	p.retired, p.solo = p.solo, nil
	p.mu.Unlock()
}

func (p *Poller) closeRetired() {
	if p.retired != nil {
		p.retired.Close()
		p.retired = nil
	}
}

// serveSolo is one pass of Run over the solo socket k: it hands handle
// the socket as ready for input (and the wake descriptor, if Wake was
// called) until handle has nothing more to do, then calls idle and sets
// the wake time. It reports whether Run should leave k's read: to stop
// (*stop), or because the socket is no longer solo or now waits for
// output; otherwise Run parks on k.
func (p *Poller) serveSolo(k *parking, events []Event, handle func([]Event) After, idle func() (time.Time, bool), stop *bool) (leave bool) {
	for {
		n := 0
		if p.woken.Swap(false) {
			events[n] = Event{Fd: int32(p.wake), Events: In}
			n++
		}
		events[n] = Event{Fd: int32(p.soloFD), Events: In}
		n++
		after := handle(events[:n])
		switch {
		case after == Stop:
			*stop = true
			return true
		case p.solo != k.file || p.soloOut:
			return true
		case after == Recheck:
			continue
		}
		wake, done := idle()
		if done {
			*stop = true
			return true
		}
		k.setWake(wake)
		if !p.woken.Load() {
			return false // a Wake after this sets a past deadline: the park returns at once
		}
	}
}
