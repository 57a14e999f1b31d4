package endpoint_test

import (
	"context"
	"fmt"
	"io"
	"log"

	"github.com/sockit/sockit/endpoint"
)

func ExampleParse() {
	for _, s := range []string{
		":7777",
		"tcp6://[::1]:7?backlog=16",
		"unix:/run/echo.sock",
		"unixgram:@name?rcvbuf=256k",
	} {
		ep, err := endpoint.Parse(s)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%-12s %-14s %s\n", ep.Network, ep.Address, ep)
	}
	_, err := endpoint.Parse("tcp//x:1")
	fmt.Println(err)
	// Output:
	// tcp          :7777          tcp://:7777
	// tcp6         [::1]:7        tcp6://[::1]:7?backlog=16
	// unix         /run/echo.sock unix:///run/echo.sock
	// unixgram     @name          unixgram:@name?rcvbuf=262144
	// bad address "tcp//x:1": missing "://" after scheme
}

// Listen on an ephemeral port, dial it, and print the client's 5-tuple.
func ExampleEndpoint_Dial() {
	ctx := context.Background()
	ln, err := endpoint.MustParse("tcp://127.0.0.1:0").Listen(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			io.Copy(c, c)
			c.Close()
		}
	}()
	c, err := endpoint.Endpoint{Network: "tcp", Address: ln.Addr().String()}.Dial(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Println(endpoint.TupleOf(c)) // e.g. tcp 127.0.0.1:41234 -> 127.0.0.1:36001
}
