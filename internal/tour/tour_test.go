package tour

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sockit/sockit/engine"
	"github.com/sockit/sockit/internal/testnet"
)

func TestRun(t *testing.T) {
	rows, err := Run(testnet.Context(t), engine.Threaded{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(Cases()) {
		t.Fatalf("%d rows for %d cases", len(rows), len(Cases()))
	}
	for _, r := range rows {
		if r.Skipped != "" {
			if testnet.HasIPv6() || !strings.HasSuffix(r.Name, "6") {
				t.Errorf("%s skipped: %s", r.Name, r.Skipped)
			}
			continue
		}
		if !r.Verified || r.Err != "" || r.Bytes == 0 || r.Server == "" || r.Client == "" || r.RTT <= 0 {
			t.Errorf("row %+v: want a verified round trip with addresses, bytes and RTT", r)
		}
	}
}

func TestTrace(t *testing.T) {
	var out bytes.Buffer
	if err := Trace(testnet.Context(t), &out); err != nil {
		t.Fatalf("Trace: %v\n%s", err, out.String())
	}
	// Every step of both lifecycles, in order.
	steps := []string{
		"gethostname()",
		"server socket(AF_INET, SOCK_STREAM", "server setsockopt(", "server bind(", "server listen(",
		"client socket(AF_INET, SOCK_STREAM", "client connect(", "server accept4(",
		"client send(", "server recv(", "server send(", "client recv(",
		"client shutdown(", "server recv(", "server close(", "client close(", "server close(",
		"server socket(AF_INET, SOCK_DGRAM", "server bind(", "client socket(AF_INET, SOCK_DGRAM",
		"client sendto(", "server recvfrom(", "server sendto(", "client recvfrom(",
	}
	rest := out.String()
	for _, s := range steps {
		i := strings.Index(rest, s)
		if i < 0 {
			t.Fatalf("trace lacks %q after the steps before it:\n%s", s, out.String())
		}
		rest = rest[i+len(s):]
	}
}
