package bench

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestJSONDocumented keeps docs/bench-json.md true: every JSON field and
// error kind is described there, and its example is a file ReadJSON takes.
func TestJSONDocumented(t *testing.T) {
	b, err := os.ReadFile("../docs/bench-json.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, v := range []any{File{}, Result{}, Load{}, Latency{}, Datagrams{}, Sample{}} {
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if !strings.Contains(doc, "`"+name+"`") {
				t.Errorf("%s.%s (JSON %q) is not in docs/bench-json.md", typ.Name(), f.Name, name)
			}
		}
	}
	for _, kind := range []string{ErrMismatch, ErrExtra, ErrShort, ErrTimeout, ErrReset, ErrConnect, ErrRefused, ErrIO, ErrTruncated} {
		if !strings.Contains(doc, "| `"+kind+"` |") {
			t.Errorf("error kind %q has no row in docs/bench-json.md", kind)
		}
	}
	if !strings.Contains(doc, "`\""+Schema+"\"`") {
		t.Errorf("docs/bench-json.md does not name the schema %q", Schema)
	}
	example := regexp.MustCompile("(?s)```json\n(.*?)```").FindStringSubmatch(doc)
	if example == nil {
		t.Fatal("docs/bench-json.md has no ```json example")
	}
	f, err := ReadJSON(strings.NewReader(example[1]))
	if err != nil {
		t.Fatalf("the example does not read: %v", err)
	}
	if len(f.Runs) != 1 || f.Runs[0].Latency == nil || f.Runs[0].Latency.Count != f.Runs[0].Messages {
		t.Errorf("the example is not one run with a latency count per message: %+v", f.Runs)
	}
}
