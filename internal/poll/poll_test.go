package poll

import (
	"os"
	"testing"
	"time"

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

// TestRunSettled checks that a loop whose handler answers Settled parks
// without looking again and still wakes for every later event, also when
// a batch fills the events buffer and leaves events pending.
func TestRunSettled(t *testing.T) {
	for _, tc := range []struct {
		name         string
		pairs, batch int
	}{
		{"one socket", 1, 8},
		{"full batches", 3, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New()
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			var peers []*os.File
			for range tc.pairs {
				fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { unix.Close(fds[0]) })
				peer := os.NewFile(uintptr(fds[1]), "peer")
				t.Cleanup(func() { peer.Close() })
				peers = append(peers, peer)
				if err := p.Add(fds[0], In); err != nil {
					t.Fatal(err)
				}
			}
			const rounds = 200
			want := rounds * tc.pairs
			echoed := 0
			buf := make([]byte, 64)
			handle := func(events []Event) After {
				for _, ev := range events {
					n, err := Read(int(ev.Fd), buf) // the peer writes one byte at a time
					if err != nil || n != 1 {
						t.Errorf("read: %d, %v", n, err)
						return Stop
					}
					if _, err := Write(int(ev.Fd), buf[:1]); err != nil {
						t.Errorf("write: %v", err)
						return Stop
					}
					echoed++
				}
				if echoed == want {
					return Stop
				}
				return Settled
			}
			idle := func() (time.Time, bool) { return time.Time{}, false }
			done := make(chan error, 1)
			go func() { done <- p.Run(make([]Event, tc.batch), handle, idle) }()

			for i := range rounds {
				for _, peer := range peers {
					if _, err := peer.Write([]byte{byte(i)}); err != nil {
						t.Fatal(err)
					}
				}
				for j, peer := range peers {
					peer.SetReadDeadline(time.Now().Add(10 * time.Second))
					got := make([]byte, 1)
					if _, err := peer.Read(got); err != nil || got[0] != byte(i) {
						t.Fatalf("round %d, socket %d: echo %v, %v: the loop parked with an event unserved", i, j, got, err)
					}
				}
			}
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return after the last echo")
			}
		})
	}
}

// TestRunSolo checks a loop parked on its one socket (Solo): every echo
// wakes it, Wake wakes it, and it keeps serving when, halfway, the socket
// stops being solo or is watched for output too (Run parks on epfd then).
func TestRunSolo(t *testing.T) {
	for _, tc := range []struct {
		name    string
		halfway func(p *Poller, fd int) error
	}{
		{"solo throughout", func(*Poller, int) error { return nil }},
		{"unsolo halfway", func(p *Poller, fd int) error { p.Unsolo(fd); return nil }},
		{"output watched halfway", func(p *Poller, fd int) error { return p.Mod(fd, In|Out) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New()
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fds[0])
			peer := os.NewFile(uintptr(fds[1]), "peer")
			defer peer.Close()
			fd := fds[0]
			if err := p.Add(fd, In); err != nil {
				t.Fatal(err)
			}
			if err := p.Solo(fd, In); err != nil {
				t.Fatal(err)
			}
			const rounds = 200
			echoed := 0
			buf := make([]byte, 64)
			handle := func(events []Event) After {
				for _, ev := range events {
					switch {
					case int(ev.Fd) == p.WakeFD():
						p.Drain()
						if echoed == rounds {
							return Stop
						}
					case ev.Events&In != 0:
						n, err := Read(fd, buf)
						if err == unix.EAGAIN {
							continue // a wake, or output readiness, with nothing to read
						}
						if err != nil || n != 1 {
							t.Errorf("read: %d, %v", n, err)
							return Stop
						}
						if _, err := Write(fd, buf[:1]); err != nil {
							t.Errorf("write: %v", err)
							return Stop
						}
						if echoed++; echoed == rounds/2 {
							if err := tc.halfway(p, fd); err != nil {
								t.Errorf("halfway: %v", err)
								return Stop
							}
						}
					}
				}
				return Settled
			}
			idle := func() (time.Time, bool) { return time.Time{}, false }
			done := make(chan error, 1)
			go func() { done <- p.Run(make([]Event, 8), handle, idle) }()

			peer.SetDeadline(time.Now().Add(10 * time.Second))
			for i := range rounds {
				got := []byte{0}
				if _, err := peer.Write([]byte{byte(i)}); err != nil {
					t.Fatal(err)
				}
				if _, err := peer.Read(got); err != nil || got[0] != byte(i) {
					t.Fatalf("round %d: echo %v, %v", i, got, err)
				}
			}
			if err := p.Wake(); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return after Wake")
			}
		})
	}
}
