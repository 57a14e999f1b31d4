package poll

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestWakeAfterClose is the regression test for a wake written into another
// file: after Close, the kernel hands the eventfd's number to the next file
// opened, and a Wake then must not write to it.
func TestWakeAfterClose(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	wakeFD := p.WakeFD()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	if fds[1] != wakeFD && fds[0] != wakeFD {
		t.Skipf("the pipe got descriptors %v, not the freed %d; nothing to check", fds, wakeFD)
	}
	if err := p.Wake(); err != nil {
		t.Fatalf("Wake after Close: %v", err)
	}
	if n, err := unix.Read(fds[0], make([]byte, 8)); err != unix.EAGAIN {
		t.Fatalf("the pipe that took the eventfd's number got %d bytes (%v): a wake after Close wrote to it", n, err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestPollerWakes(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Wake(); err != nil {
		t.Fatal(err)
	}
	events := make([]Event, 4)
	n, err := p.Wait(events, 10_000)
	if err != nil || n != 1 || int(events[0].Fd) != p.WakeFD() {
		t.Fatalf("Wait after Wake: %d events %v, %v", n, events[:n], err)
	}
	p.Drain()
	if n, err := p.Wait(events, 0); err != nil || n != 0 {
		t.Fatalf("Wait after Drain: %d events, %v; want none", n, err)
	}
}
