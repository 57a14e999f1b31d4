package engine_test

import (
	"context"
	"fmt"
	"io"
	"log"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/engine"
)

// Serve echo on an ephemeral port with the threaded engine and talk to it.
func ExampleThreaded() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := engine.Threaded{}.Bind(ctx, endpoint.MustParse("tcp://127.0.0.1:0"), engine.Config{})
	if err != nil {
		log.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()

	c, err := endpoint.Endpoint{Network: "tcp", Address: srv.Addr().String()}.Dial(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprint(c, "hello")
	c.(interface{ CloseWrite() error }).CloseWrite()
	reply, _ := io.ReadAll(c)
	c.Close()
	fmt.Println(string(reply))

	srv.Shutdown(ctx)
	fmt.Println(<-done)
	// Output:
	// hello
	// sockit: server closed
}
