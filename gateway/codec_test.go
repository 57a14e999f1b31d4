package gateway

// Table-driven tests of the value codec (codec.go) and of the value layer
// built on it (values.go: decodePart, decodeParts, encodeValue, convert).
// Expected values come from the protocol notes (../shared/py4j-protocol.md,
// sections 2, 3 and 14) and from what Py4J's Python client sends and reads
// (py4j/protocol.py: escape_new_line, unescape_new_line, encode_float,
// get_command_part, OUTPUT_CONVERTER).

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// pyEscape is Python's escape_new_line: what the Python client puts on the
// wire for a str.
func pyEscape(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, "\r", `\r`)
	return strings.ReplaceAll(s, "\n", `\n`)
}

// pyUnescape is Python's unescape_new_line: how the Python client reads
// an s value the gateway sends.
func pyUnescape(s string) string {
	parts := strings.Split(s, `\\`)
	for i, p := range parts {
		p = strings.Join(strings.Split(p, `\r`), "\r")
		parts[i] = strings.Join(strings.Split(p, `\n`), "\n")
	}
	return strings.Join(parts, `\`)
}

func TestCodecEscapeMatchesPython(t *testing.T) {
	for _, tc := range []struct {
		name, in, wire string
	}{
		{"empty", "", ""},
		{"plain", "plain", "plain"},
		{"newline", "a\nb", `a\nb`},
		{"carriage return", "a\rb", `a\rb`},
		{"CRLF", "\r\n", `\r\n`},
		{"lone backslash", `\`, `\\`},
		{"backslash then n is not a newline", `\n`, `\\n`},
		{"two backslashes", `\\`, `\\\\`},
		{"backslash before a newline", "\\\n", `\\\n`},
		{"windows path", `C:\new\dir`, `C:\\new\\dir`},
		{"tab travels raw", "a\tb", "a\tb"},
		{"NUL travels raw", "a\x00b", "a\x00b"},
		{"non-ASCII travels raw", "naïve 漢字 😀", "naïve 漢字 😀"},
		{"unicode line separator travels raw", "a\u2028b", "a\u2028b"},
		{"many lines", "l1\nl2\r\nl3\\", `l1\nl2\r\nl3\\`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := escape(tc.in); got != tc.wire {
				t.Errorf("escape(%q) = %q, want %q", tc.in, got, tc.wire)
			}
			if got := pyEscape(tc.in); got != tc.wire {
				t.Fatalf("table error: Python sends %q for %q, table says %q", got, tc.in, tc.wire)
			}
			if got := unescape(tc.wire); got != tc.in {
				t.Errorf("unescape(%q) = %q, want %q", tc.wire, got, tc.in)
			}
			if got := pyUnescape(escape(tc.in)); got != tc.in {
				t.Errorf("Python reads escape(%q) as %q", tc.in, got)
			}
		})
	}
}

// TestCodecEscapeSanitisesInvalidUTF8 checks section 14: Python decodes
// each line strictly as UTF-8, so what the gateway sends must be valid.
func TestCodecEscapeSanitisesInvalidUTF8(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		wire     string // "" when only validity is checked
	}{
		{"one bad byte", "a\xffb", "a\uFFFDb"},
		{"truncated sequence at the end", "ab\xc3", "ab\uFFFD"},
		{"bad byte next to a newline", "\xff\n", "\uFFFD\\n"},
		{"bad byte next to a backslash", "\\\xfe", "\\\\\uFFFD"},
		{"run of bad bytes", "x\xff\xfe\xfdy", ""},
		{"encoded surrogate", "\xed\xa0\x80", ""},
		{"overlong encoding", "\xc0\xaf", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := escape(tc.in)
			if !utf8.ValidString(got) {
				t.Errorf("escape(%q) = %q is not valid UTF-8", tc.in, got)
			}
			if strings.ContainsAny(got, "\r\n") {
				t.Errorf("escape(%q) = %q spans lines", tc.in, got)
			}
			if tc.wire != "" && got != tc.wire {
				t.Errorf("escape(%q) = %q, want %q", tc.in, got, tc.wire)
			}
		})
	}
}

// TestCodecUnescapeJavaRule checks section 3.2: \n is LF, \r is CR, and a
// backslash before any other character gives that character.
func TestCodecUnescapeJavaRule(t *testing.T) {
	for _, tc := range []struct {
		name, wire, want string
	}{
		{"no escapes", "plain text", "plain text"},
		{"escaped newline", `a\nb`, "a\nb"},
		{"escaped carriage return", `a\rb`, "a\rb"},
		{"escaped backslash", `a\\b`, `a\b`},
		{"escaped backslash then n", `\\n`, `\n`},
		{"escaped backslash then escaped newline", `\\\n`, "\\\n"},
		{"four backslashes", `\\\\`, `\\`},
		{"unknown escape t", `a\tb`, "atb"},
		{"unknown escape x", `\x41`, "x41"},
		{"escaped quote", `\"q\"`, `"q"`},
		{"escaped non-ASCII", `\é\漢`, "é漢"},
		{"escaped emoji", `\😀`, "😀"},
		{"all three", `\n\r\\`, "\n\r\\"},
		{"escaped N is not a newline", `\N\R`, "NR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := unescape(tc.wire); got != tc.want {
				t.Errorf("unescape(%q) = %q, want %q", tc.wire, got, tc.want)
			}
		})
	}
}

func TestCodecEscapeRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune{'a', '\\', '\n', '\r', 'n', 'r', 't', 'é', '漢', '😀', 0, '\t', '\u2028'}
	for i := range 2000 {
		var b strings.Builder
		for range r.IntN(24) {
			b.WriteRune(alphabet[r.IntN(len(alphabet))])
		}
		s := b.String()
		wire := escape(s)
		if strings.ContainsAny(wire, "\r\n") {
			t.Fatalf("case %d: escape(%q) = %q spans lines", i, s, wire)
		}
		if got := unescape(wire); got != s {
			t.Fatalf("case %d: unescape(escape(%q)) = %q", i, s, got)
		}
		if got := unescape(pyEscape(s)); got != s {
			t.Fatalf("case %d: the gateway reads Python's %q as %q, want %q", i, pyEscape(s), got, s)
		}
		if got := pyUnescape(wire); got != s {
			t.Fatalf("case %d: Python reads the gateway's %q as %q, want %q", i, wire, got, s)
		}
	}
}

// pythonFloat is the grammar of Python's float() for what formatDouble may
// write: decimal digits with an optional exponent, or inf/infinity/nan.
var pythonFloat = regexp.MustCompile(`^[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|(?i:inf|infinity|nan))$`)

func TestCodecFormatDoublePythonReadable(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    float64
		wire string // "" when only the round trip is checked
	}{
		{"positive infinity in Java's spelling", math.Inf(1), "Infinity"},
		{"negative infinity in Java's spelling", math.Inf(-1), "-Infinity"},
		{"NaN in Java's spelling", math.NaN(), "NaN"},
		{"zero", 0, "0"},
		{"one tenth", 0.1, "0.1"},
		{"small", 1e-05, ""},
		{"large", 1e100, ""},
		{"integer", 3, "3"},
		{"negative integer", -42, "-42"},
		{"negative zero", math.Copysign(0, -1), ""},
		{"largest", math.MaxFloat64, ""},
		{"smallest denormal", math.SmallestNonzeroFloat64, ""},
		{"a third", 1.0 / 3, ""},
		{"2^53+2", 1<<53 + 2, ""},
		{"1e21", 1e21, ""},
		{"negative exponent", -2.5e-300, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := formatDouble(tc.f)
			if tc.wire != "" && got != tc.wire {
				t.Errorf("formatDouble(%v) = %q, want %q", tc.f, got, tc.wire)
			}
			if !pythonFloat.MatchString(got) {
				t.Errorf("formatDouble(%v) = %q, which Python's float() does not read", tc.f, got)
			}
			back, err := parseDouble(got)
			switch {
			case err != nil:
				t.Errorf("parseDouble(formatDouble(%v) = %q): %v", tc.f, got, err)
			case math.IsNaN(tc.f):
				if !math.IsNaN(back) {
					t.Errorf("NaN came back as %v", back)
				}
			case math.Float64bits(back) != math.Float64bits(tc.f):
				t.Errorf("%v came back as %v through %q", tc.f, back, got)
			}
		})
	}
}

// TestCodecParseDoublePythonRepr reads what Python sends for a float:
// repr(float), with inf and nan in Java's spelling (encode_float).
func TestCodecParseDoublePythonRepr(t *testing.T) {
	for _, tc := range []struct {
		wire string
		want float64
		bad  bool
	}{
		{wire: "0.1", want: 0.1},
		{wire: "1e-05", want: 1e-05},
		{wire: "1e+100", want: 1e100},
		{wire: "1.5", want: 1.5},
		{wire: "2.0", want: 2},
		{wire: "-0.0", want: math.Copysign(0, -1)},
		{wire: "123456789.0", want: 123456789},
		{wire: "1.7976931348623157e+308", want: math.MaxFloat64},
		{wire: "5e-324", want: math.SmallestNonzeroFloat64},
		{wire: "Infinity", want: math.Inf(1)},
		{wire: "-Infinity", want: math.Inf(-1)},
		{wire: "NaN", want: math.NaN()},
		// Java's Double.parseDouble reads an out-of-range exponent as
		// infinity or zero.
		{wire: "1e999", want: math.Inf(1)},
		{wire: "-1e999", want: math.Inf(-1)},
		{wire: "1e-999", want: 0},
		{wire: "", bad: true},
		{wire: "one", bad: true},
		{wire: "1,5", bad: true},
		{wire: "1.5.2", bad: true},
		{wire: "0x", bad: true},
		{wire: " 1.5", bad: true},
		{wire: "1.5\n", bad: true},
	} {
		t.Run(tc.wire, func(t *testing.T) {
			got, err := parseDouble(tc.wire)
			switch {
			case tc.bad:
				if err == nil {
					t.Errorf("parseDouble(%q) = %v, want an error", tc.wire, got)
				}
			case err != nil:
				t.Errorf("parseDouble(%q): %v", tc.wire, err)
			case math.IsNaN(tc.want):
				if !math.IsNaN(got) {
					t.Errorf("parseDouble(%q) = %v, want NaN", tc.wire, got)
				}
			case math.Float64bits(got) != math.Float64bits(tc.want):
				t.Errorf("parseDouble(%q) = %v, want %v", tc.wire, got, tc.want)
			}
		})
	}
}

