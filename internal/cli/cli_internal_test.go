package cli

import (
	"bytes"
	"context"
	"slices"
	"testing"
)

// TestCommandTable checks that the table a run picks its one command from
// names every command as the command itself does: a command missing from
// it could not be run, and an alias missing would build every command.
func TestCommandTable(t *testing.T) {
	var stdio IO
	for _, c := range commands() {
		cmd := c.build(stdio)
		if cmd.Name() != c.name {
			t.Errorf("table names %q, the command is %q", c.name, cmd.Name())
		}
		if !slices.Equal(cmd.Aliases, c.aliases) {
			t.Errorf("%s: table has aliases %q, the command %q", c.name, c.aliases, cmd.Aliases)
		}
	}
}

// TestOneCommandBuilt checks that a run builds only the command it runs,
// and every command for what needs the whole tree.
func TestOneCommandBuilt(t *testing.T) {
	tests := []struct {
		args []string
		want int // commands under the root
	}{
		{[]string{"version"}, 1},
		{[]string{"connect", "-v", "127.0.0.1:9"}, 1},
		{[]string{"traceroute", "::1"}, 1},
		{[]string{"bench", "merge", "a.json"}, 1},
		{nil, len(commands())},
		{[]string{"help", "connect"}, len(commands())},
		{[]string{"--help"}, len(commands())},
		{[]string{"__complete", "connect", ""}, len(commands())},
		{[]string{"completion", "bash"}, len(commands())},
		{[]string{"conect"}, len(commands())}, // cobra suggests "connect"
	}
	for _, tt := range tests {
		if got := len(newRootCmdFor(IO{}, tt.args).Commands()); got != tt.want {
			t.Errorf("%q: %d commands built, want %d", tt.args, got, tt.want)
		}
	}
}

// TestHelpAlone checks that each command's help is the same built alone
// ("sockit connect --help") as in the whole tree ("sockit help connect").
func TestHelpAlone(t *testing.T) {
	run := func(args ...string) string {
		var out, errb bytes.Buffer
		if code := Main(context.Background(), args, IO{In: &bytes.Buffer{}, Out: &out, Err: &errb}); code != 0 {
			t.Fatalf("%q: exit %d: %s", args, code, errb.String())
		}
		return out.String()
	}
	for _, c := range commands() {
		alone, whole := run(c.name, "--help"), run("help", c.name)
		if alone != whole {
			t.Errorf("%s --help differs from help %s:\n%s\n---\n%s", c.name, c.name, alone, whole)
		}
		if alone == "" {
			t.Errorf("%s --help printed nothing", c.name)
		}
	}
	if alone, whole := run("bench", "merge", "--help"), run("help", "bench", "merge"); alone != whole {
		t.Errorf("bench merge --help differs from help bench merge:\n%s\n---\n%s", alone, whole)
	}
}
