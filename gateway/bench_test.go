package gateway_test

import (
	"testing"

	"github.com/sockit/sockit/gateway"
	"github.com/sockit/sockit/gateway/demo"
)

// BenchmarkCall is one Python thread calling addition(1, 2) in a loop, the
// figure docs/gateway.md compares with Py4J's Java gateway; here the client
// is Go, so the loop measures the gateway rather than Python.
func BenchmarkCall(b *testing.B) {
	addr := serve(b, &gateway.Server{EntryPoint: demo.EntryPoint{}})
	w := dial(b, addr)
	b.ReportAllocs()
	for b.Loop() {
		if got := w.call("c", "t", "addition", "i1", "i2"); got != "!yi3" {
			b.Fatalf("addition(1, 2) = %q", got)
		}
	}
}
