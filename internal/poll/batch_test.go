package poll

import (
	"bytes"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// batchSocket binds a non-blocking datagram socket of the domain and
// returns it and its address.
func batchSocket(t *testing.T, domain int, sa unix.Sockaddr) int {
	t.Helper()
	fd, err := unix.Socket(domain, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, sa); err != nil {
		t.Fatal(err)
	}
	return fd
}

// waitReadable waits (bounded) until fd has something to read.
func waitReadable(t *testing.T, fd int) {
	t.Helper()
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	if n, err := unix.Poll(fds, 10_000); n != 1 || err != nil {
		t.Fatalf("poll: %d, %v", n, err)
	}
}

func TestBatchUDP(t *testing.T) {
	fd := batchSocket(t, unix.AF_INET, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
	sa, _ := unix.Getsockname(fd)
	port := sa.(*unix.SockaddrInet4).Port
	client, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	client.SetDeadline(time.Now().Add(10 * time.Second))
	const sent = 10
	for i := range sent {
		if _, err := fmt.Fprintf(client, "datagram %d", i); err != nil {
			t.Fatal(err)
		}
	}
	b := NewBatch(32, 2048)
	var got int
	for got < sent {
		waitReadable(t, fd)
		n, err := b.Recv(fd)
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			data, truncated, name := b.Msg(i)
			if want := fmt.Sprintf("datagram %d", got+i); string(data) != want || truncated || !Named(name) {
				t.Fatalf("message %d: %q truncated %v named %v; want %q", got+i, data, truncated, Named(name), want)
			}
			if from := b.PeerOf(i).Addr("udp").String(); from != client.LocalAddr().String() {
				t.Fatalf("sender %s, want %s", from, client.LocalAddr())
			}
			b.Reply(i, data)
		}
		if s, err := b.Flush(fd); s != n || err != nil {
			t.Fatalf("Flush sent %d of %d: %v", s, n, err)
		}
		got += n
	}
	buf := make([]byte, 64)
	for i := range sent {
		n, err := client.Read(buf)
		if want := fmt.Sprintf("datagram %d", i); err != nil || string(buf[:n]) != want {
			t.Fatalf("reply %d: %q, %v; want %q", i, buf[:n], err, want)
		}
	}
}

func TestBatchTruncationAndUnnamed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g")
	fd := batchSocket(t, unix.AF_UNIX, &unix.SockaddrUnix{Name: path})
	unnamed, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer unnamed.Close()
	if _, err := unnamed.Write(bytes.Repeat([]byte("x"), 100)); err != nil {
		t.Fatal(err)
	}
	waitReadable(t, fd)
	b := NewBatch(4, 10)
	n, err := b.Recv(fd)
	if err != nil || n != 1 {
		t.Fatalf("Recv: %d, %v", n, err)
	}
	data, truncated, name := b.Msg(0)
	if len(data) != 10 || !truncated || Named(name) || b.PeerOf(0).Named() {
		t.Fatalf("got %d bytes, truncated %v, named %v/%v; want 10, true, false", len(data), truncated, Named(name), b.PeerOf(0).Named())
	}
	if _, err := b.Recv(fd); err != unix.EAGAIN {
		t.Fatalf("Recv with nothing queued: %v, want EAGAIN", err)
	}
}
