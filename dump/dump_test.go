package dump

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func fixed(w io.Writer, f Format) *Dumper {
	d := New(w, f)
	d.now = func() time.Time { return time.Date(2026, 11, 22, 9, 37, 22, 123456000, time.UTC) }
	return d
}

func TestRecord(t *testing.T) {
	tests := []struct {
		name   string
		format Format
		id     string
		dir    Direction
		offset int64
		p      string
		want   string
	}{
		{"hex, two lines", Hex, "", Sent, 0, "hello, world\n\x00\x01\xffmore",
			"> 09:37:22.123456 sent 20 bytes at offset 0\n" +
				"  00000000  68 65 6c 6c 6f 2c 20 77  6f 72 6c 64 0a 00 01 ff  |hello, world....|\n" +
				"  00000010  6d 6f 72 65                                       |more|\n"},
		{"hex at an offset, with an id", Hex, "#3", Received, 4096, "ab",
			"#3 < 09:37:22.123456 received 2 bytes at offset 4096\n" +
				"  00001000  61 62                                             |ab|\n"},
		{"text", Text, "", Received, 7, "GET / HTTP/1.1\r\nHost: x\n\x00\\",
			"< 09:37:22.123456 received 26 bytes at offset 7\n" +
				"  GET / HTTP/1.1\\r\\n\n  Host: x\\n\n  \\x00\\\\\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			fixed(&b, tt.format).Record(tt.id, tt.dir, tt.offset, []byte(tt.p))
			if b.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tt.want)
			}
		})
	}
}

// TestConn dumps both directions of a real connection, with stream
// offsets that go on from chunk to chunk.
func TestConn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	dc := fixed(&b, Text).Conn(c, "#1")
	defer dc.Close()
	dc.SetDeadline(time.Now().Add(10 * time.Second))
	dc.Write([]byte("one\n"))
	dc.Write([]byte("two\n"))
	peer.Write([]byte("back"))
	peer.(*net.TCPConn).CloseWrite()
	if got, err := io.ReadAll(dc); err != nil || string(got) != "back" {
		t.Fatalf("read %q, %v", got, err)
	}
	if err := dc.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	want := "#1 > 09:37:22.123456 sent 4 bytes at offset 0\n  one\\n\n" +
		"#1 > 09:37:22.123456 sent 4 bytes at offset 4\n  two\\n\n" +
		"#1 < 09:37:22.123456 received 4 bytes at offset 0\n  back\n"
	if b.String() != want {
		t.Errorf("dump\n%s\nwant\n%s", b.String(), want)
	}
}
