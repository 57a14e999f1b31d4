package gateway_test

import (
	"bufio"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sockit/sockit/gateway"
)

// testDeadline bounds every read and write a test makes.
const testDeadline = 10 * time.Second

// serve starts s on a loopback port and stops it when the test ends. It
// returns the address to dial.
func serve(t testing.TB, s *gateway.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		s.Close()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, gateway.ErrServerClosed) && !errors.Is(err, gateway.ErrShutdownCommand) {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(testDeadline):
			t.Errorf("Serve did not return within %v of Close", testDeadline)
		}
	})
	return ln.Addr().String()
}

// wire is a client speaking the protocol line by line, as Python does.
type wire struct {
	t  testing.TB
	nc net.Conn
	r  *bufio.Reader
}

func dial(t testing.TB, addr string) *wire {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, testDeadline)
	if err != nil {
		t.Fatal(err)
	}
	return newWire(t, nc)
}

// newWire speaks the protocol on nc, and closes it when the test ends.
func newWire(t testing.TB, nc net.Conn) *wire {
	t.Cleanup(func() { nc.Close() })
	return &wire{t: t, nc: nc, r: bufio.NewReaderSize(nc, 64<<10)}
}

// command reads one command block, up to and without its "e" line.
func (w *wire) command() []string {
	w.t.Helper()
	var lines []string
	for range 1000 {
		l := w.line()
		if l == "e" {
			return lines
		}
		lines = append(lines, l)
	}
	w.t.Fatalf("no end of command in 1000 lines: %q", lines)
	return nil
}

// send writes lines, each followed by a newline.
func (w *wire) send(lines ...string) {
	w.t.Helper()
	w.nc.SetWriteDeadline(time.Now().Add(testDeadline))
	if _, err := w.nc.Write([]byte(strings.Join(lines, "\n") + "\n")); err != nil {
		w.t.Fatalf("send %q: %v", lines, err)
	}
}

// line reads one line, without its newline.
func (w *wire) line() string {
	w.t.Helper()
	l, err := w.readLine()
	if err != nil {
		w.t.Fatalf("read: %v", err)
	}
	return l
}

func (w *wire) readLine() (string, error) {
	w.nc.SetReadDeadline(time.Now().Add(testDeadline))
	l, err := w.r.ReadString('\n')
	return strings.TrimSuffix(l, "\n"), err
}

// call sends a command (its lines, without the closing "e") and returns
// the reply line.
func (w *wire) call(lines ...string) string {
	w.t.Helper()
	w.send(append(lines, "e")...)
	return w.line()
}

// closed reports whether the gateway closed the connection: the next read
// ends without data.
func (w *wire) closed() bool {
	w.t.Helper()
	l, err := w.readLine()
	if err == nil {
		w.t.Errorf("read %q where the connection should be closed", l)
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		w.t.Errorf("the connection is still open after %v", testDeadline)
		return false
	}
	return true
}
