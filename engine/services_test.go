package engine

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sockit/sockit/internal/testnet"
	"github.com/sockit/sockit/service"
)

// streamAddrs are the stream endpoints every engine serves services on.
func streamAddrs(t *testing.T) []string {
	dir := testnet.SocketDir(t)
	return []string{"tcp://127.0.0.1:0", "tcp6://[::1]:0", "unix:" + dir + "/s.sock", "unix:@sockit-svc-" + filepath.Base(dir)}
}

func datagramAddrs(t *testing.T) []string {
	return []string{"udp://127.0.0.1:0", "unixgram:" + testnet.SocketDir(t) + "/g.sock"}
}

func TestDiscardService(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e Engine) {
		cfg := Config{Service: service.Discard{}}
		for _, addr := range streamAddrs(t) {
			t.Run(addr, func(t *testing.T) {
				_, ep := serve(t, e, addr, cfg)
				c := dial(t, ep)
				if _, err := c.Write(payload(1<<20, 5)); err != nil {
					t.Fatal(err)
				}
				c.(interface{ CloseWrite() error }).CloseWrite()
				if got, err := io.ReadAll(c); err != nil || len(got) != 0 {
					t.Fatalf("discard sent %d bytes back, %v; want nothing, then end-of-file", len(got), err)
				}
			})
		}
		for _, addr := range datagramAddrs(t) {
			t.Run(addr, func(t *testing.T) {
				_, ep := serve(t, e, addr, cfg)
				c := dial(t, ep)
				if _, err := c.Write([]byte("into the void")); err != nil {
					t.Fatal(err)
				}
				// A reply would come at once; none may come at all.
				c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
				if n, err := c.Read(make([]byte, 64)); !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatalf("discard answered a datagram: %d bytes, %v", n, err)
				}
			})
		}
	})
}

func TestChargenService(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e Engine) {
		cfg := Config{Service: service.Chargen{}}
		for _, addr := range streamAddrs(t) {
			t.Run(addr, func(t *testing.T) {
				_, ep := serve(t, e, addr, cfg)
				c := dial(t, ep)
				// Input is discarded while the pattern flows.
				if _, err := c.Write([]byte("ignored")); err != nil {
					t.Fatal(err)
				}
				got := make([]byte, 1<<20)
				if _, err := io.ReadFull(c, got); err != nil {
					t.Fatal(err)
				}
				for i := 0; len(got) >= 74; i++ {
					if line := service.ChargenLine(i); !bytes.HasPrefix(got, line) {
						t.Fatalf("line %d = %q, want %q", i, got[:74], line)
					}
					got = got[74:]
				}
			})
		}
		for _, addr := range datagramAddrs(t) {
			t.Run(addr, func(t *testing.T) {
				_, ep := serve(t, e, addr, cfg)
				c := dial(t, ep)
				var pattern []byte
				for i := range 8 {
					pattern = append(pattern, service.ChargenLine(i)...)
				}
				buf := make([]byte, 1024)
				for range 5 {
					if _, err := c.Write([]byte("x")); err != nil {
						t.Fatal(err)
					}
					n, err := c.Read(buf)
					if err != nil || n > 512 || !bytes.HasPrefix(pattern, buf[:n]) {
						t.Fatalf("chargen datagram: %q, %v", buf[:n], err)
					}
				}
			})
		}
	})
}

func TestDaytimeService(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e Engine) {
		cfg := Config{Service: service.Daytime{}}
		check := func(t *testing.T, line []byte) {
			t.Helper()
			s, ok := strings.CutSuffix(string(line), "\r\n")
			if _, err := time.Parse(service.DaytimeLayout, s); !ok || err != nil {
				t.Fatalf("daytime sent %q: %v", line, err)
			}
		}
		for _, addr := range streamAddrs(t) {
			t.Run(addr, func(t *testing.T) {
				_, ep := serve(t, e, addr, cfg)
				got, err := io.ReadAll(dial(t, ep)) // the server closes after the line
				if err != nil {
					t.Fatal(err)
				}
				check(t, got)
			})
		}
		for _, addr := range datagramAddrs(t) {
			t.Run(addr, func(t *testing.T) {
				_, ep := serve(t, e, addr, cfg)
				c := dial(t, ep)
				if _, err := c.Write([]byte("time?")); err != nil {
					t.Fatal(err)
				}
				buf := make([]byte, 128)
				n, err := c.Read(buf)
				if err != nil {
					t.Fatal(err)
				}
				check(t, buf[:n])
			})
		}
	})
}
