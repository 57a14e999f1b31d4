package gateway_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/sockit/sockit/gateway"
)

// Greeter is an entry point: Python calls greeter.greet("Ada") and
// greeter.lengths(["a", "bc"]).
type Greeter struct{ Greeting string }

func (g *Greeter) Greet(name string) string { return g.Greeting + ", " + name }

func (g *Greeter) Lengths(words []string) map[string]int {
	m := make(map[string]int, len(words))
	for _, w := range words {
		m[w] = len(w)
	}
	return m
}

// A Go program serves its own entry point; Python reaches it with
// JavaGateway().entry_point. Here a raw protocol client stands in for
// Python and calls greet("Ada").
func ExampleServer() {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // gateway.DefaultAddr in real use
	if err != nil {
		panic(err)
	}
	srv := &gateway.Server{EntryPoint: &Greeter{Greeting: "Hello"}}
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())

	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		panic(err)
	}
	defer nc.Close()
	// What py4j sends for gateway.entry_point.greet("Ada"): call (c) on
	// the entry point (t) the method greet with the string (s) Ada.
	fmt.Fprint(nc, "c\nt\ngreet\nsAda\ne\n")
	reply, _ := bufio.NewReader(nc).ReadString('\n')
	fmt.Println(strings.TrimSpace(reply)) // !y: a value; s: a string
	// Output: !ysHello, Ada
}
