package testnet

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportRules enforces the package map of ARCHITECTURE.md: only socket
// touches golang.org/x/sys/unix, and only cmd/sockit (and tools/mangen)
// imports internal/cli.
func TestImportRules(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string][]string{
		"golang.org/x/sys/unix":                 {"socket", "internal/poll"},
		"github.com/sockit/sockit/internal/cli": {"cmd/sockit", "internal/cli", "tools/mangen"}, // its own external tests; the man page generator
	}
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		dir := filepath.ToSlash(filepath.Dir(rel))
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			who, ruled := allowed[p]
			if !ruled {
				continue
			}
			ok := false
			for _, w := range who {
				ok = ok || dir == w
			}
			if !ok {
				t.Errorf("%s imports %s; only %v may", rel, p, who)
			}
		}
		return nil
	})
}
