package peer_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/iotest"
	"time"

	"github.com/sockit/sockit/internal/testnet"
	"github.com/sockit/sockit/peer"
)

// syncBuffer is an Output a test may read while the join writes it.
type syncBuffer struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	note chan struct{} // signalled on each write
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{note: make(chan struct{}, 1)} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	select {
	case b.note <- struct{}{}:
	default:
	}
	return n, err
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits until the buffer holds want, within the test's context.
func (b *syncBuffer) waitFor(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	for !strings.Contains(b.String(), want) {
		select {
		case <-b.note:
		case <-ctx.Done():
			t.Fatalf("output %q never held %q", b.String(), want)
		}
	}
}

// pair returns both ends of a connection over network ("tcp", "unix").
func pair(t *testing.T, network string) (ours, theirs net.Conn) {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "unix" {
		addr = filepath.Join(testnet.SocketDir(t), "s")
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	ours, err = net.Dial(network, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	theirs = <-accepted
	if theirs == nil {
		t.Fatal("accept failed")
	}
	deadline := time.Now().Add(testnet.Timeout)
	theirs.SetDeadline(deadline)
	t.Cleanup(func() { ours.Close(); theirs.Close() })
	return ours, theirs
}

func closeWrite(t *testing.T, c net.Conn) {
	t.Helper()
	if err := peer.CloseWrite(c); err != nil {
		t.Fatal(err)
	}
}

// TestJoinRule runs each clause of the rule over TCP and Unix streams,
// with a peer the test plays by hand.
func TestJoinRule(t *testing.T) {
	type result struct {
		ending     peer.Ending
		sent, recv int64
		idled      bool
	}
	cases := []struct {
		name string
		join peer.Join
		// input, if not nil, is written into the join's input pipe by the
		// test (which then closes it) after the peer has played its part.
		input *string
		// play is the peer; it returns what it read.
		play func(t *testing.T, c net.Conn, out *syncBuffer, input *io.PipeWriter) string
		want result
		// or is another ending as right as want's: where the test cannot
		// know which of two events the join saw first.
		or   peer.Ending
		read string // what the peer must have read
		out  string // what the output must hold
	}{
		{
			name: "input ends first, then the peer closes",
			play: func(t *testing.T, c net.Conn, _ *syncBuffer, in *io.PipeWriter) string {
				io.WriteString(in, "hello")
				in.Close()
				got, _ := io.ReadAll(c) // ends at the join's shutdown
				io.WriteString(c, "bye")
				c.Close()
				return string(got)
			},
			want: result{ending: peer.InputFirst, sent: 5, recv: 3},
			read: "hello", out: "bye",
		},
		{
			name: "the peer ends first and still gets the rest of the input",
			play: func(t *testing.T, c net.Conn, out *syncBuffer, in *io.PipeWriter) string {
				io.WriteString(c, "bye")
				closeWrite(t, c)
				out.waitFor(t, testnet.Context(t), "bye")
				io.WriteString(in, "still delivered")
				in.Close()
				got, _ := io.ReadAll(c)
				return string(got)
			},
			want: result{ending: peer.PeerFirst, sent: 15, recv: 3},
			// The peer's end-of-file is almost always read before the
			// input ends; which was first cannot be seen from outside,
			// and the bytes must be the same either way.
			or:   peer.InputFirst,
			read: "still delivered", out: "bye",
		},
		{
			name: "StopWithPeer ends with the peer, the input still open",
			join: peer.Join{StopWithPeer: true},
			play: func(t *testing.T, c net.Conn, _ *syncBuffer, _ *io.PipeWriter) string {
				io.WriteString(c, "bye")
				c.Close()
				return ""
			},
			want: result{ending: peer.PeerClosed, recv: 3},
			out:  "bye",
		},
		{
			name: "NoShutdown keeps the write side open",
			join: peer.Join{NoShutdown: true},
			play: func(t *testing.T, c net.Conn, _ *syncBuffer, in *io.PipeWriter) string {
				io.WriteString(in, "x")
				in.Close()
				buf := make([]byte, 8)
				n, err := io.ReadAtLeast(c, buf, 1)
				if err != nil {
					t.Errorf("read: %v", err)
				}
				// No end-of-file follows.
				c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
				if m, err := c.Read(buf[n:]); !errors.Is(err, syscall.EAGAIN) && !isTimeout(err) {
					t.Errorf("read after the input ended: %q, %v; want nothing", buf[n:n+m], err)
				}
				c.Close()
				return string(buf[:n])
			},
			want: result{ending: peer.InputFirst, sent: 1},
			read: "x",
		},
		{
			name: "QuitAfter stops waiting for a peer that never closes",
			join: peer.Join{QuitAfter: 50 * time.Millisecond},
			play: func(t *testing.T, c net.Conn, _ *syncBuffer, in *io.PipeWriter) string {
				io.WriteString(in, "x")
				in.Close()
				got, _ := io.ReadAll(c) // the join's shutdown, then its close
				return string(got)
			},
			want: result{ending: peer.QuitAfterInput, sent: 1},
			read: "x",
		},
		{
			name: "a negative QuitAfter ends when the input does",
			join: peer.Join{QuitAfter: -1},
			play: func(t *testing.T, c net.Conn, _ *syncBuffer, in *io.PipeWriter) string {
				in.Close()
				got, _ := io.ReadAll(c)
				return string(got)
			},
			want: result{ending: peer.QuitAfterInput},
		},
		{
			name: "an idle timeout closes the connection",
			join: peer.Join{Idle: 50 * time.Millisecond},
			play: func(t *testing.T, c net.Conn, _ *syncBuffer, _ *io.PipeWriter) string {
				got, _ := io.ReadAll(c) // ends when the join closes
				return string(got)
			},
			want: result{ending: peer.Closed, idled: true},
		},
	}
	for _, network := range []string{"tcp", "unix"} {
		for _, tc := range cases {
			t.Run(network+"/"+tc.name, func(t *testing.T) {
				ours, theirs := pair(t, network)
				pr, pw := io.Pipe()
				defer pw.Close()
				out := newSyncBuffer()
				j := tc.join
				j.Input, j.Output = pr, out
				played := make(chan string, 1)
				go func() { played <- tc.play(t, theirs, out, pw) }()
				res, err := j.Run(testnet.Context(t), ours)
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				pw.Close()
				read := <-played
				got := result{ending: res.Ending, sent: res.Sent, recv: res.Received, idled: res.Idled}
				if tc.or != 0 && got.ending == tc.or {
					got.ending = tc.want.ending
				}
				if got != tc.want {
					t.Errorf("result %+v, want %+v", got, tc.want)
				}
				if read != tc.read {
					t.Errorf("the peer read %q, want %q", read, tc.read)
				}
				if out.String() != tc.out {
					t.Errorf("output %q, want %q", out, tc.out)
				}
			})
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestJoinOneWay covers a nil Input (receive only) and a nil Output (what
// the peer sends is dropped).
func TestJoinOneWay(t *testing.T) {
	t.Run("receive only", func(t *testing.T) {
		ours, theirs := pair(t, "tcp")
		out := newSyncBuffer()
		go func() {
			io.WriteString(theirs, "data")
			theirs.Close()
		}()
		res, err := (&peer.Join{Output: out}).Run(testnet.Context(t), ours)
		if err != nil || res.Ending != peer.PeerClosed || out.String() != "data" {
			t.Fatalf("Run = %+v, %v; output %q", res, err, out)
		}
	})
	t.Run("send only", func(t *testing.T) {
		ours, theirs := pair(t, "tcp")
		got := make(chan string, 1)
		go func() {
			io.WriteString(theirs, "dropped")
			b, _ := io.ReadAll(theirs)
			theirs.Close()
			got <- string(b)
		}()
		res, err := (&peer.Join{Input: strings.NewReader("sent")}).Run(testnet.Context(t), ours)
		if err != nil || res.Ending != peer.InputFirst || res.Received != 7 {
			t.Fatalf("Run = %+v, %v", res, err)
		}
		if s := <-got; s != "sent" {
			t.Errorf("peer read %q", s)
		}
	})
}

// TestJoinCanceled: the end of ctx closes the connection and is no error.
func TestJoinCanceled(t *testing.T) {
	ours, theirs := pair(t, "tcp")
	ctx, cancel := context.WithCancel(testnet.Context(t))
	pr, pw := io.Pipe()
	defer pw.Close()
	out := newSyncBuffer()
	done := make(chan struct{})
	var res peer.Result
	var err error
	go func() {
		defer close(done)
		res, err = (&peer.Join{Input: pr, Output: out}).Run(ctx, ours)
	}()
	io.WriteString(theirs, "hi")
	out.waitFor(t, testnet.Context(t), "hi")
	cancel()
	<-done
	if err != nil || res.Ending != peer.Closed || res.Received != 2 {
		t.Fatalf("Run = %+v, %v", res, err)
	}
}

// TestJoinOutputGone: an output whose reader has gone (EPIPE) ends the
// join quietly.
func TestJoinOutputGone(t *testing.T) {
	ours, theirs := pair(t, "tcp")
	go io.WriteString(theirs, "to nobody")
	pr, pw := io.Pipe()
	defer pw.Close()
	res, err := (&peer.Join{Input: pr, Output: failingWriter{syscall.EPIPE}}).Run(testnet.Context(t), ours)
	if err != nil || res.Ending != peer.Closed {
		t.Fatalf("Run = %+v, %v; want Closed and no error", res, err)
	}
	// Any other write error is the join's error.
	ours, theirs = pair(t, "tcp")
	go io.WriteString(theirs, "to a full disk")
	_, err = (&peer.Join{Input: pr, Output: failingWriter{syscall.ENOSPC}}).Run(testnet.Context(t), ours)
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Run error %v, want ENOSPC", err)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

// udpEcho serves a UDP socket that answers each datagram with itself, or
// answers nothing when silent; it returns the socket's address.
func udpEcho(t *testing.T, silent bool) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if !silent {
				pc.WriteTo(buf[:n], from)
			}
		}
	}()
	return pc.LocalAddr().String()
}

// TestJoinDatagram: each line is one datagram, and the join ends when each
// has had a reply, or when Linger passes without one.
func TestJoinDatagram(t *testing.T) {
	for _, tc := range []struct {
		name    string
		silent  bool
		ending  peer.Ending
		replies int64
		out     string
	}{
		{"every datagram answered", false, peer.AllReplied, 3, "one\ntwo\nthree"},
		{"a silent peer", true, peer.LingerRanOut, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("udp", udpEcho(t, tc.silent))
			if err != nil {
				t.Fatal(err)
			}
			out := newSyncBuffer()
			j := peer.Join{Input: strings.NewReader("one\ntwo\nthree"), Output: out, Datagram: true, Linger: 100 * time.Millisecond}
			res, err := j.Run(testnet.Context(t), c)
			if err != nil {
				t.Fatal(err)
			}
			if res.Ending != tc.ending || res.Datagrams != 3 || res.Replies != tc.replies || res.Sent != 13 {
				t.Errorf("result %+v", res)
			}
			if out.String() != tc.out {
				t.Errorf("output %q, want %q", out, tc.out)
			}
		})
	}
}

// TestSendLinesTooLarge: a datagram over UDP's limit is an error that says
// the limit.
func TestSendLinesTooLarge(t *testing.T) {
	c, err := net.Dial("udp", udpEcho(t, true))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	line := strings.Repeat("x", 70000) + "\n"
	n, err := peer.SendLines(c, strings.NewReader(line), nil)
	if n != 0 || !errors.Is(err, syscall.EMSGSIZE) || !strings.Contains(err.Error(), "65,507 bytes") {
		t.Fatalf("SendLines = %d, %v", n, err)
	}
	if _, err := peer.ForEachLine(strings.NewReader(strings.Repeat("x", peer.MaxMessage+1)), func([]byte) error { return nil }); err == nil {
		t.Error("a line over MaxMessage was taken")
	}
}

func TestCRLF(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"a\n", "a\r\n"},
		{"a\nb\n", "a\r\nb\r\n"},
		{"a\r\nb\n", "a\r\nb\r\n"}, // already CRLF: left alone
		{"\n\n", "\r\n\r\n"},
		{"no newline", "no newline"},
		{"\r", "\r"},
	} {
		for _, chunk := range []int{1, 2, 3, 64} { // reads of every size, so a CR LF across two reads is seen
			got, err := io.ReadAll(peer.CRLF(iotest.OneByteReader(strings.NewReader(tt.in))))
			if chunk > 1 {
				got, err = io.ReadAll(peer.CRLF(&chunkReader{strings.NewReader(tt.in), chunk}))
			}
			if err != nil || string(got) != tt.want {
				t.Errorf("CRLF(%q) in reads of %d = %q, %v; want %q", tt.in, chunk, got, err, tt.want)
			}
		}
	}
}

// chunkReader reads at most n bytes at a time.
type chunkReader struct {
	r io.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }

// TestJoinSentWhileInputOpen: Result.Sent and Datagrams count what was
// written to the peer whatever ends the join (an idle timeout, a reset, an
// ICMP refusal) while Input is still open, so that the send is blocked
// reading it when Run returns.
func TestJoinSentWhileInputOpen(t *testing.T) {
	const idle = 200 * time.Millisecond
	// The peer's side of each case: it returns the join's connection and
	// a func that, once Run has returned, says what the join must have
	// counted (bytes and datagrams), from what the peer received.
	type peerFunc func(t *testing.T, in *io.PipeWriter) (ours net.Conn, counted func(res peer.Result) (bytes, datagrams int64))
	// stream reads what the join sends until it closes; reset, if set,
	// resets the connection once it has read n bytes instead.
	stream := func(network string, reset int) peerFunc {
		return func(t *testing.T, _ *io.PipeWriter) (net.Conn, func(peer.Result) (int64, int64)) {
			ours, theirs := pair(t, network)
			got := make(chan int64, 1)
			go func() {
				if reset == 0 {
					n, _ := io.Copy(io.Discard, theirs) // ends when the join closes
					got <- n
					return
				}
				n, _ := io.ReadFull(theirs, make([]byte, reset))
				theirs.(*net.TCPConn).SetLinger(0) // close with a RST
				theirs.Close()
				got <- int64(n)
			}()
			return ours, func(peer.Result) (int64, int64) { return <-got, 0 }
		}
	}
	// datagrams serves a UDP socket that counts what arrives. With
	// refuse, it closes once the first datagram is in, and the test then
	// sends a second one through the input, which the kernel refuses.
	datagrams := func(refuse string) peerFunc {
		return func(t *testing.T, in *io.PipeWriter) (net.Conn, func(peer.Result) (int64, int64)) {
			pc, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { pc.Close() })
			ours, err := net.Dial("udp", pc.LocalAddr().String())
			if err != nil {
				t.Fatal(err)
			}
			var got, count atomic.Int64
			arrived := make(chan struct{}, 1)
			go func() {
				buf := make([]byte, 64<<10)
				for {
					n, _, err := pc.ReadFrom(buf)
					if err != nil {
						return
					}
					got.Add(int64(n))
					count.Add(1)
					if refuse != "" {
						pc.Close() // the port is closed before the next datagram
						io.WriteString(in, refuse)
						return
					}
					select {
					case arrived <- struct{}{}:
					default:
					}
				}
			}()
			ctx := testnet.Context(t)
			return ours, func(res peer.Result) (int64, int64) {
				if refuse != "" {
					return got.Load() + int64(len(refuse)), count.Load() + 1
				}
				// A datagram counted as sent may still be on its way.
				for got.Load() < res.Sent {
					select {
					case <-arrived:
					case <-ctx.Done():
						return got.Load(), count.Load()
					}
				}
				return got.Load(), count.Load()
			}
		}
	}
	for _, tc := range []struct {
		name  string
		join  peer.Join
		input string // written into Input, which then stays open
		peer  peerFunc
		err   error // what Run fails with, if anything
		idled bool
	}{
		{"tcp idle timeout", peer.Join{Idle: idle}, "hi\n", stream("tcp", 0), nil, true},
		{"unix idle timeout", peer.Join{Idle: idle}, "hi\n", stream("unix", 0), nil, true},
		{"tcp reset", peer.Join{}, "hi\n", stream("tcp", 3), syscall.ECONNRESET, false},
		{"udp idle timeout", peer.Join{Datagram: true, Idle: idle}, "one\ntwo\n", datagrams(""), nil, true},
		{"udp refused", peer.Join{Datagram: true}, "one\n", datagrams("two\n"), syscall.ECONNREFUSED, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pr, pw := io.Pipe()
			t.Cleanup(func() { pw.Close() }) // the input ends only with the test
			ours, counted := tc.peer(t, pw)
			go io.WriteString(pw, tc.input)
			j := tc.join
			j.Input, j.Output = pr, newSyncBuffer()
			res, err := j.Run(testnet.Context(t), ours)
			if tc.err == nil && err != nil || tc.err != nil && !errors.Is(err, tc.err) {
				t.Fatalf("Run = %+v, %v; want error %v", res, err, tc.err)
			}
			if res.Ending != peer.Closed || res.Idled != tc.idled {
				t.Errorf("Run ended %v, idled %v; want %v, idled %v", res.Ending, res.Idled, peer.Closed, tc.idled)
			}
			sent, datagrams := counted(res)
			if res.Sent != sent {
				t.Errorf("Result.Sent = %d, want %d: what the peer was sent", res.Sent, sent)
			}
			if tc.join.Datagram && res.Datagrams != datagrams {
				t.Errorf("Result.Datagrams = %d, want %d", res.Datagrams, datagrams)
			}
			if sent == 0 {
				// The idle timeout fired before the send was scheduled:
				// right, but it tests nothing.
				t.Logf("nothing was sent before the join ended")
			}
		})
	}
}

// TestJoinSendsFile: a regular file as Input is sent whole and counted
// (it goes by the connection's own copy, sendfile(2) for TCP).
func TestJoinSendsFile(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
			name := filepath.Join(t.TempDir(), "input")
			if err := os.WriteFile(name, data, 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(name)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			ours, theirs := pair(t, network)
			got := make(chan []byte, 1)
			go func() {
				b, _ := io.ReadAll(theirs)
				theirs.Close()
				got <- b
			}()
			res, err := (&peer.Join{Input: f}).Run(testnet.Context(t), ours)
			if err != nil || res.Ending != peer.InputFirst || res.Sent != int64(len(data)) {
				t.Errorf("Run = %+v, %v; want InputFirst and %d bytes sent", res, err, len(data))
			}
			if b := <-got; !bytes.Equal(b, data) {
				t.Errorf("the peer read %d bytes, not the file's %d", len(b), len(data))
			}
		})
	}
}
