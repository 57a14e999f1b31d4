package service

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestDiscard(t *testing.T) {
	var svc Service = Discard{}
	if got := svc.NewStream().Input(nil, []byte("anything")); len(got) != 0 {
		t.Errorf("Input = %q, want nothing", got)
	}
	if reply, ok := svc.Datagram(nil, []byte("anything")); ok || len(reply) != 0 {
		t.Errorf("Datagram = %q, %v; want no reply", reply, ok)
	}
}

func TestChargenLines(t *testing.T) {
	first := string(ChargenLine(0))
	want := " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefg\r\n"
	if first != want {
		t.Fatalf("line 0 = %q, want %q", first, want)
	}
	if got := string(ChargenLine(94)); !strings.HasPrefix(got, "~ !\"") || len(got) != 74 {
		t.Errorf("line 94 = %q: want it to wrap from '~' to ' '", got)
	}
	if !bytes.Equal(ChargenLine(95), ChargenLine(0)) {
		t.Error("the pattern does not repeat after 95 lines")
	}
}

// TestChargenFill checks that successive Fill calls continue the pattern
// line after line, whatever the call boundaries.
func TestChargenFill(t *testing.T) {
	st := Chargen{}.NewStream()
	src, ok := st.(Source)
	if !ok {
		t.Fatal("chargen's stream is not a Source")
	}
	var all []byte
	for range 20 {
		out := src.Fill(nil)
		if len(out) < chargenFill {
			t.Fatalf("Fill gave %d bytes, want at least %d", len(out), chargenFill)
		}
		all = append(all, out...)
	}
	for i := 0; len(all) > 0; i++ {
		line := ChargenLine(i)
		if !bytes.HasPrefix(all, line) {
			t.Fatalf("line %d = %q, want %q", i, all[:min(len(all), 74)], line)
		}
		all = all[len(line):]
	}
}

func TestChargenDatagram(t *testing.T) {
	var pattern []byte
	for i := range 8 {
		pattern = append(pattern, ChargenLine(i)...)
	}
	for range 200 {
		reply, ok := Chargen{}.Datagram(nil, []byte("x"))
		if !ok || len(reply) > 512 || !bytes.HasPrefix(pattern, reply) {
			t.Fatalf("Datagram = %d bytes %q, %v; want 0-512 bytes of the pattern", len(reply), reply, ok)
		}
	}
}

func TestDaytime(t *testing.T) {
	at := time.Date(2026, 11, 22, 4, 42, 36, 0, time.UTC)
	svc := Daytime{Now: func() time.Time { return at }}
	const want = "Sunday, November 22, 2026 04:42:36-UTC\r\n"
	g, ok := svc.NewStream().(Greeter)
	if !ok {
		t.Fatal("daytime's stream is not a Greeter")
	}
	line, thenClose := g.Greeting(nil)
	if string(line) != want || !thenClose {
		t.Errorf("Greeting = %q, %v; want %q, true", line, thenClose, want)
	}
	if reply, ok := svc.Datagram(nil, []byte("what time?")); !ok || string(reply) != want {
		t.Errorf("Datagram = %q, %v", reply, ok)
	}
	if _, err := time.Parse(DaytimeLayout, strings.TrimSuffix(want, "\r\n")); err != nil {
		t.Errorf("the line does not parse with DaytimeLayout: %v", err)
	}
	if got, _ := (Daytime{}).NewStream().(Greeter).Greeting(nil); !bytes.HasSuffix(got, []byte("\r\n")) || len(got) < 20 {
		t.Errorf("real-clock greeting %q", got)
	}
}
