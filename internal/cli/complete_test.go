package cli_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/engine"
	"github.com/sockit/sockit/internal/cli"
	"github.com/sockit/sockit/service"
)

// complete runs the completion the shell scripts ask for, "sockit
// __complete ARGS...", and returns the candidates (without their
// descriptions) and the directive.
func complete(t *testing.T, args ...string) ([]string, cobra.ShellCompDirective) {
	t.Helper()
	var out, errb bytes.Buffer
	stdio := cli.IO{In: strings.NewReader(""), Out: &out, Err: &errb}
	if code := cli.Main(t.Context(), append([]string{cobra.ShellCompRequestCmd}, args...), stdio); code != 0 {
		t.Fatalf("__complete %q: exit %d, stderr:\n%s", args, code, errb.String())
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	last := lines[len(lines)-1]
	d, err := strconv.Atoi(strings.TrimPrefix(last, ":"))
	if !strings.HasPrefix(last, ":") || err != nil {
		t.Fatalf("__complete %q: no directive at the end of\n%s", args, out.String())
	}
	var comps []string
	for _, l := range lines[:len(lines)-1] {
		c, _, _ := strings.Cut(l, "\t")
		comps = append(comps, c)
	}
	return comps, cobra.ShellCompDirective(d)
}

const (
	noFile  = cobra.ShellCompDirectiveNoFileComp
	noSpace = cobra.ShellCompDirectiveNoSpace
)

func TestCompleteValues(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		want  []string
		dir   cobra.ShellCompDirective
		exact bool // want is all the candidates, not some of them
	}{
		{"serve engine", []string{"serve", "--engine", ""}, engine.Names(), noFile, true},
		{"serve engine prefix", []string{"serve", "--engine", "ev"}, []string{"evloop"}, noFile, true},
		{"serve engine equals", []string{"serve", "--engine=it"}, []string{"iterative"}, noFile, true},
		{"demo engine", []string{"demo", "--engine", ""}, engine.Names(), noFile, true},
		{"bench engine", []string{"bench", "--engine", ""}, append(engine.Names(), "all"), noFile, true},
		{"serve service", []string{"serve", "--service", ""}, service.Names(), noFile, true},
		{"serve log format", []string{"serve", "--log-format", ""}, []string{"text", "json"}, noFile, true},
		{"bench mode", []string{"bench", "--mode", ""}, []string{"pingpong", "stream", "connect", "datagram"}, noFile, true},
		{"bench -m", []string{"bench", "-m", "s"}, []string{"stream"}, noFile, true},
		{"gateway mode", []string{"gateway", "-m", ""}, []string{"gateway", "clientserver"}, noFile, true},
		{"ping socket", []string{"ping", "--socket", ""}, []string{"auto", "raw", "datagram"}, noFile, true},
		{"trace socket", []string{"trace", "--socket", "r"}, []string{"raw"}, noFile, true},
		{"bench serve", []string{"bench", "--serve", "udp"}, []string{"udp://", "udp4://", "udp6://"}, noFile | noSpace, true},
		{"ca is a file", []string{"connect", "--ca", ""}, nil, cobra.ShellCompDirectiveDefault, true},
		{"report is html", []string{"bench", "--report", ""}, []string{"html"}, cobra.ShellCompDirectiveFilterFileExt, true},
		{"png is a directory", []string{"bench", "merge", "--png", ""}, nil, cobra.ShellCompDirectiveFilterDirs, true},
		{"merge takes json", []string{"bench", "merge", ""}, []string{"json"}, cobra.ShellCompDirectiveFilterFileExt, true},
		{"a number", []string{"serve", "--backlog", ""}, nil, noFile, true},
		{"a duration", []string{"bench", "-d", ""}, nil, noFile, true},
		{"free text", []string{"bench", "--label", ""}, nil, noFile, true},
		{"no arguments", []string{"info", ""}, nil, noFile, true},
		{"a host", []string{"ping", ""}, nil, noFile, true},
		{"a program", []string{"listen", "-e", "s"}, []string{"sh"}, noFile, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, dir := complete(t, tt.args...)
			if tt.exact && !slices.Equal(got, tt.want) {
				t.Errorf("__complete %q = %q, want %q", tt.args, got, tt.want)
			}
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("__complete %q = %q, want it to have %q", tt.args, got, w)
				}
			}
			if dir != tt.dir {
				t.Errorf("__complete %q: directive %d, want %d", tt.args, dir, tt.dir)
			}
		})
	}
}

