package socket_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"os"
	"sync"

	"github.com/sockit/sockit/socket"
)

// An echo exchange over TCP on loopback, with every system call traced to
// standard error the way strace prints it (the server's goroutine and the
// client's interleave, and the numbers vary):
//
//	socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0) = 3
//	setsockopt(3, SOL_SOCKET, SO_REUSEADDR, 1) = 0
//	bind(3, 127.0.0.1:0) = 0
//	listen(3, 128) = 0
//	getsockname(3) = 0 (127.0.0.1:40613)
//	socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0) = 4
//	connect(4, 127.0.0.1:40613) = 0
//	accept4(3, SOCK_NONBLOCK|SOCK_CLOEXEC) = 5 (peer 127.0.0.1:52630)
//	send(4, 5) = 5
//	recv(5, 1024) = 5
//	send(5, 5) = 5
//	recv(4, 1024) = 5
//	...
func Example() {
	ctx := context.Background()
	trace := func(c socket.Call) { fmt.Fprintln(os.Stderr, c) }

	// The server: socket, setsockopt, bind, listen.
	ln, err := socket.Socket(socket.INET, socket.Stream, 0, trace)
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	if err := ln.SetOption(socket.ReuseAddr, 1); err != nil {
		log.Fatal(err)
	}
	if err := ln.Bind(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
		log.Fatal(err)
	}
	if err := ln.Listen(128); err != nil {
		log.Fatal(err)
	}
	addr, err := ln.LocalAddr() // the port the kernel chose
	if err != nil {
		log.Fatal(err)
	}

	// It echoes one connection until the client shuts down its side.
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		c, _, err := ln.Accept(ctx)
		if err != nil {
			log.Print(err)
			return
		}
		defer c.Close()
		buf := make([]byte, 1024)
		for {
			n, err := c.Recv(ctx, buf)
			if err != nil { // io.EOF once the client shuts down
				return
			}
			if err := c.SendAll(ctx, buf[:n]); err != nil {
				log.Print(err)
				return
			}
		}
	})

	// The client: socket, connect, send, recv, shutdown, close.
	c, err := socket.Socket(socket.INET, socket.Stream, 0, trace)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := c.Connect(ctx, addr); err != nil {
		log.Fatal(err)
	}
	if err := c.SendAll(ctx, []byte("hello")); err != nil {
		log.Fatal(err)
	}
	buf := make([]byte, 1024)
	n, err := c.Recv(ctx, buf)
	if err != nil {
		log.Fatal(err)
	}
	if err := c.Shutdown(socket.ShutWrite); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", buf[:n])
	// Output: hello
}
