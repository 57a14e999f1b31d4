package bench

import (
	"bytes"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockit/sockit/endpoint"
)

// faultAt is the offset (in each connection's stream) or the datagram
// number (per peer) where a faulty server strikes.
const faultAt = 100

// mangle is one connection's faulty echo: it gets each byte with its
// offset and returns what to send back (appended to out), and whether to
// close the connection now.
type mangle func(off int64, b byte, out []byte) ([]byte, bool)

// streamFaults are servers that each break the echo in one way.
var streamFaults = map[string]func() mangle{
	"corrupt": func() mangle {
		return func(off int64, b byte, out []byte) ([]byte, bool) {
			if off == faultAt {
				b ^= 0x20
			}
			return append(out, b), false
		}
	},
	"drop": func() mangle {
		return func(off int64, b byte, out []byte) ([]byte, bool) {
			if off == faultAt {
				return out, false
			}
			return append(out, b), false
		}
	},
	"duplicate": func() mangle {
		return func(off int64, b byte, out []byte) ([]byte, bool) {
			if off == faultAt {
				out = append(out, b)
			}
			return append(out, b), false
		}
	},
	// reorder holds byte faultAt back and sends it after the next byte
	// that differs from it, so that the swap shows.
	"reorder": func() mangle {
		held, holding := byte(0), false
		return func(off int64, b byte, out []byte) ([]byte, bool) {
			switch {
			case off == faultAt:
				held, holding = b, true
				return out, false
			case holding && b != held:
				holding = false
				return append(out, b, held), false
			case holding:
				return append(out, b), false
			}
			return append(out, b), false
		}
	},
	"close": func() mangle {
		return func(off int64, b byte, out []byte) ([]byte, bool) {
			return append(out, b), off == faultAt
		}
	},
}

// faultyStreamServer serves a mangled echo on loopback TCP. reset makes
// it close with a reset (SO_LINGER 0) where mangle says close.
func faultyStreamServer(t *testing.T, newMangle func() mangle, reset bool) endpoint.Endpoint {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				m := newMangle()
				var off int64
				buf := make([]byte, 32<<10)
				var out []byte
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					out = out[:0]
					for _, b := range buf[:n] {
						var stop bool
						out, stop = m(off, b, out)
						off++
						if stop {
							c.Write(out)
							if reset {
								c.(*net.TCPConn).SetLinger(0)
							}
							return
						}
					}
					if _, err := c.Write(out); err != nil {
						return
					}
				}
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return endpoint.FromAddr("tcp", ln.Addr())
}

// TestFaultyStreamServers proves that a server that gets one byte wrong
// fails the run, in both stream modes, with the error that says how.
func TestFaultyStreamServers(t *testing.T) {
	tests := []struct {
		fault string
		reset bool
		mode  Mode
		kinds []string // any of these
	}{
		{"corrupt", false, Pingpong, []string{ErrMismatch}},
		{"corrupt", false, Stream, []string{ErrMismatch}},
		{"drop", false, Pingpong, []string{ErrMismatch}}, // the bytes after it arrive one place early
		{"drop", false, Stream, []string{ErrMismatch}},
		{"duplicate", false, Pingpong, []string{ErrExtra}},
		{"duplicate", false, Stream, []string{ErrMismatch, ErrExtra}},
		{"reorder", false, Pingpong, []string{ErrMismatch}},
		{"reorder", false, Stream, []string{ErrMismatch}},
		{"close", false, Pingpong, []string{ErrShort}},
		{"close", true, Pingpong, []string{ErrReset, ErrShort}},
	}
	for _, tc := range tests {
		name := tc.fault
		if tc.reset {
			name = "reset"
		}
		t.Run(name+"/"+string(tc.mode), func(t *testing.T) {
			target := faultyStreamServer(t, streamFaults[tc.fault], tc.reset)
			res := mustRun(t, Config{Target: target, Mode: tc.mode, Conns: 2, Size: 64, Messages: 400,
				Timeout: 300 * time.Millisecond})
			if !res.Failed() {
				t.Fatalf("the run passed: errors %v, %d messages", res.Errors, res.Messages)
			}
			if !slices.ContainsFunc(tc.kinds, func(k string) bool { return res.Errors[k] > 0 }) {
				t.Errorf("errors %v, want one of %v", res.Errors, tc.kinds)
			}
			if res.Failure == "" {
				t.Error("no failure described")
			}
			if res.MsgsPerSec != 0 || res.MBPerSec != 0 {
				t.Errorf("a failed run reports %v msgs/s, %v MB/s", res.MsgsPerSec, res.MBPerSec)
			}
			var table bytes.Buffer
			if err := WriteTable(&table, []*Result{res}); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(table.String(), "FAILED") || strings.Contains(table.String(), "msgs/s\n") {
				t.Errorf("table does not show the failure:\n%s", table.String())
			}
		})
	}
	t.Run("mismatch names the byte", func(t *testing.T) {
		target := faultyStreamServer(t, streamFaults["corrupt"], false)
		res := mustRun(t, Config{Target: target, Messages: 10})
		if !strings.Contains(res.Failure, "byte 100 of the echo") {
			t.Errorf("failure %q does not name byte 100", res.Failure)
		}
	})
}

// datagramFault is what a faulty datagram server does with each peer's
// datagram number faultAt/20 (the fifth).
type datagramFault func(d []byte, send func([]byte))