// TestCodecParseLongRange reads L values: Python sends str(int) for any
// int outside the 32-bit range, of any size (section 3.1).
func TestCodecParseLongRange(t *testing.T) {
	for _, tc := range []struct {
		wire string
		want any // int64, a *big.Int, or nil for an error
	}{
		{"0", int64(0)},
		{"-1", int64(-1)},
		{"2147483648", int64(1 << 31)},
		{"-2147483649", int64(-1<<31 - 1)},
		{"9223372036854775807", int64(math.MaxInt64)},
		{"-9223372036854775808", int64(math.MinInt64)},
		{"9223372036854775808", bigInt("9223372036854775808")},
		{"-9223372036854775809", bigInt("-9223372036854775809")},
		{"18446744073709551616", bigInt("18446744073709551616")},
		{"123456789012345678901234567890123456789", bigInt("123456789012345678901234567890123456789")},
		{"", nil},
		{"x", nil},
		{"1.5", nil},
		{"1e3", nil},
		{"0x10", nil},
		{"1_000", nil},
		{" 1", nil},
		{"1 ", nil},
		{"--1", nil},
		{"L5", nil},
		{"99999999999999999999x", nil},
	} {
		t.Run(tc.wire, func(t *testing.T) {
			got, err := parseLong(tc.wire)
			switch want := tc.want.(type) {
			case nil:
				if err == nil {
					t.Errorf("parseLong(%q) = %v (%T), want an error", tc.wire, got, got)
				}
			case int64:
				if err != nil || got != want {
					t.Errorf("parseLong(%q) = %v (%T), %v; want int64 %d", tc.wire, got, got, err, want)
				}
			case *big.Int:
				b, ok := got.(*big.Int)
				if err != nil || !ok || b.Cmp(want) != 0 {
					t.Errorf("parseLong(%q) = %v (%T), %v; want *big.Int %s", tc.wire, got, got, err, want)
				}
			}
		})
	}
}

func bigInt(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic("bad test integer " + s)
	}
	return n
}

// TestCodecDecimalParseFormat reads Python's str(Decimal) and writes
// decimals Python's Decimal() reads back exactly.
func TestCodecDecimalParseFormat(t *testing.T) {
	t.Run("parse", func(t *testing.T) {
		for _, tc := range []struct {
			wire string
			want *big.Rat // nil for an error
		}{
			{"1.25", big.NewRat(5, 4)},
			{"-14.456", big.NewRat(-14456, 1000)},
			{"1E+3", big.NewRat(1000, 1)},
			{"0", new(big.Rat)},
			{"-0", new(big.Rat)},
			{"0E-7", new(big.Rat)},
			{"1.2E-7", big.NewRat(12, 100000000)},
			{"0.1", big.NewRat(1, 10)},
			{"12345678901234567890.5", new(big.Rat).SetFrac(bigInt("123456789012345678905"), big.NewInt(10))},
			{"", nil},
			{"abc", nil},
			{"1/3", nil}, // a Go fraction, not a decimal
			{"1.2.3", nil},
			{"1E", nil},
			// str(Decimal) can be Infinity or NaN; Java's BigDecimal
			// rejects them too.
			{"Infinity", nil},
			{"NaN", nil},
			{"sNaN", nil},
		} {
			got, err := parseDecimal(tc.wire)
			switch {
			case tc.want == nil:
				if err == nil {
					t.Errorf("parseDecimal(%q) = %v, want an error", tc.wire, got)
				}
			case err != nil:
				t.Errorf("parseDecimal(%q): %v", tc.wire, err)
			case got.Cmp(tc.want) != 0:
				t.Errorf("parseDecimal(%q) = %v, want %v", tc.wire, got, tc.want)
			}
		}
	})
	t.Run("format exact", func(t *testing.T) {
		for _, tc := range []struct {
			r    *big.Rat
			wire string
		}{
			{big.NewRat(5, 4), "1.25"},
			{big.NewRat(-14456, 1000), "-14.456"},
			{big.NewRat(1000, 1), "1000"},
			{new(big.Rat), "0"},
			{big.NewRat(-1, 8), "-0.125"},
			{big.NewRat(1, 20), "0.05"},
			{big.NewRat(1, 1024), "0.0009765625"},
			{big.NewRat(123456789, 100), "1234567.89"},
			{new(big.Rat).SetInt(bigInt("10000000000000000000000000000000000000000")), "10000000000000000000000000000000000000000"},
		} {
			got := formatDecimal(tc.r)
			if got != tc.wire {
				t.Errorf("formatDecimal(%v) = %q, want %q", tc.r, got, tc.wire)
			}
			if back, err := parseDecimal(got); err != nil || back.Cmp(tc.r) != 0 {
				t.Errorf("parseDecimal(%q) = %v, %v; want %v", got, back, err, tc.r)
			}
		}
	})
	t.Run("format rounded", func(t *testing.T) {
		// A fraction with no finite decimal form is rounded; the text
		// must still be a decimal and within 10^-34 of the value.
		limit := new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Exp(big.NewInt(10), big.NewInt(34), nil))
		for _, r := range []*big.Rat{big.NewRat(1, 3), big.NewRat(2, 3), big.NewRat(-1, 7), big.NewRat(100, 3), big.NewRat(22, 7)} {
			got := formatDecimal(r)
			back, err := parseDecimal(got)
			if err != nil || strings.ContainsAny(got, "/eE") {
				t.Errorf("formatDecimal(%v) = %q: not a plain decimal (%v)", r, got, err)
				continue
			}
			diff := new(big.Rat).Sub(back, r)
			if diff.Abs(diff).Cmp(limit) > 0 {
				t.Errorf("formatDecimal(%v) = %q is %v away", r, got, diff.FloatString(40))
			}
		}
	})
}

