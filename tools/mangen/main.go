// Command mangen writes sockit's man pages from its command tree: one page
// per command, sockit.1 for the root and sockit-listen.1 for "sockit
// listen", with [doc.GenManTree]. The pages carry no date, so they change
// only when the commands do. Help text is plain text wrapped for a
// terminal, so its indented blocks (tables, lists) are kept line for line
// and the rest is left for man to fill; see markdown.
//
// It lives in its own module, beside the main one, so that sockit itself
// never depends on go-md2man. Run it from the repository root with
//
//	go -C tools run ./mangen -out ../docs/man
//
// which writes the pages, replaces those that changed and removes the
// pages of commands that no longer exist. With -check it writes nothing
// and exits 1 with a one-line message naming every stale page if the
// pages in -out are not the ones it would write; CI runs that.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
	"github.com/spf13/pflag"

	"github.com/sockit/sockit/internal/cli"
)

func main() {
	out := flag.String("out", "../docs/man", "directory of the pages (relative to tools/, where go run runs)")
	check := flag.Bool("check", false, "write nothing; exit 1 naming the pages in -out that are stale")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: mangen [-check] [-out DIR]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*out, *check); err != nil {
		fmt.Fprintf(os.Stderr, "mangen: %v\n", err)
		os.Exit(1)
	}
}

func run(dir string, check bool) error {
	pages, err := render()
	if err != nil {
		return err
	}
	if !check {
		return write(dir, pages)
	}
	problems, err := stale(dir, pages)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s is stale: %s; regenerate with (cd tools && go run ./mangen -out %s)",
			dir, strings.Join(problems, ", "), dir)
	}
	return nil
}

// noDate is the date GenManTree is given, which render then blanks: left
// nil, GenManTree would use the current month.
var noDate = time.Time{}

// render returns the pages of every command, by file name.
func render() (map[string][]byte, error) {
	root := cli.Command(cli.IO{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard})
	// Execute adds "completion" to the tree when sockit runs; add it here
	// too, so that its pages say how to load each shell's script.
	root.InitDefaultCompletionCmd()
	seen := make(map[*pflag.Flag]bool)
	visit(root, func(c *cobra.Command) {
		c.DisableAutoGenTag = true
		c.Short = markdown(c.Short)
		c.Long = markdown(c.Long)
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if !seen[f] {
				seen[f] = true
				f.Usage = markdown(f.Usage)
			}
		})
	})

	tmp, err := os.MkdirTemp("", "mangen")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	header := &doc.GenManHeader{Section: "1", Date: &noDate, Source: "sockit", Manual: "sockit manual"}
	if err := doc.GenManTree(root, header, tmp); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return nil, err
	}
	date := []byte(fmt.Sprintf("%q", noDate.Format("Jan 2006")))
	pages := make(map[string][]byte, len(entries))
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(tmp, e.Name()))
		if err != nil {
			return nil, err
		}
		// The date is the third field of the .TH line.
		th := bytes.Index(b, []byte(".TH "))
		i := bytes.Index(b, date)
		if th < 0 || i < th || bytes.IndexByte(b[th:i], '\n') >= 0 {
			return nil, fmt.Errorf("%s: no .TH line with the date %s", e.Name(), date)
		}
		pages[e.Name()] = slices.Concat(b[:i], []byte(`""`), b[i+len(date):])
	}
	return pages, nil
}

// markdown turns help text, which is plain text wrapped for a terminal,
// into the Markdown GenManTree expects, so that man shows it as --help
// does: a paragraph of unindented lines becomes prose, which man fills to
// the terminal's width, with every character Markdown would read as
// markup escaped; a paragraph with an indented line (a table, a list, an
// example) is kept as it is, line for line.
func markdown(text string) string {
	paras := strings.Split(text, "\n\n")
	for i, p := range paras {
		lines := strings.Split(p, "\n")
		if slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") }) {
			paras[i] = "```\n" + p + "\n```"
			continue
		}
		for j, l := range lines {
			lines[j] = escapeLine(l)
		}
		paras[i] = strings.Join(lines, "\n")
	}
	return strings.Join(paras, "\n\n")
}

// escapeLine backslash-escapes the characters of one line of prose that
// Markdown could take for markup: emphasis, code, links, HTML, tables,
// and at the start of a line headings, lists, quotes and definitions.
func escapeLine(l string) string {
	var b strings.Builder
	for i, c := range l {
		switch {
		case strings.ContainsRune("\\`*_[]<>|&~", c):
			b.WriteByte('\\')
		case i == 0 && strings.ContainsRune("#-+:=>", c):
			b.WriteByte('\\')
		case (c == '.' || c == ')') && i > 0 && allDigits(l[:i]):
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func allDigits(s string) bool {
	return strings.Trim(s, "0123456789") == ""
}

func visit(c *cobra.Command, f func(*cobra.Command)) {
	f(c)
	for _, sub := range c.Commands() {
		visit(sub, f)
	}
}

// isPage reports whether name is a file mangen writes, which write may
// replace or remove.
func isPage(name string) bool {
	return name == "sockit.1" || strings.HasPrefix(name, "sockit-") && strings.HasSuffix(name, ".1")
}

// stale lists what is wrong with the pages in dir, one phrase a page, in
// the order of the file names.
func stale(dir string, pages map[string][]byte) ([]string, error) {
	var problems []string
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	have := make(map[string]bool)
	for _, e := range entries {
		if !isPage(e.Name()) {
			continue
		}
		have[e.Name()] = true
		want, ok := pages[e.Name()]
		if !ok {
			problems = append(problems, e.Name()+" belongs to no command")
			continue
		}
		got, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(got, want) {
			problems = append(problems, e.Name()+" differs")
		}
	}
	for name := range pages {
		if !have[name] {
			problems = append(problems, name+" is missing")
		}
	}
	slices.Sort(problems)
	return problems, nil
}

// write makes the pages in dir exactly pages: it writes those that differ
// and removes those of commands that are gone.
func write(dir string, pages map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if _, ok := pages[e.Name()]; !ok && isPage(e.Name()) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	for name, b := range pages {
		path := filepath.Join(dir, name)
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
			continue
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
