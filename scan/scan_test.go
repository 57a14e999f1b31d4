package scan

import (
	"context"
	"fmt"
	"net"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sockit/sockit/internal/testnet"
)

func TestParsePorts(t *testing.T) {
	tests := []struct {
		in   string
		want []int
	}{
		{"22", []int{22}},
		{"20-25,80,443", []int{20, 21, 22, 23, 24, 25, 80, 443}},
		{"443, 80 ,80,79-81", []int{79, 80, 81, 443}},
		{"65535", []int{65535}},
		{"1-3", []int{1, 2, 3}},
	}
	for _, tc := range tests {
		got, err := ParsePorts(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParsePorts(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	if got, err := ParsePorts("1-65535"); err != nil || len(got) != 65535 {
		t.Errorf("ParsePorts(1-65535): %d ports, %v", len(got), err)
	}
	for _, tc := range []struct{ in, why string }{
		{"", "empty"},
		{"0", `"0" is not a port from 1 to 65535`},
		{"65536", `"65536" is not a port`},
		{"http", `"http" is not a port`},
		{"80,", "a port is missing"},
		{"-80", "a port is missing"},
		{"25-20", "range 25-20 runs backwards"},
		{"+80", `"+80" is not a port`},
		{"1-2-3", `"2-3" is not a port`},
	} {
		_, err := ParsePorts(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("ParsePorts(%q) error %v, want one saying %q", tc.in, err, tc.why)
		}
	}
}

func FuzzParsePorts(f *testing.F) {
	for _, s := range []string{"22", "20-25,80,443", "1-65535", "0", "25-20", ",", " 7 , 8-9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ports, err := ParsePorts(s)
		if err != nil {
			return
		}
		if len(ports) == 0 || !slices.IsSorted(ports) || ports[0] < 1 || ports[len(ports)-1] > 65535 {
			t.Fatalf("ParsePorts(%q) = %v: want sorted ports from 1 to 65535", s, ports)
		}
		var parts []string
		for i, p := range ports {
			if i > 0 && p == ports[i-1] {
				t.Fatalf("ParsePorts(%q) repeats %d", s, p)
			}
			parts = append(parts, fmt.Sprint(p))
		}
		again, err := ParsePorts(strings.Join(parts, ","))
		if err != nil || !slices.Equal(again, ports) {
			t.Fatalf("the list of ParsePorts(%q) reads back as %v, %v", s, again, err)
		}
	})
}

// filteredPort listens on a loopback port with its accept queue full, so
// that the kernel drops further connection attempts unanswered: a port
// that looks filtered, without a firewall.
func filteredPort(t *testing.T) int {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := syscall.Getsockname(fd)
	port := sa.(*syscall.SockaddrInet4).Port
	// Fill the queue: one connection the listener never accepts.
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return port
}

func TestScan(t *testing.T) {
	var open []int
	for range 2 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		open = append(open, ln.Addr().(*net.TCPAddr).Port)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	filtered := filteredPort(t)

	ports := []int{open[0], open[1], closed, filtered}
	want := map[int]State{open[0]: Open, open[1]: Open, closed: Closed, filtered: Filtered}
	var progress []int
	results := Scan(testnet.Context(t), net.IPv4(127, 0, 0, 1), ports, Config{
		Concurrency: 1, Timeout: 300 * time.Millisecond,
		Progress: func(done int) { progress = append(progress, done) },
	})
	if len(results) != len(ports) {
		t.Fatalf("%d results for %d ports: %+v", len(results), len(ports), results)
	}
	for i, r := range results {
		if r.Port != ports[i] || r.State != want[r.Port] {
			t.Errorf("port %d: %+v, want %s", ports[i], r, want[ports[i]])
		}
	}
	if !slices.Equal(progress, []int{1, 2, 3, 4}) {
		t.Errorf("progress %v, want 1 to 4", progress)
	}
}

// TestScanStopped: a scan whose context ends returns the ports it finished,
// in order, and no guesses for the rest.
func TestScanStopped(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	filtered := filteredPort(t)
	ctx, cancel := context.WithCancel(testnet.Context(t))
	// The first port answers at once; the scan is stopped then, while the
	// next would wait the whole timeout.
	ports := []int{ln.Addr().(*net.TCPAddr).Port, filtered, filtered}
	results := Scan(ctx, net.IPv4(127, 0, 0, 1), ports, Config{Concurrency: 1, Timeout: 10 * time.Second,
		Progress: func(int) { cancel() }})
	cancel()
	for i, r := range results {
		if r.Port != ports[i] || r.State == "" {
			t.Errorf("result %d: %+v", i, r)
		}
	}
	if len(results) == len(ports) {
		t.Errorf("all %d ports scanned after the context ended: %+v", len(ports), results)
	}
}