// TestCodecBase64Bytes checks j values: standard, padded base64 with no
// line breaks, the empty value empty (sections 3.1 and 14).
func TestCodecBase64Bytes(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  []byte
		wire string
	}{
		{"empty", []byte{}, ""},
		{"one zero byte", []byte{0}, "AA=="},
		{"two bytes", []byte{0, 1}, "AAE="},
		{"uses + and /", []byte{0, 1, 0xfe, 0xff}, "AAH+/w=="},
		{"text", []byte("hello"), "aGVsbG8="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := encodeBytes(tc.raw); got != tc.wire {
				t.Errorf("encodeBytes(%v) = %q, want %q", tc.raw, got, tc.wire)
			}
			got, err := decodeBytes(tc.wire)
			if err != nil || !bytes.Equal(got, tc.raw) {
				t.Errorf("decodeBytes(%q) = %v, %v; want %v", tc.wire, got, err, tc.raw)
			}
		})
	}
	t.Run("one MiB on one line", func(t *testing.T) {
		raw := make([]byte, 1<<20)
		for i := range raw {
			raw[i] = byte(i * 7)
		}
		wire := encodeBytes(raw)
		if strings.ContainsAny(wire, "\r\n") {
			t.Fatal("base64 of 1 MiB spans lines")
		}
		got, err := decodeBytes(wire)
		if err != nil || !bytes.Equal(got, raw) {
			t.Fatalf("1 MiB did not survive: %v", err)
		}
	})
	for _, bad := range []string{"!!!!", "AAH-_w==", "A", "AA=", "AA==AA==x"} {
		t.Run("rejects "+bad, func(t *testing.T) {
			if got, err := decodeBytes(bad); err == nil {
				t.Errorf("decodeBytes(%q) = %v, want an error", bad, got)
			}
		})
	}
}

// codecEntry is the entry point of the servers in these tests.
type codecEntry struct{}

func (codecEntry) Echo(s string) string { return s }

// newCodecServer is a server with its registry ready and nothing to dial
// but a closed loopback port.
func newCodecServer(t *testing.T) *Server {
	t.Helper()
	s := &Server{EntryPoint: codecEntry{}, CallbackAddr: "127.0.0.1:1"}
	s.init()
	t.Cleanup(func() { s.Close() })
	return s
}

func TestDecodePartTypeTags(t *testing.T) {
	s := newCodecServer(t)
	list := &javaList{items: []any{1, "x"}}
	m := newJavaMap()
	set := newJavaSet()
	it := &javaIterator{items: []any{1}}
	obj := &codecEntry{}
	s.reg.putAs("o100", list)
	s.reg.putAs("o101", m)
	s.reg.putAs("o102", set)
	s.reg.putAs("o103", obj)
	s.reg.putAs("o104", it)

	same := func(want any) func(any) bool { return func(got any) bool { return got == want } }
	for _, tc := range []struct {
		part string
		ok   func(any) bool
		want string // for the failure message
	}{
		{"n", same(nil), "nil"},
		{"v", same(nil), "nil"},
		{"bTrue", same(true), "true"}, // what Python sends
		{"bFalse", same(false), "false"},
		{"btrue", same(true), "true"},
		{"bfalse", same(false), "false"},
		{"bTRUE", same(true), "true"},
		{"bFaLsE", same(false), "false"},
		{"i0", same(0), "int 0"},
		{"i1", same(1), "int 1"},
		{"i-2147483648", same(math.MinInt32), "int -2147483648"},
		{"i2147483647", same(math.MaxInt32), "int 2147483647"},
		// Python never sends i outside int32; Java would read a long.
		{"i3000000000", same(3000000000), "int 3000000000"},
		{"L2147483648", same(int64(1 << 31)), "int64 2147483648"},
		{"L-9223372036854775808", same(int64(math.MinInt64)), "int64 min"},
		{"L9223372036854775808", func(v any) bool { b, ok := v.(*big.Int); return ok && b.Cmp(bigInt("9223372036854775808")) == 0 }, "*big.Int 2^63"},
		{"L-123456789012345678901234567890", func(v any) bool {
			b, ok := v.(*big.Int)
			return ok && b.Cmp(bigInt("-123456789012345678901234567890")) == 0
		}, "*big.Int"},
		{"d0.1", same(0.1), "0.1"},
		{"d1e-05", same(1e-05), "1e-05"},
		{"d1e+100", same(1e100), "1e100"},
		{"d3.0", same(3.0), "float64 3"},
		{"dInfinity", same(math.Inf(1)), "+Inf"},
		{"d-Infinity", same(math.Inf(-1)), "-Inf"},
		{"dNaN", func(v any) bool { f, ok := v.(float64); return ok && math.IsNaN(f) }, "NaN"},
		{"d-0.0", func(v any) bool { f, ok := v.(float64); return ok && f == 0 && math.Signbit(f) }, "-0"},
		{"D1.25", func(v any) bool { r, ok := v.(*big.Rat); return ok && r.Cmp(big.NewRat(5, 4)) == 0 }, "*big.Rat 5/4"},
		{"D-14.456", func(v any) bool { r, ok := v.(*big.Rat); return ok && r.Cmp(big.NewRat(-14456, 1000)) == 0 }, "*big.Rat -14.456"},
		{"D1E+3", func(v any) bool { r, ok := v.(*big.Rat); return ok && r.Cmp(big.NewRat(1000, 1)) == 0 }, "*big.Rat 1000"},
		{"s", same(""), `""`},
		{"shello", same("hello"), `"hello"`},
		{`sa\nb\rc\\d`, same("a\nb\rc\\d"), `"a\nb\rc\\d"`},
		{"s漢字\t😀", same("漢字\t😀"), "non-ASCII"},
		{"se", same("e"), `"e"`},
		{"j", func(v any) bool { p, ok := v.([]byte); return ok && len(p) == 0 }, "empty []byte"},
		{"jAAH+/w==", func(v any) bool { p, ok := v.([]byte); return ok && bytes.Equal(p, []byte{0, 1, 0xfe, 0xff}) }, "[]byte{0 1 254 255}"},
		{"rt", func(v any) bool { _, ok := v.(codecEntry); return ok }, "the entry point"},
		{"rGATEWAY_SERVER", func(v any) bool { g, ok := v.(*gatewayServer); return ok && g.s == s }, "the GATEWAY_SERVER object"},
		{"ro100", same(list), "the list"},
		{"lo100", same(list), "the list"},
		{"ao101", same(m), "the map"},
		{"ho102", same(set), "the set"},
		{"to103", same(obj), "the object"},
		{"go104", same(it), "the iterator"},
		{"ro101", same(m), "the map (r names any object)"},
		{"fp0;demo.Listener", func(v any) bool {
			p, ok := v.(*Proxy)
			return ok && p.ID == "p0" && slices.Equal(p.Interfaces, []string{"demo.Listener"}) && p.s == s
		}, "proxy p0 implementing demo.Listener"},
		{"fp1", func(v any) bool { p, ok := v.(*Proxy); return ok && p.ID == "p1" && len(p.Interfaces) == 0 }, "proxy p1"},
		{"fp2;a.B;c.D", func(v any) bool {
			p, ok := v.(*Proxy)
			return ok && p.ID == "p2" && slices.Equal(p.Interfaces, []string{"a.B", "c.D"})
		}, "proxy p2 implementing a.B and c.D"},
	} {
		t.Run(tc.part, func(t *testing.T) {
			got, err := s.decodePart(tc.part)
			if err != nil {
				t.Fatalf("decodePart(%q): %v", tc.part, err)
			}
			if !tc.ok(got) {
				t.Errorf("decodePart(%q) = %#v (%T), want %s", tc.part, got, got, tc.want)
			}
		})
	}
}

