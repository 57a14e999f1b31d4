package gateway

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, wire string }{
		{"", ""},
		{"plain", "plain"},
		{"a\nb", `a\nb`},
		{"a\r\nb", `a\r\nb`},
		{`back\slash`, `back\\slash`},
		{`\n`, `\\n`}, // a backslash and an n, not a newline
		{"naïve 漢字 😀", "naïve 漢字 😀"},
		{"bad \xff byte", "bad \uFFFD byte"}, // Python decodes lines strictly
	} {
		if got := escape(tc.in); got != tc.wire {
			t.Errorf("escape(%q) = %q, want %q", tc.in, got, tc.wire)
		}
		if want := strings.ToValidUTF8(tc.in, "\uFFFD"); unescape(tc.wire) != want {
			t.Errorf("unescape(%q) = %q, want %q", tc.wire, unescape(tc.wire), want)
		}
	}
}

func TestUnescapeJavaRule(t *testing.T) {
	// Py4J's Java side reads a backslash before any other character as
	// that character; a lone one at the end stays.
	for _, tc := range []struct{ wire, want string }{
		{`a\tb`, "atb"},
		{`a\\b`, `a\b`},
		{`end\`, `end\`},
		{`\r\n`, "\r\n"},
	} {
		if got := unescape(tc.wire); got != tc.want {
			t.Errorf("unescape(%q) = %q, want %q", tc.wire, got, tc.want)
		}
	}
}

func TestDoubles(t *testing.T) {
	for _, tc := range []struct {
		wire string
		f    float64
	}{
		{"0.25", 0.25},
		{"1e-05", 1e-05},
		{"-3", -3},
		{"Infinity", math.Inf(1)},
		{"-Infinity", math.Inf(-1)},
		{"1e999", math.Inf(1)}, // out of range reads as Java does
	} {
		got, err := parseDouble(tc.wire)
		if err != nil || got != tc.f {
			t.Errorf("parseDouble(%q) = %v, %v; want %v", tc.wire, got, err, tc.f)
		}
	}
	if f, err := parseDouble("NaN"); err != nil || !math.IsNaN(f) {
		t.Errorf("parseDouble(NaN) = %v, %v", f, err)
	}
	for _, bad := range []string{"", "one", "1,5", "0x"} {
		if _, err := parseDouble(bad); err == nil {
			t.Errorf("parseDouble(%q) succeeded", bad)
		}
	}
	for _, tc := range []struct {
		f    float64
		wire string
	}{
		{0.1, "0.1"}, {math.Inf(1), "Infinity"}, {math.Inf(-1), "-Infinity"}, {math.NaN(), "NaN"}, {1e21, "1e+21"},
	} {
		if got := formatDouble(tc.f); got != tc.wire {
			t.Errorf("formatDouble(%v) = %q, want %q", tc.f, got, tc.wire)
		}
	}
}

func TestParseLong(t *testing.T) {
	for _, tc := range []struct {
		wire string
		want any
	}{
		{"0", int64(0)},
		{"-9223372036854775808", int64(math.MinInt64)},
		{"9223372036854775807", int64(math.MaxInt64)},
	} {
		if got, err := parseLong(tc.wire); err != nil || got != tc.want {
			t.Errorf("parseLong(%q) = %v, %v; want %v", tc.wire, got, err, tc.want)
		}
	}
	got, err := parseLong("9223372036854775808")
	if b, ok := got.(*big.Int); err != nil || !ok || b.String() != "9223372036854775808" {
		t.Errorf("parseLong(2**63) = %v (%T), %v; want a *big.Int", got, got, err)
	}
	for _, bad := range []string{"", "1.5", "x", "1e3"} {
		if _, err := parseLong(bad); err == nil {
			t.Errorf("parseLong(%q) succeeded", bad)
		}
	}
}

func TestDecimals(t *testing.T) {
	for _, tc := range []struct{ wire, out string }{
		{"1.25", "1.25"},
		{"-14.456", "-14.456"},
		{"1E+3", "1000"},
		{"0.1", "0.1"},
	} {
		r, err := parseDecimal(tc.wire)
		if err != nil {
			t.Fatalf("parseDecimal(%q): %v", tc.wire, err)
		}
		if got := formatDecimal(r); got != tc.out {
			t.Errorf("formatDecimal(parseDecimal(%q)) = %q, want %q", tc.wire, got, tc.out)
		}
	}
	if got := formatDecimal(big.NewRat(1, 3)); got != "0.3333333333333333333333333333333333" {
		t.Errorf("1/3 = %q, want 34 digits", got)
	}
	for _, bad := range []string{"", "1/3", "abc"} {
		if _, err := parseDecimal(bad); err == nil {
			t.Errorf("parseDecimal(%q) succeeded", bad)
		}
	}
}

// TestLineReader checks lines of any length up to the cap, and that a
// longer one is skipped whole so the next line is read in step.
func TestLineReader(t *testing.T) {
	long := strings.Repeat("x", 200<<10) // beyond bufio's 64 KiB buffer
	in := "short\n" + long + "\n" + long + "y\nnext\ntail"
	lr := newLineReader(strings.NewReader(in), len(long))
	for i, want := range []struct {
		line string
		err  error
	}{
		{"short", nil},
		{long, nil},
		{"", errLineTooLong},
		{"next", nil},
		{"", io.ErrUnexpectedEOF}, // a last line without its newline
	} {
		got, err := lr.readLine()
		if got != want.line || !errors.Is(err, want.err) {
			t.Fatalf("line %d: %d bytes, %v; want %d bytes, %v", i, len(got), err, len(want.line), want.err)
		}
	}
}

func TestReadCommand(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    string // after the first line
		first string
		lines []string
		err   error // errors.Is target; decodeErr for a *decodeError
	}{
		{"call", "t\naddition\ni1\ni2\ne\n", "c", []string{"t", "addition", "i1", "i2"}, nil},
		{"call without arguments", "o1\nsize\ne\n", "c", []string{"o1", "size"}, nil},
		{"a method called e", "t\ne\ne\n", "c", []string{"t", "e"}, nil},
		{"constructor", "java.util.ArrayList\ne\n", "i", []string{"java.util.ArrayList"}, nil},
		{"memory", "d\no3\ne\n", "m", []string{"d", "o3"}, nil},
		{"exception text", "ro0\ne\n", "p", []string{"ro0"}, nil},
		{"auth, no end line", "tok\n", "A", []string{"tok"}, nil},
		{"shutdown", "", "s", []string{}, nil},
		// A raw name that is "e" is a name (Java reads fields by position).
		{"get_field e", "g\nt\ne\ne\n", "f", []string{"g", "t", "e"}, nil},
		{"set_field e", "s\nt\ne\ni1\ne\n", "f", []string{"s", "t", "e", "i1"}, nil},
		{"array length (sub-command e)", "e\no1\ne\n", "a", []string{"e", "o1"}, nil},
		{"jvm.e", "u\ne\nrj\ne\n", "r", []string{"u", "e", "rj"}, nil},
		{"static member e", "m\njava.lang.Foo\ne\ne\n", "r", []string{"m", "java.lang.Foo", "e"}, nil},
		{"class e", "c\ne\ne\n", "r", []string{"c", "e"}, nil},
		{"java_import e", "i\nrj\ne\ne\n", "j", []string{"i", "rj", "e"}, nil},
		{"dir of class e", "s\ne\ne\n", "d", []string{"s", "e"}, nil},
		{"help of class e", "c\ne\nn\nbTrue\ne\n", "h", []string{"c", "e", "n", "bTrue"}, nil},
		{"call ended early", "e\n", "c", nil, errDecode},
		{"field ended before its target", "g\ne\n", "f", nil, errDecode},
		{"memory ended before its id", "d\ne\n", "m", nil, errDecode},
		{"field ended early", "g\ne\n", "f", nil, errDecode},
		{"unknown command", "", "Q", nil, errUnknownCommand},
		{"stream ended mid-block", "t\naddition\ni1\n", "c", nil, io.EOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd, err := readCommand(newLineReader(strings.NewReader(tc.in), 1024), tc.first)
			var derr *decodeError
			switch {
			case tc.err == errDecode:
				if !errors.As(err, &derr) {
					t.Fatalf("err %v, want a decode error", err)
				}
				return
			case tc.err != nil:
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if strings.Join(cmd.lines, "|") != strings.Join(tc.lines, "|") {
				t.Errorf("lines %q, want %q", cmd.lines, tc.lines)
			}
			// encode writes the block back as it travelled.
			if want := tc.first + "\n" + tc.in; cmd.encode() != want {
				t.Errorf("encode() = %q, want %q", cmd.encode(), want)
			}
		})
	}
}

// errDecode stands for any *decodeError in TestReadCommand's table.
var errDecode = errors.New("a decode error")

// TestReadCommandLineCap checks an over-long argument fails its command
// only: the block is read to its end and the next command decodes.
func TestReadCommandLineCap(t *testing.T) {
	in := "t\nconcat\ns" + strings.Repeat("x", 100) + "\nsb\ne\nc\nt\naddition\ni1\ni2\ne\n"
	lr := newLineReader(strings.NewReader(in), 50)
	var derr *decodeError
	if _, err := readCommand(lr, "c"); !errors.As(err, &derr) {
		t.Fatalf("err %v, want a decode error", err)
	}
	first, err := lr.readLine()
	if err != nil || first != "c" {
		t.Fatalf("next line %q, %v; want c", first, err)
	}
	cmd, err := readCommand(lr, first)
	if err != nil || strings.Join(cmd.lines, " ") != "t addition i1 i2" {
		t.Errorf("next command %v, %v", cmd, err)
	}
}

// fuzzEntry is the entry point fuzzed commands run against.
type fuzzEntry struct{}

func (fuzzEntry) Add(a, b int32) int32      { return a + b }
func (fuzzEntry) Echo(s string) string      { return s }
func (fuzzEntry) Words() []string           { return []string{"a", "b"} }
func (fuzzEntry) Counts() map[string]int    { return map[string]int{"a": 1} }
func (fuzzEntry) Fail() error               { return errors.New("failed") }
func (fuzzEntry) Explode()                  { panic("boom") }
func (fuzzEntry) Sum(xs []int64) (n int64)  { return int64(len(xs)) }
func (fuzzEntry) Ratio(f float64) float64   { return f / 2 }
func (fuzzEntry) Bytes(p []byte) []byte     { return p }
func (fuzzEntry) Self() *fuzzEntry          { return &fuzzEntry{} }
func (fuzzEntry) Big(n *big.Int) *big.Int   { return n }
func (fuzzEntry) Decimal(r *big.Rat) string { return r.String() }

// FuzzCommands feeds arbitrary bytes to the command reader and runs every
// command that decodes on a server: no input may crash it, every reply is
// a value, an error or a fatal error, and the reader never returns more
// than its cap.
func FuzzCommands(f *testing.F) {
	for _, seed := range []string{
		"c\nt\nadd\ni1\ni2\ne\n",
		"c\nt\necho\nsa\\nb\ne\n",
		"c\nt\nsum\nlo1\ne\n",
		"i\njava.util.ArrayList\ne\nc\no1\nadd\ni7\ne\nc\nt\nsum\nro1\ne\n",
		"c\nt\nwords\ne\nl\ns\nlo1\ne\nc\no1\niterator\ne\nc\no2\nnext\ne\n",
		"c\nt\nfail\ne\np\nro0\ne\n",
		"c\nt\nexplode\ne\n",
		"c\nt\nratio\ndInfinity\ne\nc\nt\nbytes\njAAH+/w==\ne\n",
		"c\nt\nbig\nL99999999999999999999999\ne\nc\nt\ndecimal\nD1.25\ne\n",
		"m\nd\no1\ne\nr\nu\nArrayList\nrj\ne\nd\nm\nt\ne\nh\no\nt\nn\nb\ne\n",
		"j\ni\nrj\njava.util.*\ne\nf\ng\nt\nx\ne\n",
		"c\nz:java.lang.System\ncurrentTimeMillis\ne\n",
		"c\nt\necho\nfp0;demo.Listener\ne\n",
		"c\nt\nadd\ni1\n",
		// A list inside itself (Python's l.append(l)).
		"i\njava.util.ArrayList\ne\nc\no0\nadd\nro0\ne\nc\no0\ncontains\nro0\ne\nc\no0\ntoString\ne\np\nro0\ne\nl\nf\no0\nro0\ne\nc\no0\nhashCode\ne\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		s := &Server{EntryPoint: fuzzEntry{}, CallbackAddr: "127.0.0.1:1"}
		s.init()
		defer s.Close()
		const lineCap = 256
		lr := newLineReader(bytes.NewReader(in), lineCap)
		for range 200 {
			first, err := lr.readLine()
			if errors.Is(err, errLineTooLong) {
				continue
			}
			if err != nil {
				return
			}
			cmd, err := readCommand(lr, first)
			var derr *decodeError
			switch {
			case errors.As(err, &derr):
				if !utf8.ValidString(escape(derr.msg)) {
					t.Fatalf("decode error %q is not valid UTF-8 once escaped", derr.msg)
				}
				continue
			case err != nil:
				return
			}
			for _, l := range cmd.lines {
				if len(l) > lineCap {
					t.Fatalf("a %d-byte line past a %d-byte cap", len(l), lineCap)
				}
			}
			switch cmd.name {
			case "s", "A", "z": // the connection's own, not dispatched
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			reply := s.dispatch(ctx, cmd)
			cancel()
			if !strings.HasPrefix(reply, "!y") && !strings.HasPrefix(reply, "!x") && !strings.HasPrefix(reply, "!z") {
				t.Fatalf("reply %q to %q", reply, cmd.encode())
			}
			if strings.ContainsAny(reply, "\r\n") {
				t.Fatalf("reply %q to %q spans lines", reply, cmd.encode())
			}
		}
	})
}

// FuzzEscaping checks that any valid string survives the wire.
func FuzzEscaping(f *testing.F) {
	for _, s := range []string{"", "a\nb", `c:\dir\n`, "\r\n\\", "漢字"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		wire := escape(s)
		if strings.ContainsAny(wire, "\r\n") {
			t.Fatalf("escape(%q) = %q spans lines", s, wire)
		}
		if utf8.ValidString(s) && unescape(wire) != s {
			t.Fatalf("unescape(escape(%q)) = %q", s, unescape(wire))
		}
	})
}
