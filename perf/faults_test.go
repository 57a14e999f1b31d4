package perf_test

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sockit/sockit/internal/testnet"
	"github.com/sockit/sockit/perf"
)

// cookie is a well-formed cookie, as iperf3 makes them.
func cookie(c byte) []byte {
	return append([]byte(strings.Repeat(string(c), 36)), 0)
}

// rawDial connects to sv and sends b, for clients that misbehave.
func rawDial(t *testing.T, sv *serving, b []byte) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", sv.addr.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(testnet.Timeout))
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
	return c
}

func readByte(t *testing.T, c net.Conn) int8 {
	t.Helper()
	b := make([]byte, 1)
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("reading a state byte: %v", err)
	}
	return int8(b[0])
}

func sendJSON(t *testing.T, c net.Conn, doc string) {
	t.Helper()
	msg := binary.BigEndian.AppendUint32(nil, uint32(len(doc)))
	if _, err := c.Write(append(msg, doc...)); err != nil {
		t.Fatal(err)
	}
}

// works checks that the server still serves a well-behaved client.
func works(t *testing.T, sv *serving) {
	t.Helper()
	if _, err := (&perf.Client{Config: perf.Config{Bytes: 1 << 20}}).Run(testnet.Context(t), sv.target("tcp")); err != nil {
		t.Fatalf("a client after the faulty one: %v", err)
	}
	if e := sv.next(t, perf.TestEnded); e.Err != nil {
		t.Fatalf("its test: %v", e.Err)
	}
}

// TestFaultyClients: each client that speaks nonsense, lies or vanishes
// is turned away or its test ended with a reason, and the server goes on
// serving the next.
func TestFaultyClients(t *testing.T) {
	sv := serve(t, "tcp://127.0.0.1:0", &perf.Server{Handshake: 2 * time.Second})

	t.Run("garbage", func(t *testing.T) {
		c := rawDial(t, sv, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\nxxxxxxxxxxxx"))
		if st := readByte(t, c); st != -1 {
			t.Errorf("answer %d, want ACCESS_DENIED (-1)", st)
		}
		if e := sv.next(t, perf.TestRefused); !strings.Contains(e.Err.Error(), "no cookie") {
			t.Errorf("refused: %v", e.Err)
		}
		works(t, sv)
	})
	t.Run("silent", func(t *testing.T) {
		rawDial(t, sv, nil)
		works(t, sv) // a silent connection holds no one up
		if e := sv.next(t, perf.TestRefused); !errors.Is(e.Err, io.EOF) && !strings.Contains(e.Err.Error(), "timeout") {
			t.Errorf("refused: %v", e.Err)
		}
	})
	t.Run("absurd parameters", func(t *testing.T) {
		for _, tt := range []struct {
			params string
			code   uint32
		}{
			{`{"tcp":true,"parallel":100000,"len":131072,"time":1}`, 6},
			{`{"tcp":true,"parallel":1,"len":1000000000,"time":1}`, 7},
			{`{"udp":true,"parallel":1,"len":4,"time":1}`, 20},
			{`{"tcp":true,"parallel":1,"len":131072,"time":1,"MSS":-5}`, 10},
		} {
			c := rawDial(t, sv, cookie('a'))
			if st := readByte(t, c); st != 9 {
				t.Fatalf("answer %d, want PARAM_EXCHANGE (9)", st)
			}
			sendJSON(t, c, tt.params)
			if st := readByte(t, c); st != -2 {
				t.Fatalf("%s: answer %d, want SERVER_ERROR (-2)", tt.params, st)
			}
			codes := make([]byte, 8)
			if _, err := io.ReadFull(c, codes); err != nil || binary.BigEndian.Uint32(codes) != tt.code {
				t.Errorf("%s: error number %x, %v; want %d", tt.params, codes, err, tt.code)
			}
			sv.next(t, perf.TestRefused)
		}
		works(t, sv)
	})
	t.Run("a length that lies", func(t *testing.T) {
		c := rawDial(t, sv, cookie('b'))
		readByte(t, c)
		c.Write([]byte{0xff, 0xff, 0xff, 0xff, '{'})
		if e := sv.next(t, perf.TestRefused); !strings.Contains(e.Err.Error(), "malformed JSON") {
			t.Errorf("refused: %v", e.Err)
		}
		works(t, sv)
	})
	t.Run("streams that never come", func(t *testing.T) {
		c := rawDial(t, sv, cookie('c'))
		readByte(t, c)
		sendJSON(t, c, `{"tcp":true,"parallel":2,"len":131072,"time":1}`)
		if st := readByte(t, c); st != 10 {
			t.Fatalf("answer %d, want CREATE_STREAMS (10)", st)
		}
		rawDial(t, sv, cookie('c')) // one of the two
		if st := readByte(t, c); st != -2 {
			t.Fatalf("answer %d, want SERVER_ERROR (-2)", st)
		}
		if e := sv.next(t, perf.TestRefused); !strings.Contains(e.Err.Error(), "1 of 2 streams") {
			t.Errorf("refused: %v", e.Err)
		}
		works(t, sv)
	})
	t.Run("a client that vanishes", func(t *testing.T) {
		c := rawDial(t, sv, cookie('d'))
		readByte(t, c)
		sendJSON(t, c, `{"tcp":true,"parallel":1,"len":131072,"time":10}`)
		readByte(t, c)
		data := rawDial(t, sv, cookie('d'))
		if st, st2 := readByte(t, c), readByte(t, c); st != 1 || st2 != 2 {
			t.Fatalf("answers %d %d, want TEST_START, TEST_RUNNING", st, st2)
		}
		data.Write(make([]byte, 100_000))
		c.Close()
		e := sv.next(t, perf.TestEnded)
		if e.Err == nil || !strings.Contains(e.Err.Error(), "the client went") {
			t.Errorf("ended: %v", e.Err)
		}
		works(t, sv)
	})
	t.Run("a state byte out of place", func(t *testing.T) {
		c := rawDial(t, sv, cookie('e'))
		readByte(t, c)
		sendJSON(t, c, `{"tcp":true,"parallel":1,"len":131072,"time":10}`)
		readByte(t, c)
		rawDial(t, sv, cookie('e'))
		readByte(t, c)
		readByte(t, c)
		c.Write([]byte{13})
		if e := sv.next(t, perf.TestEnded); e.Err == nil || !strings.Contains(e.Err.Error(), "EXCHANGE_RESULTS during the test") {
			t.Errorf("ended: %v", e.Err)
		}
		works(t, sv)
	})
}

// TestClientRefused: a sockit client hears why a server refused its
// test, in words.
func TestClientRefused(t *testing.T) {
	sv := serve(t, "tcp://127.0.0.1:0", &perf.Server{})
	cl := &perf.Client{Config: perf.Config{Duration: time.Second, Congestion: "no-such-algorithm"}}
	_, err := cl.Run(testnet.Context(t), sv.target("tcp"))
	if err == nil || !strings.Contains(err.Error(), "no-such-algorithm") {
		t.Errorf("a congestion algorithm the kernel lacks: %v", err)
	}
	if _, err := (&perf.Client{Config: perf.Config{Streams: 100000}}).Run(testnet.Context(t), sv.target("tcp")); err == nil || !strings.Contains(err.Error(), "100000 parallel streams") {
		t.Errorf("-P 100000: %v", err)
	}
}