// TestDecodePartRejectsMalformed checks that a value the gateway cannot
// read is a decodeError, which the reply turns into !xs (section 5.1:
// argument decoding problems are a plain Py4JError).
func TestDecodePartRejectsMalformed(t *testing.T) {
	s := newCodecServer(t)
	for _, tc := range []struct{ name, part string }{
		{"empty part", ""},
		{"int without digits", "i"},
		{"int with letters", "ix"},
		{"int with a fraction", "i1.5"},
		{"int beyond int64", "i99999999999999999999"},
		{"boolean without text", "b"},
		{"boolean as a number", "b1"},
		{"boolean as yes", "byes"},
		{"long without digits", "L"},
		{"long with a fraction", "L1.5"},
		{"long with letters", "Lx"},
		{"double without digits", "d"},
		{"double with a comma", "d1,5"},
		{"double with letters", "dx"},
		{"decimal without digits", "D"},
		{"decimal fraction", "D1/3"},
		{"decimal with letters", "Dx"},
		{"bytes not base64", "j!!!!"},
		{"bytes without padding", "jAA"},
		{"unknown object", "ro999"},
		{"unknown list", "lo999"},
		{"reference without id", "r"},
		{"proxy without id", "f"},
		{"proxy with interfaces but no id", "f;demo.Listener"},
		{"unknown tag x", "x1"},
		{"upper-case I is no tag", "I1"},
		{"upper-case N is no tag", "N"},
		{"end marker is no value", "e"},
		{"question mark", "?"},
		{"non-ASCII tag", "é1"},
		{"invalid UTF-8 tag", "\xff1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.decodePart(tc.part)
			var derr *decodeError
			if !errors.As(err, &derr) {
				t.Fatalf("decodePart(%q) = %#v, %v; want a *decodeError", tc.part, got, err)
			}
			reply := s.dispatch(context.Background(), &command{name: "c", lines: []string{"t", "echo", tc.part}})
			if !strings.HasPrefix(reply, "!xs") || strings.ContainsAny(reply, "\r\n") || !utf8.ValidString(reply) {
				t.Errorf("a call with argument %q answered %q, want one valid !xs line", tc.part, reply)
			}
		})
	}
}

