package engine

import (
	"io"
	"net"
	"testing"
)

// BenchmarkPingPong64 measures 64-byte request/response round trips on one
// TCP connection: each iteration sends 64 bytes and reads them back.
func BenchmarkPingPong64(b *testing.B) {
	for _, name := range Names() {
		e, _ := ByName(name)
		b.Run(name, func(b *testing.B) {
			c := benchConn(b, e, "tcp://127.0.0.1:0")
			msg := make([]byte, 64)
			buf := make([]byte, 64)
			b.SetBytes(64)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Write(msg); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStream16K measures echo throughput with 16 KiB writes: the
// client writes while a reader drains the echo.
func BenchmarkStream16K(b *testing.B) {
	for _, name := range Names() {
		e, _ := ByName(name)
		b.Run(name, func(b *testing.B) {
			c := benchConn(b, e, "tcp://127.0.0.1:0")
			msg := make([]byte, 16<<10)
			drained := make(chan error, 1)
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			go func() {
				_, err := io.Copy(io.Discard, c)
				drained <- err
			}()
			for b.Loop() {
				if _, err := c.Write(msg); err != nil {
					b.Fatal(err)
				}
			}
			c.(*net.TCPConn).CloseWrite()
			if err := <-drained; err != nil {
				b.Fatal(err)
			}
		})
	}
}

func benchConn(b *testing.B, e Engine, addr string) net.Conn {
	b.Helper()
	_, ep := serve(b, e, addr, Config{})
	c, err := ep.Dial(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}
