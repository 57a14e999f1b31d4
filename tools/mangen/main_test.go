package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/sockit/sockit/internal/cli"
)

func TestRenderDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		if err := run(dir, false); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range names(t, a) {
		pa, err := os.ReadFile(filepath.Join(a, name))
		if err != nil {
			t.Fatal(err)
		}
		pb, err := os.ReadFile(filepath.Join(b, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(pa, pb) {
			t.Errorf("%s differs between two runs", name)
		}
	}
	if na, nb := names(t, a), names(t, b); !slices.Equal(na, nb) {
		t.Errorf("two runs wrote different pages: %q and %q", na, nb)
	}
}

// TestEveryCommand checks that every command a user can run has a page,
// and that no page has a date, which would change it every month.
func TestEveryCommand(t *testing.T) {
	pages, err := render()
	if err != nil {
		t.Fatal(err)
	}
	root := cli.Command(cli.IO{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard})
	root.InitDefaultCompletionCmd()
	var want []string
	visit(root, func(c *cobra.Command) {
		if c.IsAvailableCommand() || c == root {
			want = append(want, strings.ReplaceAll(c.CommandPath(), " ", "-")+".1")
		}
	})
	for _, name := range []string{"sockit.1", "sockit-listen.1", "sockit-bench-merge.1", "sockit-completion-bash.1"} {
		if !slices.Contains(want, name) {
			t.Errorf("the command tree has no %s", name)
		}
	}
	for _, name := range want {
		page, ok := pages[name]
		if !ok {
			t.Errorf("no page %s", name)
			continue
		}
		th, _, _ := bytes.Cut(page[bytes.Index(page, []byte(".TH ")):], []byte("\n"))
		title := strings.ToUpper(strings.TrimSuffix(name, ".1"))
		if got, want := string(th), `.TH "`+title+`" "1" "" "sockit" "sockit manual"`; got != want {
			t.Errorf("%s: header line\n%s\nwant\n%s", name, got, want)
		}
		if bytes.Contains(page, []byte("Auto generated")) {
			t.Errorf("%s has cobra's auto-generated tag", name)
		}
	}
	if len(pages) != len(want) {
		t.Errorf("%d pages for %d commands", len(pages), len(want))
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	if err := run(dir, true); err == nil || !strings.Contains(err.Error(), "sockit.1 is missing") {
		t.Errorf("check of an empty directory: %v, want sockit.1 is missing", err)
	}
	if err := run(dir, false); err != nil {
		t.Fatal(err)
	}
	if err := run(dir, true); err != nil {
		t.Errorf("check just after writing: %v", err)
	}

	other := filepath.Join(dir, "README")
	if err := os.WriteFile(other, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sockit-gone.1"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sockit-listen.1"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "sockit-ping.1")); err != nil {
		t.Fatal(err)
	}
	err := run(dir, true)
	want := "sockit-gone.1 belongs to no command, sockit-listen.1 differs, sockit-ping.1 is missing;"
	if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Errorf("check of stale pages: %v\nwant one line with %q", err, want)
	}

	if err := run(dir, false); err != nil {
		t.Fatal(err)
	}
	if err := run(dir, true); err != nil {
		t.Errorf("check after rewriting: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "sockit-gone.1")); err == nil {
		t.Errorf("the page of a command that is gone was kept")
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("a file that is not a page was removed: %v", err)
	}
}

func TestMarkdown(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"prose", "plain words", "plain words"},
		{"markup", "a *b* [::] (c) x_y `z` a|b <p> &amp;", `a \*b\* \[::\] (c) x\_y \` + "`z\\`" + ` a\|b \<p\> \&amp;`},
		{"line starts", "# h\n- item\n+ item\n: def\n> quote\n=====\n12. n\n3) m", `\# h` + "\n" + `\- item` + "\n" + `\+ item` + "\n" + `\: def` + "\n" + `\> quote` + "\n" + `\=====` + "\n" + `12\. n` + "\n" + `3\) m`},
		{"table", "Modes:\n  a   [x] *y*\n  b", "```\nModes:\n  a   [x] *y*\n  b\n```"},
		{"paragraphs", "one *a*\n\n  kept *b*\n\ntwo", "one \\*a\\*\n\n```\n  kept *b*\n```\n\ntwo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := markdown(tt.in); got != tt.want {
				t.Errorf("markdown(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
