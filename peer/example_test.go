package peer_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strings"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/peer"
)

// Join is sockit connect's rule: standard input goes to the peer, then the
// write side is shut down, and what the peer sends is printed until it
// closes. Here the peer is an echo server (a Server running cat).
func ExampleJoin() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	echo := &peer.Server{Program: []string{"cat"}}
	go echo.Serve(context.Background(), ln)

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	j := peer.Join{Input: strings.NewReader("hello, peer\n"), Output: os.Stdout}
	res, err := j.Run(context.Background(), c)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("sent %d, received %d: %v\n", res.Sent, res.Received, res.Ending)
	// Output:
	// hello, peer
	// sent 12, received 12: the input ended first, then the peer closed
}

// A Server with Keep and a Program is sockit listen -k --exec cat: every
// peer gets its own cat, several at once, until ctx ends.
func ExampleServer() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	srv := &peer.Server{Keep: true, Program: []string{"cat"}}
	served := make(chan error)
	go func() { served <- srv.Serve(ctx, ln) }()

	for _, msg := range []string{"one", "two"} {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			log.Fatal(err)
		}
		io.WriteString(c, msg)
		c.(*net.TCPConn).CloseWrite() // cat reads end-of-file, and exits
		reply, _ := io.ReadAll(c)
		c.Close()
		fmt.Println(string(reply))
	}
	stop()
	fmt.Println("serve:", <-served)
	// Output:
	// one
	// two
	// serve: <nil>
}

// A Relay is sockit relay: here a port forwarded to a program, as
// sockit relay -k tcp://127.0.0.1:0 exec:tr a-z A-Z. Report tells the
// address the listener was given.
func ExampleRelay() {
	a, _ := endpoint.Parse("tcp://127.0.0.1:0")
	b, _ := endpoint.Parse("exec:tr a-z A-Z")
	listening := make(chan net.Addr, 1)
	r := &peer.Relay{A: a, B: b, Keep: true, Report: func(e peer.RelayEvent) {
		if e.Kind == peer.Listening {
			listening <- e.Listener.Addr()
		}
	}}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()

	c, err := net.Dial("tcp", (<-listening).String())
	if err != nil {
		log.Fatal(err)
	}
	io.WriteString(c, "hello, relay\n")
	c.(*net.TCPConn).CloseWrite() // tr reads end-of-file, and exits
	reply, _ := io.ReadAll(c)
	c.Close()
	fmt.Print(string(reply))
	stop()
	fmt.Println("run:", <-done)
	// Output:
	// HELLO, RELAY
	// run: <nil>
}
