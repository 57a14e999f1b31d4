package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sockit/sockit/internal/testnet"
)

// TestClientReset checks that a client resetting its connection in the
// middle of a stream ends only that connection.
func TestClientReset(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e Engine) {
		_, ep := serve(t, e, "tcp://127.0.0.1:0", Config{})
		c := dial(t, ep)
		if _, err := c.Write(payload(100<<10, 8)); err != nil {
			t.Fatal(err)
		}
		c.(*net.TCPConn).SetLinger(0) // close sends RST
		c.Close()
		echoStream(t, dial(t, ep), payload(1000, 9)) // the server serves on
	})
}

// TestIdleTimeout checks that a connection quiet for IdleTimeout is closed
// by the server, on every engine.
func TestIdleTimeout(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e Engine) {
		for _, addr := range []string{"tcp://127.0.0.1:0", "unixpacket:" + testnet.SocketDir(t) + "/idle.sock"} {
			t.Run(addr, func(t *testing.T) {
				_, ep := serve(t, e, addr, Config{IdleTimeout: 50 * time.Millisecond})
				c := dial(t, ep)
				if _, err := c.Write([]byte("hi")); err != nil {
					t.Fatal(err)
				}
				if _, err := io.ReadFull(c, make([]byte, 2)); err != nil {
					t.Fatal(err)
				}
				// Then nothing: the server closes it (bounded by the dial
				// deadline).
				if n, err := c.Read(make([]byte, 8)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatalf("idle connection still open: read %d bytes, %v", n, err)
				}
			})
		}
	})
}

// TestSlowReader has a client send 64 MiB without reading the echo. The
// server must stop reading rather than buffer it: its heap may grow by at
// most a few MiB. Then the client reads, and every byte must come back in
// order. Engines run one after another so that heap figures are theirs.
func TestSlowReader(t *testing.T) {
	const total = 64 << 20
	const heapBound = 16 << 20
	p := bigPayload(total)
	for _, name := range Names() {
		e, _ := ByName(name)
		t.Run(name, func(t *testing.T) {
			_, ep := serve(t, e, "tcp://127.0.0.1:0", Config{})
			c := dial(t, ep)
			before := heapInUse()
			// Write until the connection stops taking data: the kernel's
			// buffers are full and the server has stopped reading.
			sent := 0
			for sent < total {
				c.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
				n, err := c.Write(p[sent:min(sent+64<<10, total)])
				sent += n
				if errors.Is(err, os.ErrDeadlineExceeded) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if grew := heapInUse() - before; grew > heapBound {
				t.Errorf("server heap grew by %d MiB with a client not reading (%d MiB sent); want at most %d MiB",
					grew>>20, sent>>20, heapBound>>20)
			}
			c.SetWriteDeadline(time.Time{})
			got := make(chan error, 1)
			go func() {
				buf := make([]byte, total)
				_, err := io.ReadFull(c, buf)
				if err == nil && !bytes.Equal(buf, p) {
					err = errors.New("the echo differs from what was sent")
				}
				got <- err
			}()
			if _, err := c.Write(p[sent:]); err != nil {
				t.Fatal(err)
			}
			if err := <-got; err != nil {
				t.Fatalf("reading the 64 MiB back: %v", err)
			}
		})
	}
}

func bigPayload(n int) []byte {
	r := rand.New(rand.NewPCG(10, 11))
	p := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		binary.LittleEndian.PutUint64(p[i:], r.Uint64())
	}
	return p
}

func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse)
}

// TestAcceptUnderEMFILE runs a server in a child process allowed 40 open
// files, and connects more clients than it can hold. The accept loop must
// back off (each retry is logged; a loop that spins would log thousands)
// and recover once clients leave, serving the ones still waiting.
func TestAcceptUnderEMFILE(t *testing.T) {
	for _, name := range []string{"threaded", "evloop"} {
		t.Run(name, func(t *testing.T) {
			srv := startChild(t, name, "tcp://127.0.0.1:0", "nofile=40", "log=1")
			clients := make([]net.Conn, 60)
			for i := range clients {
				c, err := srv.ep.Dial(testnet.Context(t))
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(testnet.Timeout))
				clients[i] = c
			}
			// Wait for the server to run out of descriptors and retry.
			for retries := 0; retries < 2; {
				line, ok := <-srv.logs
				if !ok {
					t.Fatal("the server exited")
				}
				if strings.Contains(line, "accept failed; retrying") {
					retries++
				}
			}
			// Free descriptors: the first 40 clients leave.
			for _, c := range clients[:40] {
				c.Close()
			}
			for i, c := range clients[40:] {
				echoStream(t, c, payload(100+i, uint64(i)))
			}
			srv.stop(t)
			if n := srv.count("accept failed; retrying"); n > 30 {
				t.Errorf("the accept loop retried %d times: it should back off, not spin", n)
			}
		})
	}
}
