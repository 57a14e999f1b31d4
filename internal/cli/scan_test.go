package cli_test

import (
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
)

func TestScanCommand(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := free.Addr().(*net.TCPAddr).Port
	free.Close()
	list := fmt.Sprintf("%d,%d", port, closed)

	r := sockit(t, "", "scan", "-w", "2", "127.0.0.1", list) // seconds, as nc's -w
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("scan: exit %d, stderr %q", r.code, r.stderr)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^scan 127\.0\.0\.1 \(127\.0\.0\.1\): 2 ports, 100 at a time, 2s timeout$`),
		regexp.MustCompile(fmt.Sprintf(`(?m)^%d\s+open\s+\S+`, port)),
		regexp.MustCompile(`(?m)^1 closed, 0 filtered \(not listed; --all lists them\)$`),
		regexp.MustCompile(`(?m)^scanned 2 ports in \d+\.\d\ds$`),
	} {
		if !want.MatchString(r.stdout) {
			t.Errorf("scan output lacks %v:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, fmt.Sprintf("%d  closed", closed)) {
		t.Errorf("a closed port is listed without --all:\n%s", r.stdout)
	}

	r = sockit(t, "", "scan", "--json", "--all", "127.0.0.1", list)
	var rep struct {
		Address string         `json:"address"`
		Counts  map[string]int `json:"counts"`
		Ports   []struct {
			Port  int    `json:"port"`
			State string `json:"state"`
		} `json:"ports"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 {
		t.Fatalf("scan --json: exit %d, %v\n%s", r.code, err, r.stdout)
	}
	if rep.Address != "127.0.0.1" || rep.Counts["open"] != 1 || rep.Counts["closed"] != 1 || len(rep.Ports) != 2 {
		t.Errorf("scan --json: %+v", rep)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"127.0.0.1", "0"}, `"0" is not a port from 1 to 65535`},
		{[]string{"127.0.0.1", "90-80"}, "runs backwards"},
		{[]string{"-4", "-6", "localhost", "80"}, "-4 and -6 exclude each other"},
		{[]string{"-c", "0", "localhost", "80"}, "-c wants 1 or more"},
		{[]string{"-w", "0", "localhost", "80"}, "-w a positive time"},
		{[]string{"-w", "soon", "localhost", "80"}, `invalid argument "soon" for "-w, --timeout"`},
		{[]string{"localhost"}, "sockit scan wants 2 arguments, got 1"},
	} {
		r := sockit(t, "", append([]string{"scan"}, tc.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("scan %v: exit %d, stderr %q; want 2 and one line with %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}
