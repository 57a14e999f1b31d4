package relay

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStdioCloseEndsRead: Close ends a Read waiting on input that never
// comes, as a terminal's does not.
func TestStdioCloseEndsRead(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	c := Stdio(r, io.Discard)
	got := make(chan error, 1)
	go func() { _, err := c.Read(make([]byte, 8)); got <- err }()
	c.Close()
	if err := <-got; !errors.Is(err, net.ErrClosed) {
		t.Errorf("Read after Close = %v, want net.ErrClosed", err)
	}
	w.Write([]byte("late")) // lets the reading goroutine go
}

func TestStdioReadsInOrder(t *testing.T) {
	c := Stdio(strings.NewReader(strings.Repeat("x", 100_000)), io.Discard)
	b, err := io.ReadAll(c)
	if err != nil || len(b) != 100_000 {
		t.Errorf("read %d bytes, %v", len(b), err)
	}
}

// udpPair is a UDP socket and a DatagramConn connected to it, closed when
// the test ends.
func udpPair(t *testing.T) (net.PacketConn, Conn) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	uc, err := net.Dial("udp", pc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := DatagramConn(uc)
	t.Cleanup(func() { c.Close() })
	return pc, c
}

// TestDatagramConnCloseWrite: after CloseWrite a waiting Read ends with
// io.EOF, the end of this side's stream.
func TestDatagramConnCloseWrite(t *testing.T) {
	_, c := udpPair(t)
	got := make(chan error, 1)
	go func() { _, err := c.Read(make([]byte, 8)); got <- err }()
	c.CloseWrite()
	select {
	case err := <-got:
		if err != io.EOF {
			t.Errorf("Read after CloseWrite = %v, want io.EOF", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Read still waiting after CloseWrite")
	}
}

func TestOpenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	os.WriteFile(path, []byte("old\n"), 0o644)
	c, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("new\n")) // appended, and not read back
	b, err := io.ReadAll(c)
	if err != nil || string(b) != "old\n" {
		t.Errorf("read %q, %v; want the content at the start", b, err)
	}
	if err := c.Close(); err != nil {
		t.Error(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old\nnew\n" {
		t.Errorf("file holds %q", b)
	}
}

// TestLines: each line becomes a datagram of its own.
func TestLines(t *testing.T) {
	pc, dc := udpPair(t)
	c := Lines(dc)
	if n, err := c.Write([]byte("a\nbb\nrest")); n != 9 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	pc.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 16)
	for _, want := range []string{"a\n", "bb\n", "rest"} {
		n, _, err := pc.ReadFrom(buf)
		if err != nil || string(buf[:n]) != want {
			t.Fatalf("datagram %q, %v; want %q", buf[:n], err, want)
		}
	}
}
