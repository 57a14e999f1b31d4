package relay

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/sockit/sockit/internal/testnet"
)

// pair returns the two ends of one connection over network: the dialled
// end and the accepted one.
func pair(t *testing.T, network string) (dialled, accepted Conn) {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "unix" {
		addr = filepath.Join(testnet.SocketDir(t), "s.sock")
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			t.Error(err)
		}
		got <- c
	}()
	d, err := net.Dial(network, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	a := <-got
	if a == nil {
		t.FailNow()
	}
	t.Cleanup(func() { d.Close(); a.Close() })
	return d.(Conn), a.(Conn)
}

// joined sets up client <-> a [relay] b <-> server over the networks and
// runs Join; the returned channel gives its result.
func joined(t *testing.T, ctx context.Context, left, right string) (client, server Conn, result chan joinResult) {
	t.Helper()
	client, a := pair(t, left)
	b, server := pair(t, right)
	return client, server, joinAsync(ctx, a, b)
}

// joinAsync runs Join(ctx, a, b); the channel gives its result.
func joinAsync(ctx context.Context, a, b Conn) chan joinResult {
	result := make(chan joinResult, 1)
	go func() {
		st, err := Join(ctx, a, b)
		result <- joinResult{st, err}
	}()
	return result
}

type joinResult struct {
	st  Stats
	err error
}

func wait(t *testing.T, result chan joinResult) joinResult {
	t.Helper()
	select {
	case r := <-result:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("Join did not return")
	}
	return joinResult{}
}

// readAll reads c to end-of-file within a deadline.
func readAll(t *testing.T, c Conn) []byte {
	t.Helper()
	c.(net.Conn).SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return b
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

var transports = []struct{ left, right string }{
	{"tcp", "tcp"},
	{"unix", "unix"},
	{"tcp", "unix"},
	{"unix", "tcp"},
}

// TestJoinHalfClose sends a megabyte each way, one direction after the
// other: the client's end-of-file reaches the server as end-of-file, and
// the server's reply still comes back after it.
func TestJoinHalfClose(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.left+"-"+tr.right, func(t *testing.T) {
			client, server, result := joined(t, testnet.Context(t), tr.left, tr.right)
			request, reply := randomBytes(1<<20, 1), randomBytes(1<<20+7, 2)
			go func() {
				client.Write(request)
				client.CloseWrite()
			}()
			if got := readAll(t, server); !bytes.Equal(got, request) {
				t.Fatalf("the server read %d bytes, want the %d sent, byte for byte", len(got), len(request))
			}
			go func() { // the client reads while it is written: buffers hold less than a megabyte
				if _, err := server.Write(reply); err != nil {
					t.Errorf("reply after the client's end-of-file: %v", err)
				}
				server.Close()
			}()
			if got := readAll(t, client); !bytes.Equal(got, reply) {
				t.Fatalf("the client read %d bytes, want the %d replied, byte for byte", len(got), len(reply))
			}
			r := wait(t, result)
			if r.err != nil {
				t.Fatalf("Join: %v", r.err)
			}
			if want := (Stats{AToB: int64(len(request)), BToA: int64(len(reply)), FirstEnd: A}); r.st != want {
				t.Errorf("stats %+v, want %+v", r.st, want)
			}
		})
	}
}

// TestJoinReset: a server that resets its connection ends the join with
// an error, and the client's connection is closed.
func TestJoinReset(t *testing.T) {
	client, server, result := joined(t, testnet.Context(t), "tcp", "tcp")
	server.(*net.TCPConn).SetLinger(0)
	server.Close() // a reset, not an end-of-file
	r := wait(t, result)
	if r.err == nil {
		t.Fatalf("Join after a reset: no error (stats %+v)", r.st)
	}
	var de *DirectionError
	if !errors.As(r.err, &de) || de.From != B {
		t.Errorf("Join error %v, want a DirectionError from b", r.err)
	}
	client.(net.Conn).SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := client.Read(make([]byte, 1)); err == nil {
		t.Errorf("the client read %d bytes after the join ended, want its connection closed", n)
	}
}

// TestJoinCancel: ending ctx ends an idle join and closes both sides.
func TestJoinCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(testnet.Context(t))
	client, server, result := joined(t, ctx, "tcp", "unix")
	cancel()
	r := wait(t, result)
	if !errors.Is(r.err, context.Canceled) {
		t.Errorf("Join after cancel: %v, want context.Canceled", r.err)
	}
	for name, c := range map[string]Conn{"client": client, "server": server} {
		c.(net.Conn).SetReadDeadline(time.Now().Add(10 * time.Second))
		if n, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Errorf("the %s read %d bytes, %v; want end-of-file", name, n, err)
		}
	}
}

// TestJoinProgram joins a connection to a program: the client's end of
// input reaches the program as end-of-file, and what the program writes
// after that still reaches the client.
func TestJoinProgram(t *testing.T) {
	client, a := pair(t, "tcp")
	// The program reads everything, then answers with what it counted.
	prog, err := Start(testnet.Context(t), []string{"sh", "-c", `n=$(wc -c); echo "got $n bytes from $SOCKIT_TEST"`},
		[]string{"SOCKIT_TEST=the client"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	result := joinAsync(testnet.Context(t), a, prog)
	go func() {
		client.Write(randomBytes(100_000, 3))
		client.CloseWrite()
	}()
	if got := string(readAll(t, client)); got != "got 100000 bytes from the client\n" {
		t.Errorf("the client read %q", got)
	}
	r := wait(t, result)
	if r.err != nil || r.st.AToB != 100_000 || r.st.FirstEnd != A {
		t.Errorf("Join: %+v, %v", r.st, r.err)
	}
	if err := prog.Close(); err != nil {
		t.Errorf("the program ended with %v, want exit status 0", err)
	}
}

// TestJoinProgramGone: a client that resets ends the join, and the program
// is stopped rather than left running.
func TestJoinProgramGone(t *testing.T) {
	client, a := pair(t, "tcp")
	prog, err := Start(testnet.Context(t), []string{"sleep", "60"}, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	result := joinAsync(testnet.Context(t), a, prog)
	client.(*net.TCPConn).SetLinger(0)
	client.Close()
	if r := wait(t, result); r.err == nil {
		t.Errorf("Join after the client's reset: %+v, no error", r.st)
	}
	if err := prog.Close(); err == nil {
		t.Error("sleep 60 exited 0: it was not stopped")
	}
}