func TestCompleteAddresses(t *testing.T) {
	plain := []string{"tcp://", "tcp4://", "tcp6://", "udp://", "udp4://", "udp6://", "unix:", "unixgram:", "unixpacket:"}
	tls := []string{"tls://", "tls4://", "tls6://"}
	tests := []struct {
		name string
		args []string
		want []string
		dir  cobra.ShellCompDirective
	}{
		{"serve", []string{"serve", ""}, plain, noFile | noSpace},
		{"serve another", []string{"serve", ":7777", ""}, plain, noFile | noSpace},
		{"serve prefix", []string{"serve", "unix"}, []string{"unix:", "unixgram:", "unixpacket:"}, noFile | noSpace},
		{"serve no tls", []string{"serve", "tl"}, nil, noFile | noSpace},
		{"bench", []string{"bench", ""}, append([]string{"merge"}, plain...), noFile | noSpace},
		{"bench one address", []string{"bench", ":7777", ""}, nil, noFile},
		{"bench subcommand", []string{"bench", "me"}, []string{"merge"}, noFile},
		{"connect", []string{"connect", ""}, slices.Concat(plain, tls), noFile | noSpace},
		{"connect port", []string{"connect", "example.com", ""}, nil, noFile},
		{"connect -u host", []string{"connect", "-u", ""}, nil, noFile},
		{"connect -U path", []string{"connect", "-U", ""}, nil, cobra.ShellCompDirectiveDefault},
		{"listen icmp", []string{"listen", "icmp"}, []string{"icmp://", "icmp6://"}, noFile | noSpace},
		{"relay", []string{"relay", ""}, slices.Concat(plain, tls, []string{"-", "exec:", "file:"}), noFile | noSpace},
		{"relay second", []string{"relay", "-", "f"}, []string{"file:"}, noFile | noSpace},
		{"relay third", []string{"relay", "-", ":80", ""}, nil, noFile},
		{"host and port", []string{"connect", "tcp://127.0.0.1:"}, nil, noFile | noSpace},
		{"abstract name", []string{"connect", "unix:@"}, nil, noFile},
		{"unix url", []string{"serve", "unix://"}, []string{"unix:///"}, noFile | noSpace},
		{"exec program", []string{"relay", ":80", "exec:s"}, []string{"exec:sh"}, noFile},
		{"exec arguments", []string{"relay", ":80", "exec:cat -"}, nil, noFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, dir := complete(t, tt.args...)
			if tt.name == "exec program" {
				got = slices.DeleteFunc(got, func(s string) bool { return s != "exec:sh" })
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("__complete %q = %q, want %q", tt.args, got, tt.want)
			}
			if dir != tt.dir {
				t.Errorf("__complete %q: directive %d, want %d", tt.args, dir, tt.dir)
			}
		})
	}
}

// TestCompletePaths checks the paths offered after unix: (directories and
// sockets) and file: (every file).
func TestCompletePaths(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("unix", filepath.Join(dir, "s.sock"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	for _, name := range []string{"sub", ".hidden"} {
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "s.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want []string
		dir  cobra.ShellCompDirective
	}{
		{"unix", []string{"connect", "unix:" + dir + "/"}, []string{"unix:" + dir + "/s.sock", "unix:" + dir + "/sub/"}, noFile | noSpace},
		{"one socket", []string{"connect", "unix:" + dir + "/s."}, []string{"unix:" + dir + "/s.sock"}, noFile},
		{"unixgram url", []string{"serve", "unixgram://" + dir + "/su"}, []string{"unixgram://" + dir + "/sub/"}, noFile | noSpace},
		{"hidden", []string{"serve", "unixpacket:" + dir + "/."}, []string{"unixpacket:" + dir + "/.hidden/"}, noFile | noSpace},
		{"file", []string{"relay", ":80", "file:" + dir + "/s"}, []string{"file:" + dir + "/s.sock", "file:" + dir + "/s.txt", "file:" + dir + "/sub/"}, noFile | noSpace},
		{"no such directory", []string{"connect", "unix:" + dir + "/none/"}, nil, noFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, d := complete(t, tt.args...)
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("__complete %q = %q, want %q", tt.args, got, tt.want)
			}
			if d != tt.dir {
				t.Errorf("__complete %q: directive %d, want %d", tt.args, d, tt.dir)
			}
		})
	}
}

// TestCompleteSchemesMatchParse checks that the schemes completed are the
// ones endpoint.Parse knows, which its error for an unknown one lists.
func TestCompleteSchemesMatchParse(t *testing.T) {
	_, err := endpoint.Parse("nosuchscheme://h:1")
	var perr *endpoint.ParseError
	if !errors.As(err, &perr) {
		t.Fatalf("Parse of an unknown scheme: %v, want a *ParseError", err)
	}
	_, list, ok := strings.Cut(perr.Reason, "want one of ")
	if !ok {
		t.Fatalf("the error %q does not list the schemes", perr.Reason)
	}
	want := strings.Split(strings.TrimSuffix(list, ")"), ", ")
	got, _ := complete(t, "listen", "")
	got = slices.DeleteFunc(got, func(s string) bool { return !strings.HasSuffix(s, ":") && !strings.HasSuffix(s, "://") })
	for i, s := range got {
		got[i] = strings.TrimSuffix(strings.TrimSuffix(s, "//"), ":")
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("listen completes the schemes %q; endpoint.Parse knows %q", got, want)
	}

	relay, _ := complete(t, "relay", "")
	for _, prefix := range relay {
		addr := prefix
		switch {
		case strings.HasSuffix(prefix, "://"):
			addr += "127.0.0.1:1"
		case strings.HasSuffix(prefix, ":"):
			addr += "x"
		}
		if strings.Contains(prefix, "6") {
			addr = prefix + "[::1]:1"
		}
		if _, err := endpoint.Parse(addr); err != nil {
			t.Errorf("relay completes %q, but %q does not parse: %v", prefix, addr, err)
		}
	}
}

// TestCompleteEveryStringFlag checks that each flag that takes a string
// says what completes it, so that a new one is not left to complete file
// names by default without anyone deciding so.
func TestCompleteEveryStringFlag(t *testing.T) {
	root := cli.Command(cli.IO{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard})
	var visit func(c *cobra.Command)
	visit = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Value.Type() == "bool" {
				return
			}
			if _, ok := c.GetFlagCompletionFunc(f.Name); !ok {
				t.Errorf("%s --%s (%s) has no completion; add it to addCompletions", c.CommandPath(), f.Name, f.Value.Type())
			}
		})
		if c.ValidArgsFunction == nil && len(c.ValidArgs) == 0 {
			t.Errorf("%s has no completion of its arguments", c.CommandPath())
		}
		for _, s := range c.Commands() {
			visit(s)
		}
	}
	visit(root)
}
