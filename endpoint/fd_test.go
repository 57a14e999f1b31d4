package endpoint

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/sockit/sockit/internal/testnet"
	"github.com/sockit/sockit/socket"
)

func TestListenFD(t *testing.T) {
	dir := testnet.SocketDir(t)
	tests := []struct{ name, addr, domain string }{
		{"tcp4", "tcp4://127.0.0.1:0", "AF_INET"},
		{"tcp6", "tcp6://[::1]:0", "AF_INET6"},
		{"tcp any", "tcp://:0", "AF_INET6"},
		{"udp4", "udp4://127.0.0.1:0", "AF_INET"},
		{"unix", "unix:" + dir + "/fd.sock", "AF_UNIX"},
		{"unixpacket abstract", "unixpacket:@sockit-fd-" + filepath.Base(dir), "AF_UNIX"},
		{"unixgram", "unixgram:" + dir + "/fdg.sock", "AF_UNIX"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := MustParse(tt.addr)
			testnet.SkipWithoutIPv6(t, ep.Network)
			if tt.name == "tcp any" && !testnet.HasIPv6() {
				t.Skip("no IPv6")
			}
			var calls []string
			fd, err := ep.ListenFD(testnet.Context(t), func(c socket.Call) { calls = append(calls, c.Op) })
			if err != nil {
				t.Fatal(err)
			}
			defer fd.Close()
			defer ep.RemoveFile()
			if fd.Domain().String() != tt.domain || fd.Type() != ep.Type() {
				t.Errorf("socket %v %v, want %s %v", fd.Domain(), fd.Type(), tt.domain, ep.Type())
			}
			want := "bind"
			if ep.Type() != socket.Datagram {
				want = "listen"
			}
			if len(calls) == 0 || calls[0] != "socket" || calls[len(calls)-1] != want {
				t.Errorf("traced calls %v: want socket first and %s last", calls, want)
			}
			local, err := fd.LocalAddr()
			if err != nil {
				t.Fatal(err)
			}
			// A client of Go's net package reaches it.
			dial := FromAddr(ep.Network, local)
			if tt.name == "tcp any" {
				dial = Endpoint{Network: "tcp", Address: net.JoinHostPort("127.0.0.1", strconv.Itoa(local.(*net.TCPAddr).Port))}
			}
			c, err := dial.Dial(testnet.Context(t))
			if err != nil {
				t.Fatalf("dial %v: %v", dial, err)
			}
			c.Close()
		})
	}
}

func TestListenFDErrors(t *testing.T) {
	ctx := testnet.Context(t)
	busy, err := MustParse("tcp://127.0.0.1:0").Listen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, err = Endpoint{Network: "tcp", Address: busy.Addr().String()}.ListenFD(ctx, nil)
	if !errors.Is(err, syscall.EADDRINUSE) || err.Error() != "listen tcp "+busy.Addr().String()+": bind: address already in use" {
		t.Errorf("ListenFD on a busy port: %v", err)
	}
	if _, err := MustParse("-").ListenFD(ctx, nil); !errors.Is(err, ErrNotSocket) {
		t.Errorf("ListenFD(-): %v", err)
	}
	// A stale socket file is replaced, a live one is not.
	path := filepath.Join(testnet.SocketDir(t), "stale.sock")
	leaveStaleSocket(t, "unix", path)
	ep := Endpoint{Network: "unix", Address: path}
	fd, err := ep.ListenFD(ctx, nil)
	if err != nil {
		t.Fatalf("stale file not replaced: %v", err)
	}
	if _, err := ep.ListenFD(ctx, nil); !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("second ListenFD on a live socket: %v", err)
	}
	fd.Close()
	if err := ep.RemoveFile(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("RemoveFile left %s: %v", path, err)
	}
}

// TestListenFDBacklog proves the backlog option reaches listen(2).
func TestListenFDBacklog(t *testing.T) {
	ctx := testnet.Context(t)
	ep := Endpoint{Network: "unix", Address: filepath.Join(testnet.SocketDir(t), "b.sock"), Options: Options{Backlog: 2}}
	fd, err := ep.ListenFD(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	var n int
	var dialErr error
	for range 5 {
		c, err := Endpoint{Network: "unix", Address: ep.Address}.Dial(ctx)
		if err != nil {
			dialErr = err
			break
		}
		defer c.Close()
		n++
	}
	if n != 3 || !errors.Is(dialErr, syscall.EAGAIN) {
		t.Errorf("backlog 2: %d connections queued then %v; want 3 then EAGAIN", n, dialErr)
	}
}