func TestDecodePartsStopsAtFirstError(t *testing.T) {
	s := newCodecServer(t)
	for _, tc := range []struct {
		name  string
		parts []string
		want  []any // nil for an error
	}{
		{"none", []string{}, []any{}},
		{"addition arguments", []string{"i1", "i2"}, []any{1, 2}},
		{"mixed", []string{"sa", "n", "bTrue", "L5000000000"}, []any{"a", nil, true, int64(5000000000)}},
		{"bad second part", []string{"i1", "ix", "i3"}, nil},
		{"bad first part", []string{"", "i1"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.decodeParts(tc.parts)
			if tc.want == nil {
				var derr *decodeError
				if !errors.As(err, &derr) {
					t.Errorf("decodeParts(%q) = %v, %v; want a *decodeError", tc.parts, got, err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("decodeParts(%q) = %#v, %v; want %#v", tc.parts, got, err, tc.want)
			}
		})
	}
}

func TestEncodeValueTags(t *testing.T) {
	s := newCodecServer(t)
	type myInt int16
	type myString string
	for _, tc := range []struct {
		name string
		v    any
		part string
	}{
		{"nil", nil, "n"},
		{"true", true, "btrue"},
		{"false", false, "bfalse"},
		{"int", 3, "i3"},
		{"int32 max", math.MaxInt32, "i2147483647"},
		{"int32 min", math.MinInt32, "i-2147483648"},
		{"just beyond int32", math.MaxInt32 + 1, "L2147483648"},
		{"just below int32", math.MinInt32 - 1, "L-2147483649"},
		{"int64 small", int64(-7), "i-7"},
		{"int64 max", int64(math.MaxInt64), "L9223372036854775807"},
		{"int32", int32(12), "i12"},
		{"int8", int8(-5), "i-5"},
		{"named int", myInt(9), "i9"},
		{"uint8", uint8(255), "i255"},
		{"uint32 max", uint32(math.MaxUint32), "L4294967295"},
		{"uint64 max", uint64(math.MaxUint64), "L18446744073709551615"},
		{"big.Int small", big.NewInt(5), "i5"},
		{"big.Int beyond int64", bigInt("123456789012345678901234567890"), "L123456789012345678901234567890"},
		{"nil big.Int", (*big.Int)(nil), "n"},
		{"float64", 0.1, "d0.1"},
		{"float64 integer", 2.0, "d2"},
		{"float64 +Inf", math.Inf(1), "dInfinity"},
		{"float64 -Inf", math.Inf(-1), "d-Infinity"},
		{"float64 NaN", math.NaN(), "dNaN"},
		{"float32", float32(0.5), "d0.5"},
		{"big.Rat", big.NewRat(5, 4), "D1.25"},
		{"big.Rat integer", big.NewRat(1000, 1), "D1000"},
		{"nil big.Rat", (*big.Rat)(nil), "n"},
		{"nil big.Float", (*big.Float)(nil), "n"},
		{"string", "hello", "shello"},
		{"empty string", "", "s"},
		{"string with newlines", "a\nb\\c\r", `sa\nb\\c\r`},
		{"string with bad UTF-8", "a\xffb", "sa\uFFFDb"},
		{"named string", myString("x\ny"), `sx\ny`},
		{"bytes", []byte{0, 1, 0xfe, 0xff}, "jAAH+/w=="},
		{"empty bytes", []byte{}, "j"},
		{"nil slice", []string(nil), "n"},
		{"nil map", map[string]int(nil), "n"},
		{"nil pointer", (*codecEntry)(nil), "n"},
		{"nil func", (func())(nil), "n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.encodeValue(tc.v); got != tc.part {
				t.Errorf("encodeValue(%#v) = %q, want %q", tc.v, got, tc.part)
			}
		})
	}
}

// TestEncodeValueReferences checks that collections go out as list, map
// and set references (section 3.1: l, a, h, g) and everything else as r,
// each under an id that resolves to the value.
func TestEncodeValueReferences(t *testing.T) {
	s := newCodecServer(t)
	ptr := &codecEntry{}
	err := errors.New("boom")
	it := &javaIterator{items: []any{1}}
	list := &javaList{items: []any{"x"}}
	listHas := func(want ...any) func(any) bool {
		return func(v any) bool {
			l, ok := v.(*javaList)
			return ok && reflect.DeepEqual(append([]any{}, l.snapshot()...), append([]any{}, want...))
		}
	}
	for _, tc := range []struct {
		name string
		v    any
		tag  byte
		ok   func(any) bool
	}{
		{"string slice", []string{"a", "b"}, 'l', listHas("a", "b")},
		{"int64 slice normalised", []int64{1, 2}, 'l', listHas(1, 2)},
		{"array", [2]bool{true, false}, 'l', listHas(true, false)},
		{"empty slice", []int{}, 'l', listHas()},
		{"gateway list", list, 'l', func(v any) bool { return v == list }},
		{"map", map[string]int{"b": 2, "a": 1}, 'a', func(v any) bool {
			m, ok := v.(*javaMap)
			return ok && reflect.DeepEqual(m.entries(), []entry{{"a", 1}, {"b", 2}})
		}},
		{"set", map[string]struct{}{"x": {}}, 'h', func(v any) bool {
			st, ok := v.(*javaSet)
			return ok && reflect.DeepEqual(st.snapshot(), []any{"x"})
		}},
		{"iterator", it, 'g', func(v any) bool { return v == it }},
		{"pointer", ptr, 'r', func(v any) bool { return v == ptr }},
		{"struct value", codecEntry{}, 'r', func(v any) bool { _, ok := v.(codecEntry); return ok }},
		{"error", err, 'r', func(v any) bool { return v == err }},
		{"function", func() {}, 'r', func(v any) bool { return reflect.TypeOf(v).Kind() == reflect.Func }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			part := s.encodeValue(tc.v)
			if len(part) < 2 || part[0] != tc.tag {
				t.Fatalf("encodeValue(%#v) = %q, want tag %c and an id", tc.v, part, tc.tag)
			}
			got, ok := s.reg.get(part[1:])
			if !ok {
				t.Fatalf("encodeValue(%#v) = %q, but id %q is not registered", tc.v, part, part[1:])
			}
			if !tc.ok(got) {
				t.Errorf("id %q of encodeValue(%#v) holds %#v", part[1:], tc.v, got)
			}
			back, err := s.decodePart("r" + part[1:])
			if err != nil || !tc.ok(back) {
				t.Errorf("decodePart(r%s) = %#v, %v", part[1:], back, err)
			}
		})
	}
}

