package cli

import (
	"testing"
	"time"
)

func TestNCAddress(t *testing.T) {
	tests := []struct {
		flags     ncFlags
		args      []string
		listening bool
		want      string // "" : a usage error
	}{
		{ncFlags{}, []string{"tcp://127.0.0.1:80"}, false, "tcp://127.0.0.1:80"},
		{ncFlags{}, []string{":80"}, true, ":80"},
		{ncFlags{}, []string{"8080"}, true, "tcp://:8080"},
		{ncFlags{}, []string{"8080"}, false, ""},
		{ncFlags{}, []string{"example.com", "80"}, false, "tcp://example.com:80"},
		{ncFlags{}, []string{"::1", "80"}, false, "tcp://[::1]:80"},
		{ncFlags{}, []string{"[::1]", "80"}, false, "tcp://[::1]:80"},
		{ncFlags{}, []string{"host", "http"}, false, ""},
		{ncFlags{udp: true}, []string{"127.0.0.1", "53"}, false, "udp://127.0.0.1:53"},
		{ncFlags{udp: true}, []string{":53"}, true, "udp://:53"},
		{ncFlags{udp: true, ipv6: true}, []string{"9"}, true, "udp6://:9"},
		{ncFlags{ipv4: true}, []string{"0.0.0.0", "7"}, true, "tcp4://0.0.0.0:7"},
		{ncFlags{unix: true}, []string{"/tmp/s.sock"}, false, "unix:/tmp/s.sock"},
		{ncFlags{unix: true, udp: true}, []string{"@name"}, true, "unixgram:@name"},
		{ncFlags{unix: true}, []string{"a", "b"}, false, ""},
		{ncFlags{udp: true}, []string{"tcp://127.0.0.1:1"}, false, ""},
		{ncFlags{numeric: true}, []string{"localhost", "80"}, false, ""},
		{ncFlags{numeric: true}, []string{"127.0.0.1", "80"}, false, "tcp://127.0.0.1:80"},
		{ncFlags{numeric: true}, []string{"tcp://localhost:80"}, false, ""},
		{ncFlags{numeric: true}, []string{"unix:@x"}, false, "unix:@x"},
	}
	for _, tt := range tests {
		got, err := tt.flags.address(tt.args, tt.listening)
		if tt.want == "" {
			if _, usage := err.(*usageError); !usage {
				t.Errorf("%+v.address(%q, %v) = %q, %v; want a usage error", tt.flags, tt.args, tt.listening, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%+v.address(%q, %v) = %q, %v; want %q", tt.flags, tt.args, tt.listening, got, err, tt.want)
		}
	}
}

// FuzzNCAddress: whatever the arguments, address gives an address the
// grammar reads, or a usage error; never a panic.
func FuzzNCAddress(f *testing.F) {
	f.Add("127.0.0.1", "80", uint8(0))
	f.Add("8080", "", uint8(1))
	f.Add("/tmp/x", "", uint8(4))
	f.Fuzz(func(t *testing.T, a, b string, bits uint8) {
		flags := ncFlags{udp: bits&2 != 0, unix: bits&4 != 0, ipv4: bits&8 != 0, ipv6: bits&16 != 0 && bits&8 == 0, numeric: bits&32 != 0}
		args := []string{a}
		if b != "" {
			args = append(args, b)
		}
		addr, err := flags.address(args, bits&1 != 0)
		if err != nil {
			if _, usage := err.(*usageError); !usage {
				t.Fatalf("address(%q) error %v is not a usage error", args, err)
			}
			return
		}
		if flags.set() || len(args) == 2 {
			if _, err := parseEndpoint(addr); err != nil {
				if _, usage := err.(*usageError); !usage {
					t.Fatalf("address(%q) = %q, which fails with %v", args, addr, err)
				}
			}
		}
	})
}

func TestSecondsFlag(t *testing.T) {
	for in, want := range map[string]time.Duration{"5": 5 * time.Second, "0.25": 250 * time.Millisecond, "250ms": 250 * time.Millisecond, "-1": -1, "1m": time.Minute} {
		var d time.Duration
		if err := (seconds{&d}).Set(in); err != nil || d != want {
			t.Errorf("Set(%q) = %v, %v; want %v", in, d, err, want)
		}
	}
	var d time.Duration
	if err := (seconds{&d}).Set("soon"); err == nil {
		t.Error(`Set("soon") succeeded`)
	}
}
