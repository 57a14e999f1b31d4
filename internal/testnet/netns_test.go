package testnet

import (
	"bufio"
	"context"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestRoutedTCP proves the routed network routes: a TCP connection from
// client to server across A and B, over IPv4 and IPv6, then none while
// the A-B link is down, then one through C.
func TestRoutedTCP(t *testing.T) {
	r := NewRouted(t)
	for _, server := range []string{ServerIP, ServerIP6} {
		t.Run(server, func(t *testing.T) {
			var ln net.Listener
			if err := r.Server.Do(func() (err error) {
				ln, err = net.Listen("tcp", net.JoinHostPort(server, "0"))
				return err
			}); err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					line, _ := bufio.NewReader(c).ReadString('\n')
					c.Write([]byte("echo " + line))
					c.Close()
				}
			}()
			exchange := func(timeout time.Duration) error {
				return r.Client.Do(func() error {
					c, err := net.DialTimeout("tcp", ln.Addr().String(), timeout)
					if err != nil {
						return err
					}
					defer c.Close()
					c.SetDeadline(time.Now().Add(10 * time.Second))
					c.Write([]byte("hi\n"))
					got, err := bufio.NewReader(c).ReadString('\n')
					if err == nil && got != "echo hi\n" {
						t.Errorf("got %q", got)
					}
					return err
				})
			}
			if err := exchange(10 * time.Second); err != nil {
				t.Fatalf("through A and B: %v", err)
			}
			r.AB.Down(t)
			if err := exchange(500 * time.Millisecond); err == nil {
				t.Fatal("dialled with the A-B link down")
			}
			r.ViaC(t)
			if err := exchange(10 * time.Second); err != nil {
				t.Fatalf("through C: %v", err)
			}
			r.AB.Up(t)
			r.ViaB(t)
			if err := exchange(10 * time.Second); err != nil {
				t.Fatalf("through A and B again: %v", err)
			}
		})
	}
}

// TestNetCleanup checks that a test's namespaces are gone after it.
func TestNetCleanup(t *testing.T) {
	var names []string
	t.Run("build", func(t *testing.T) {
		n := New(t)
		a, b := n.Host("x"), n.Host("y")
		n.Link(a, []string{"192.0.2.1/24"}, b, []string{"192.0.2.2/24"})
		if out := b.Run(t, "ip", "-o", "addr", "show"); !strings.Contains(out, "192.0.2.2/24") {
			t.Errorf("addresses in %s: %s", b.Name(), out)
		}
		names = []string{a.Name(), b.Name()}
	})
	if len(names) == 0 {
		t.Skip("no namespaces were made")
	}
	out, err := exec.CommandContext(context.Background(), "ip", "netns", "list").CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if strings.Contains(string(out), name) {
			t.Errorf("namespace %s is still there: %s", name, out)
		}
	}
}

// TestDoStaysPut checks that Do runs in the namespace and leaves the
// calling goroutine's thread where it was.
func TestDoStaysPut(t *testing.T) {
	n := New(t)
	h := n.Host("h")
	var inside []net.Interface
	if err := h.Do(func() (err error) {
		inside, err = net.Interfaces()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(inside) != 1 || inside[0].Name != "lo" {
		t.Errorf("interfaces inside a new namespace: %v, want lo only", inside)
	}
}