// TestEncodeValueFreshIDPerHandOut checks section 4: the same object
// returned twice gets two ids, both resolving to it.
func TestEncodeValueFreshIDPerHandOut(t *testing.T) {
	s := newCodecServer(t)
	ptr := &codecEntry{}
	for _, v := range []any{ptr, &javaList{}, newJavaMap(), newJavaSet(), &javaIterator{}, errors.New("e")} {
		a, b := s.encodeValue(v), s.encodeValue(v)
		if a == b {
			t.Errorf("%T handed out twice under the same id %q", v, a)
		}
		for _, part := range []string{a, b} {
			if got, ok := s.reg.get(part[1:]); !ok || got != v {
				t.Errorf("%T: id %q holds %v, %v", v, part[1:], got, ok)
			}
		}
	}
}

// TestEncodeDecodeRoundTrip checks values that travel by value come back
// as they left (callback arguments go out with encodeValue and Python
// echoes them with the same tags).
func TestEncodeDecodeRoundTrip(t *testing.T) {
	s := newCodecServer(t)
	for _, tc := range []struct {
		name     string
		in, want any
	}{
		{"nil", nil, nil},
		{"true", true, true},
		{"int", 42, 42},
		{"int64 in int32 range comes back as int", int64(42), 42},
		{"int64 beyond int32", int64(1 << 40), int64(1 << 40)},
		{"big.Int", bigInt("-99999999999999999999999"), bigInt("-99999999999999999999999")},
		{"float", 0.1, 0.1},
		{"infinity", math.Inf(-1), math.Inf(-1)},
		{"string", "a\\n\nb\r", "a\\n\nb\r"},
		{"bytes", []byte{1, 2, 3}, []byte{1, 2, 3}},
		{"decimal", big.NewRat(-1, 8), big.NewRat(-1, 8)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			part := s.encodeValue(tc.in)
			got, err := s.decodePart(part)
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("decodePart(encodeValue(%#v) = %q) = %#v, %v; want %#v", tc.in, part, got, err, tc.want)
			}
		})
	}
}

type codecListener interface{ Notify(string) }

type codecAdapted struct{ p *Proxy }

func (codecAdapted) Notify(string) {}

