package perf_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/perf"
)

// A server and a client on loopback: 8 MiB each way over two streams.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l, err := perf.Listen(ctx, endpoint.MustParse("tcp://127.0.0.1:0"))
	if err != nil {
		log.Fatal(err)
	}
	srv := &perf.Server{}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()

	cl := &perf.Client{Config: perf.Config{Bytes: 8 << 20, Bidir: true, Interval: -1}}
	res, err := cl.Run(ctx, endpoint.Endpoint{Network: "tcp", Address: l.Addr().String()})
	if err != nil {
		log.Fatal(err)
	}
	for _, reverse := range res.Directions() {
		sent, received := res.Sum(reverse)
		fmt.Printf("server sends: %v, at least 8 MiB sent: %v, all of it received: %v\n", reverse, sent.Bytes >= 8<<20, received.Bytes == sent.Bytes)
	}
	cancel()
	<-done
	// Output:
	// server sends: false, at least 8 MiB sent: true, all of it received: true
	// server sends: true, at least 8 MiB sent: true, all of it received: true
}
