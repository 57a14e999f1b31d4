package gateway_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sockit/sockit/gateway"
	"github.com/sockit/sockit/gateway/demo"
)

// A transcript line: who sent it and what.
type transcriptLine struct {
	fromPython bool
	text       string
	lineNo     int
}

// readTranscript parses a file of "c1 > line" (Python to gateway) and
// "c1 < line" (gateway to Python) lines, as `sockit gateway --trace`
// prints them; lines starting with # are comments.
func readTranscript(t *testing.T, path string) []transcriptLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []transcriptLine
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		conn, rest, ok := strings.Cut(l, " ")
		if !ok || conn != "c1" || len(rest) < 2 || (rest[:2] != "> " && rest[:2] != "< ") {
			t.Fatalf("%s:%d: want \"c1 > line\" or \"c1 < line\", got %q", path, n, l)
		}
		lines = append(lines, transcriptLine{fromPython: rest[0] == '>', text: rest[2:], lineNo: n})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// TestTranscripts replays sessions of the real Py4J client, recorded by
// testdata/capture.py, against a fresh gateway: it sends what Python sent
// and expects, byte for byte, what the gateway answered then (object ids
// included: they are handed out in order). ClientServer transcripts hold
// callbacks on the same connection, with a nested call while one waits.
func TestTranscripts(t *testing.T) {
	paths, err := filepath.Glob("testdata/transcripts/*.txt")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no transcripts in testdata/transcripts (%v)", err)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			mode := gateway.ModeGateway
			if strings.Contains(path, "clientserver") {
				mode = gateway.ModeClientServer
			}
			s := &gateway.Server{
				EntryPoint:   demo.EntryPoint{},
				Adapters:     demo.Adapters(),
				Mode:         mode,
				CallbackAddr: "127.0.0.1:1", // nothing to call back outside the connection
			}
			w := dial(t, serve(t, s))
			lines := readTranscript(t, path)
			var batch []string
			for i, l := range lines {
				if l.fromPython {
					batch = append(batch, l.text)
					if i+1 < len(lines) && lines[i+1].fromPython {
						continue
					}
					w.send(batch...)
					batch = batch[:0]
					continue
				}
				if got := w.line(); got != l.text {
					t.Fatalf("%s:%d: the gateway sent\n\t%q\nwant\n\t%q", path, l.lineNo, got, l.text)
				}
			}
			if last := lines[len(lines)-1]; last.fromPython && last.text == "s" {
				if !w.closed() {
					t.Errorf("the connection is open after the shutdown command")
				}
			}
		})
	}
}