func TestConvertGoTargets(t *testing.T) {
	s := newCodecServer(t)
	s.Adapters = map[string]func(*Proxy) any{"demo.Listener": func(p *Proxy) any { return codecAdapted{p} }}
	ints := &javaList{items: []any{1, int64(2), big.NewInt(3)}}
	mixed := &javaList{items: []any{1, "x"}}
	strs := newJavaSet()
	strs.add("a")
	strs.add("b")
	counts := newJavaMap()
	counts.put("a", 1)
	counts.put("b", int64(1<<40))
	proxy := &Proxy{ID: "p0", Interfaces: []string{"demo.Listener"}, s: s}
	bare := &Proxy{ID: "p1", s: s}

	for _, tc := range []struct {
		name string
		v    any
		to   reflect.Type
		want any // nil for an error (or a zero value, see zero)
		zero bool
	}{
		{"int to int32", 5, reflect.TypeFor[int32](), int32(5), false},
		{"int32 max to int32", math.MaxInt32, reflect.TypeFor[int32](), int32(math.MaxInt32), false},
		{"int just beyond int32 rejected", math.MaxInt32 + 1, reflect.TypeFor[int32](), nil, false},
		{"int just below int32 rejected", math.MinInt32 - 1, reflect.TypeFor[int32](), nil, false},
		{"int64 beyond int32 rejected", int64(1 << 40), reflect.TypeFor[int32](), nil, false},
		{"int64 to int32 in range", int64(-7), reflect.TypeFor[int32](), int32(-7), false},
		{"int to int64 (i for an int64 parameter)", 5, reflect.TypeFor[int64](), int64(5), false},
		{"int to int8 overflow rejected", 128, reflect.TypeFor[int8](), nil, false},
		{"big.Int beyond int64 rejected", bigInt("9223372036854775808"), reflect.TypeFor[int64](), nil, false},
		{"int to uint8", 255, reflect.TypeFor[uint8](), uint8(255), false},
		{"int to uint8 overflow rejected", 256, reflect.TypeFor[uint8](), nil, false},
		{"negative int to uint rejected", -1, reflect.TypeFor[uint](), nil, false},
		{"big.Int to uint64", bigInt("18446744073709551615"), reflect.TypeFor[uint64](), uint64(math.MaxUint64), false},
		{"int to float64", 3, reflect.TypeFor[float64](), 3.0, false},
		{"int64 to float64", int64(1 << 40), reflect.TypeFor[float64](), float64(1 << 40), false},
		{"big.Int to float64", bigInt("1000000000000000000000"), reflect.TypeFor[float64](), 1e21, false},
		{"decimal to float64", big.NewRat(5, 4), reflect.TypeFor[float64](), 1.25, false},
		{"float to float32", 0.5, reflect.TypeFor[float32](), float32(0.5), false},
		{"float to int rejected", 1.5, reflect.TypeFor[int](), nil, false},
		{"string to int rejected", "1", reflect.TypeFor[int](), nil, false},
		{"bool to string rejected", true, reflect.TypeFor[string](), nil, false},
		{"string to string", "x", reflect.TypeFor[string](), "x", false},
		{"bytes to bytes", []byte{1}, reflect.TypeFor[[]byte](), []byte{1}, false},
		{"string to bytes rejected", "x", reflect.TypeFor[[]byte](), nil, false},
		{"anything to any", 5, reflect.TypeFor[any](), 5, false},
		{"nil to pointer", nil, reflect.TypeFor[*codecEntry](), (*codecEntry)(nil), true},
		{"nil to slice", nil, reflect.TypeFor[[]int64](), []int64(nil), true},
		{"nil to map", nil, reflect.TypeFor[map[string]int](), map[string]int(nil), true},
		{"nil to interface", nil, reflect.TypeFor[error](), nil, true},
		{"nil to func", nil, reflect.TypeFor[func()](), (func())(nil), true},
		{"nil to int rejected", nil, reflect.TypeFor[int](), nil, false},
		{"nil to string rejected", nil, reflect.TypeFor[string](), nil, false},
		{"nil to struct rejected", nil, reflect.TypeFor[codecEntry](), nil, false},
		{"list to []int64", ints, reflect.TypeFor[[]int64](), []int64{1, 2, 3}, false},
		{"list to []float64", ints, reflect.TypeFor[[]float64](), []float64{1, 2, 3}, false},
		{"list to [3]int", ints, reflect.TypeFor[[3]int](), [3]int{1, 2, 3}, false},
		{"list to [2]int length mismatch rejected", ints, reflect.TypeFor[[2]int](), nil, false},
		{"list with a string to []int64 rejected", mixed, reflect.TypeFor[[]int64](), nil, false},
		{"list to []any", mixed, reflect.TypeFor[[]any](), []any{1, "x"}, false},
		{"list to map rejected", ints, reflect.TypeFor[map[string]int](), nil, false},
		{"list to string rejected", ints, reflect.TypeFor[string](), nil, false},
		{"set to []string", strs, reflect.TypeFor[[]string](), []string{"a", "b"}, false},
		{"set to map[string]struct{}", strs, reflect.TypeFor[map[string]struct{}](), map[string]struct{}{"a": {}, "b": {}}, false},
		{"set to map[string]bool", strs, reflect.TypeFor[map[string]bool](), map[string]bool{"a": true, "b": true}, false},
		{"set to map[string]int rejected", strs, reflect.TypeFor[map[string]int](), nil, false},
		{"map to map[string]int64", counts, reflect.TypeFor[map[string]int64](), map[string]int64{"a": 1, "b": 1 << 40}, false},
		{"map value overflow rejected", counts, reflect.TypeFor[map[string]int32](), nil, false},
		{"map to slice rejected", counts, reflect.TypeFor[[]int](), nil, false},
		{"int to big.Int", 7, reflect.TypeFor[*big.Int](), big.NewInt(7), false},
		{"float to big.Rat", 0.5, reflect.TypeFor[*big.Rat](), big.NewRat(1, 2), false},
		{"NaN to big.Rat rejected", math.NaN(), reflect.TypeFor[*big.Rat](), nil, false},
		{"int to big.Rat", 3, reflect.TypeFor[*big.Rat](), big.NewRat(3, 1), false},
		{"string to big.Int rejected", "7", reflect.TypeFor[*big.Int](), nil, false},
		{"proxy through its adapter", proxy, reflect.TypeFor[codecListener](), codecAdapted{proxy}, false},
		{"proxy to *Proxy", proxy, reflect.TypeFor[*Proxy](), proxy, false},
		{"proxy without adapter rejected", bare, reflect.TypeFor[codecListener](), nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.convert(tc.v, tc.to)
			if tc.want == nil && !tc.zero {
				var cerr *conversionError
				if !errors.As(err, &cerr) || cerr.msg == "" || strings.ContainsAny(cerr.msg, "\r\n") {
					t.Fatalf("convert(%#v, %s) = %v, %v; want a one-line *conversionError", tc.v, tc.to, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("convert(%#v, %s): %v", tc.v, tc.to, err)
			}
			if !got.Type().AssignableTo(tc.to) {
				t.Errorf("convert(%#v, %s) is a %s, which a %s parameter does not take", tc.v, tc.to, got.Type(), tc.to)
			}
			if tc.zero {
				if !got.IsZero() {
					t.Errorf("convert(nil, %s) = %v, want the zero value", tc.to, got)
				}
				return
			}
			if !reflect.DeepEqual(got.Interface(), tc.want) {
				t.Errorf("convert(%#v, %s) = %#v, want %#v", tc.v, tc.to, got.Interface(), tc.want)
			}
		})
	}
	t.Run("int32 overflow names the value and the type", func(t *testing.T) {
		_, err := s.convert(math.MaxInt32+1, reflect.TypeFor[int32]())
		if err == nil || !strings.Contains(err.Error(), "2147483648") || !strings.Contains(err.Error(), "int32") {
			t.Errorf("error %v does not name 2147483648 and int32", err)
		}
	})
}
