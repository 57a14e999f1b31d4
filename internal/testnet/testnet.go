package testnet

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sockit/sockit/host"
)

// Timeout bounds every test's sockets: no test waits longer for a peer.
const Timeout = 30 * time.Second

// Context returns a context that ends after Timeout or with the test.
func Context(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	t.Cleanup(cancel)
	return ctx
}

// SocketDir returns a new temp directory, removed with the test, whose path
// is short enough for Unix socket names (t.TempDir's paths can exceed the
// 107 bytes sockaddr_un allows).
func SocketDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sk")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// HasIPv6 reports whether [::1] can be bound here.
func HasIPv6() bool { return host.IPv6().OK }

// SkipWithoutIPv6 skips the test when network is an IPv6 one ("tcp6",
// "udp6") and this host has no IPv6 loopback.
func SkipWithoutIPv6(t testing.TB, network string) {
	t.Helper()
	if strings.HasSuffix(network, "6") && !HasIPv6() {
		t.Skip("no IPv6 loopback on this host")
	}
}

// PeerProgram returns the path of a real peer program (nc, ncat,
// openssl, iperf3). The test is skipped where the program is missing,
// unless SOCKIT_REQUIRE_PEERS is set, as .ci/run sets it after installing
// them: there a missing peer fails. pkg is the Debian package that has it.
func PeerProgram(t testing.TB, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("SOCKIT_REQUIRE_PEERS") != "" {
			t.Fatalf("%s (Debian's %s) is required here: %v", name, pkg, err)
		}
		t.Skipf("needs %s (Debian's %s): %v", name, pkg, err)
	}
	return path
}

// FreePort is a TCP port on 127.0.0.1 that nothing listened on a moment
// ago, for a program whose port must be given before it starts.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// WaitListening returns once a TCP connect to addr succeeds, for a peer
// program that says nothing when it is ready (microsocks): it tries
// every 10 ms until then, bounded by the test's deadline.
func WaitListening(t testing.TB, addr string) {
	t.Helper()
	ctx := Context(t)
	for ctx.Err() == nil {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Millisecond): // between tries, not a synchronisation
		}
	}
	t.Fatalf("nothing listened on %s", addr)
}
