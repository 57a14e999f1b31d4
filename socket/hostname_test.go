package socket

import (
	"os"
	"strconv"
	"testing"
)

func TestGethostname(t *testing.T) {
	want, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	var rec recorder
	got, err := Gethostname(rec.trace)
	if err != nil || got != want {
		t.Fatalf("Gethostname = %q, %v; want %q (os.Hostname)", got, err, want)
	}
	c := rec.last(t)
	if c.Op != "gethostname" || c.FD != -1 || c.Ret != 0 || c.Err != nil || c.Args != strconv.Quote(want) {
		t.Errorf("traced %+v", c)
	}
	if s, want := c.String(), "gethostname() = 0 ("+strconv.Quote(want)+")"; s != want {
		t.Errorf("String() = %q, want %q", s, want)
	}
	if _, err := Gethostname(nil); err != nil {
		t.Errorf("untraced: %v", err)
	}
}
