package proxy_test

import (
	"context"
	"fmt"
	"log"

	"github.com/sockit/sockit/proxy"
)

// A chain of two proxies: SOCKS5 with a password, then HTTP CONNECT
// reached through it.
func ExampleChain() {
	hops, err := proxy.ParseList("socks5h://alice:s3cret@127.0.0.1:1080", "http://127.0.0.1:8888")
	if err != nil {
		log.Fatal(err)
	}
	c := &proxy.Chain{Hops: hops}
	conn, err := c.DialContext(context.Background(), "tcp", "192.0.2.10:80")
	if err != nil {
		log.Fatal(err) // proxy 1 (socks5h://alice@127.0.0.1:1080): ...
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET / HTTP/1.0\r\n\r\n")
}
