package relay_test

import (
	"context"
	"fmt"
	"io"
	"net"

	"github.com/sockit/sockit/relay"
)

// Join a client's connection to a server's: the server reads the request
// to its end, and its reply still reaches the client.
func ExampleJoin() {
	server, _ := net.Listen("tcp", "127.0.0.1:0")
	defer server.Close()
	go func() {
		c, _ := server.Accept()
		defer c.Close()
		req, _ := io.ReadAll(c) // to the end the relay carries across
		fmt.Fprintf(c, "got %q", req)
	}()

	front, _ := net.Listen("tcp", "127.0.0.1:0")
	defer front.Close()
	joined := make(chan string, 1)
	go func() {
		a, _ := front.Accept()
		b, _ := net.Dial("tcp", server.Addr().String())
		st, err := relay.Join(context.Background(), a.(relay.Conn), b.(relay.Conn))
		joined <- fmt.Sprintf("%d bytes a->b, %d bytes b->a, %s ended first, error %v", st.AToB, st.BToA, st.FirstEnd, err)
	}()

	client, _ := net.Dial("tcp", front.Addr().String())
	fmt.Fprint(client, "hello")
	client.(*net.TCPConn).CloseWrite()
	reply, _ := io.ReadAll(client)
	fmt.Println(string(reply))
	client.Close()
	fmt.Println(<-joined)
	// Output:
	// got "hello"
	// 5 bytes a->b, 11 bytes b->a, a ended first, error <nil>
}
