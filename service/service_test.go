package service

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestEcho(t *testing.T) {
	tests := []struct {
		name string
		dst  []byte
		p    []byte
		want []byte
	}{
		{"empty dst returns input", nil, []byte("hello"), []byte("hello")},
		{"appends to dst", []byte("ab"), []byte("cd"), []byte("abcd")},
		{"empty input", nil, []byte{}, []byte{}},
		{"binary", nil, []byte{0, 255, 10, 13}, []byte{0, 255, 10, 13}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var svc Service = Echo{}
			if got := svc.NewStream().Input(bytes.Clone(tt.dst), tt.p); !bytes.Equal(got, tt.want) {
				t.Errorf("Stream.Input = %q, want %q", got, tt.want)
			}
			got, ok := svc.Datagram(bytes.Clone(tt.dst), tt.p)
			if !ok || !bytes.Equal(got, tt.want) {
				t.Errorf("Datagram = %q, %v; want %q, true", got, ok, tt.want)
			}
		})
	}
}

func TestByName(t *testing.T) {
	s, err := ByName("echo")
	if err != nil || s.Name() != "echo" {
		t.Fatalf(`ByName("echo") = %v, %v`, s, err)
	}
	if _, err := ByName("qotd"); err == nil || !strings.Contains(err.Error(), `unknown service "qotd" (want echo, discard, chargen, daytime)`) {
		t.Fatalf(`ByName("qotd") error = %v, want unknown service naming the choices`, err)
	}
	if got := strings.Join(Names(), ","); got != "echo,discard,chargen,daytime" {
		t.Fatalf("Names() = %v", got)
	}
}

func ExampleEcho() {
	var svc Service = Echo{}
	conn := svc.NewStream()
	reply := conn.Input(nil, []byte("ping"))
	fmt.Println(string(reply))
	// Output: ping
}