var datagramFaults = map[string]datagramFault{
	"corrupt":   func(d []byte, send func([]byte)) { d[20] ^= 1; send(d) },
	"truncate":  func(d []byte, send func([]byte)) { send(d[:len(d)-1]) },
	"drop":      func(d []byte, send func([]byte)) {},
	"duplicate": func(d []byte, send func([]byte)) { send(d); send(d) },
}

// faultyDatagramServer echoes UDP datagrams, applying fault to each
// peer's fifth; "reorder" holds the fifth back and sends it after the
// sixth.
func faultyDatagramServer(t *testing.T, fault string) endpoint.Endpoint {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		count := map[string]int{}
		held := map[string][]byte{}
		buf := make([]byte, 64<<10)
		for {
			n, from, err := pc.ReadFrom(buf)
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil {
				continue
			}
			d := append([]byte(nil), buf[:n]...)
			send := func(p []byte) { pc.WriteTo(p, from) }
			peer := from.String()
			count[peer]++
			switch k := count[peer]; {
			case k == 5 && fault == "reorder":
				held[peer] = d
			case k == 5:
				datagramFaults[fault](d, send)
			case k == 6 && held[peer] != nil:
				send(d)
				send(held[peer])
			default:
				send(d)
			}
		}
	}()
	t.Cleanup(func() {
		pc.Close()
		<-done
	})
	return endpoint.FromAddr("udp", pc.LocalAddr())
}

// TestFaultyDatagramServers: a wrong or short datagram fails the run; a
// lost, duplicated or reordered one is counted as such.
func TestFaultyDatagramServers(t *testing.T) {
	tests := []struct {
		fault  string
		failed bool
		kind   string // the error kind, for a failed run
		want   Datagrams
	}{
		{"corrupt", true, ErrMismatch, Datagrams{}},
		{"truncate", true, ErrTruncated, Datagrams{}},
		{"drop", false, "", Datagrams{Sent: 20, Received: 19, Lost: 1}},
		{"duplicate", false, "", Datagrams{Sent: 20, Received: 20, Duplicates: 1}},
		{"reorder", false, "", Datagrams{Sent: 20, Received: 20, Reordered: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.fault, func(t *testing.T) {
			target := faultyDatagramServer(t, tc.fault)
			res := mustRun(t, Config{Target: target, Conns: 1, Size: 64, Pipeline: 4, Messages: 20,
				Timeout: 300 * time.Millisecond})
			if res.Failed() != tc.failed {
				t.Fatalf("failed = %v, want %v: errors %v, %s", res.Failed(), tc.failed, res.Errors, res.Failure)
			}
			if tc.failed {
				if res.Errors[tc.kind] == 0 {
					t.Errorf("errors %v, want %s", res.Errors, tc.kind)
				}
				return
			}
			if *res.Datagrams != tc.want {
				t.Errorf("datagrams %+v, want %+v", *res.Datagrams, tc.want)
			}
		})
	}
}

// TestStalledEchoTimesOut: a server that swallows the last byte of a
// message leaves the client waiting; the wait ends at Timeout as an error.
func TestStalledEchoTimesOut(t *testing.T) {
	last := func() mangle {
		return func(off int64, b byte, out []byte) ([]byte, bool) {
			if off == 127 { // the last byte of the second 64-byte message
				return out, false
			}
			return append(out, b), false
		}
	}
	target := faultyStreamServer(t, last, false)
	res := mustRun(t, Config{Target: target, Messages: 10, Timeout: 200 * time.Millisecond})
	if !res.Failed() || res.Errors[ErrTimeout] != 1 {
		t.Fatalf("errors %v, want one timeout", res.Errors)
	}
	if !strings.Contains(res.Failure, "127 of 128 bytes") {
		t.Errorf("failure %q does not say how far the echo got", res.Failure)
	}
}

// closedTarget returns an address on loopback where nothing listens: a
// port the kernel just gave out and got back.
func closedTarget(t *testing.T, network string) endpoint.Endpoint {
	t.Helper()
	var c interface {
		Close() error
	}
	var addr net.Addr
	switch network {
	case "udp":
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		c, addr = pc, pc.LocalAddr()
	default:
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		c, addr = ln, ln.Addr()
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	return endpoint.FromAddr(network, addr)
}

// TestRefusedTarget: a port where nothing listens refuses the connection
// (or, for UDP, answers with an ICMP port unreachable, which the connected
// socket reads as ECONNREFUSED). The run fails as refused, saying so, not
// as an echo that came back wrong.
func TestRefusedTarget(t *testing.T) {
	tests := []struct {
		name    string
		network string
		cfg     Config
	}{
		{"datagram", "udp", Config{Mode: Datagram, Messages: 5}},
		{"connect/count", "tcp", Config{Mode: Connect, Messages: 3}},
		{"connect/duration", "tcp", Config{Mode: Connect, Duration: 50 * time.Millisecond}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Target = closedTarget(t, tc.network)
			res := mustRun(t, cfg)
			if !res.Failed() || !res.Refused() || res.Messages != 0 {
				t.Errorf("failed %v, refused %v, %d messages; want a failed, refused run with none", res.Failed(), res.Refused(), res.Messages)
			}
			if res.Errors[ErrRefused] == 0 || len(res.Errors) != 1 {
				t.Errorf("errors %v, want only %s", res.Errors, ErrRefused)
			}
			if want := cfg.Target.String() + " refused: nothing listens there"; !strings.Contains(res.Failure, want) {
				t.Errorf("failure %q, want it to say %q", res.Failure, want)
			}
		})
	}
}
