package host

import (
	"os"
	"testing"
)

func TestInspect(t *testing.T) {
	info, err := Inspect()
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	if info.Hostname != want {
		t.Errorf("Hostname = %q, want %q", info.Hostname, want)
	}
	var lo bool
	for _, i := range info.Interfaces {
		for _, a := range i.Addrs {
			lo = lo || a == "127.0.0.1/8"
		}
	}
	if !lo {
		t.Errorf("no interface has 127.0.0.1/8: %+v", info.Interfaces)
	}
	if r := info.EphemeralPorts; r.First < 1 || r.First > r.Last {
		t.Errorf("EphemeralPorts = %+v", r)
	}
	if info.Somaxconn < 1 || info.OpenFiles.Soft < 1 || info.OpenFiles.Soft > info.OpenFiles.Hard {
		t.Errorf("Somaxconn %d, OpenFiles %+v", info.Somaxconn, info.OpenFiles)
	}
	if os.Geteuid() == 0 && !info.Raw.OK {
		t.Errorf("running as root but Raw = %+v", info.Raw)
	}
	for name, c := range map[string]Check{"IPv6": info.IPv6, "Raw": info.Raw, "PingSocket": info.PingSocket} {
		if c.OK == (c.Reason != "") {
			t.Errorf("%s = %+v: a failed check needs a reason, a passed one none", name, c)
		}
	}
}

func TestParsePortRange(t *testing.T) {
	tests := []struct {
		in      string
		want    PortRange
		wantErr bool
	}{
		{"32768\t60999\n", PortRange{32768, 60999}, false},
		{"1024 1024", PortRange{1024, 1024}, false},
		{"", PortRange{}, true},
		{"1 2 3", PortRange{}, true},
		{"60999 32768", PortRange{}, true},
		{"1 65536", PortRange{}, true},
		{"-1 5", PortRange{}, true},
	}
	for _, tt := range tests {
		got, err := ParsePortRange(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParsePortRange(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func FuzzParsePortRange(f *testing.F) {
	f.Add("32768 60999")
	f.Add("1 2 3")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParsePortRange(s)
		if err == nil && (r.First > r.Last || r.Last > 65535) {
			t.Fatalf("ParsePortRange(%q) = %+v without error", s, r)
		}
	})
}
