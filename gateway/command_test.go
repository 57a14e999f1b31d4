package gateway

// Table-driven tests of the command reader (command.go: lineReader,
// readCommand, command.encode) and fuzz targets for the reader plus
// dispatch and for string escaping. Command blocks are the ones Py4J's
// Python client sends (../shared/py4j-protocol.md, sections 2 and 7).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// readResult names what readCommand returned, for the tables.
type readResult int

const (
	readOK          readResult = iota
	readDecodeError            // *decodeError: the block was consumed, the stream is in step
	readUnknown                // errUnknownCommand
	readTooMany                // errTooManyLines
	readEOF                    // io.EOF: the stream ended inside the block
	readCutLine                // io.ErrUnexpectedEOF: the last line has no newline
)

func (r readResult) String() string {
	return [...]string{"a command", "a *decodeError", "errUnknownCommand", "errTooManyLines", "io.EOF", "io.ErrUnexpectedEOF"}[r]
}

// classify maps readCommand's error to a readResult.
func classify(err error) (readResult, bool) {
	var derr *decodeError
	switch {
	case err == nil:
		return readOK, true
	case errors.As(err, &derr):
		return readDecodeError, true
	case errors.Is(err, errUnknownCommand):
		return readUnknown, true
	case errors.Is(err, errTooManyLines):
		return readTooMany, true
	case errors.Is(err, io.ErrUnexpectedEOF):
		return readCutLine, true
	case errors.Is(err, io.EOF):
		return readEOF, true
	}
	return 0, false
}

// readOne reads a command's first line and the rest of its block.
func readOne(lr *lineReader) (*command, error) {
	first, err := lr.readLine()
	if err != nil {
		return nil, err
	}
	return readCommand(lr, first)
}

// nextBlock follows each block in the tables: it must decode afterwards
// whenever the block before it was consumed whole.
const nextBlock = "c\nt\naddition\ni1\ni2\ne\n"

// validBlocks are the command blocks Python sends, one or more per shape
// in commandShapes, with the lines readCommand must return.
var validBlocks = []struct {
	name  string
	block string
	lines []string
}{
	{"call with arguments", "c\nt\naddition\ni1\ni2\ne\n", []string{"t", "addition", "i1", "i2"}},
	{"call without arguments", "c\no0\nsize\ne\n", []string{"o0", "size"}},
	{"static call", "c\nz:java.lang.System\ncurrentTimeMillis\ne\n", []string{"z:java.lang.System", "currentTimeMillis"}},
	{"call of a method named e", "c\nt\ne\ne\n", []string{"t", "e"}},
	{"call of a method named e with an argument", "c\nt\ne\ni1\ne\n", []string{"t", "e", "i1"}},
	{"call with a string that reads e", "c\nt\necho\nse\ne\n", []string{"t", "echo", "se"}},
	{"call with a proxy", "c\nt\nregister\nfp0;demo.Listener\ne\n", []string{"t", "register", "fp0;demo.Listener"}},
	{"call with an empty string", "c\nt\necho\ns\ne\n", []string{"t", "echo", "s"}},
	{"constructor", "i\njava.util.ArrayList\ne\n", []string{"java.util.ArrayList"}},
	{"constructor with an argument", "i\njava.util.ArrayList\nro1\ne\n", []string{"java.util.ArrayList", "ro1"}},
	{"stream call", "S\no1\nread\ne\n", []string{"o1", "read"}},
	{"stream call of a method named e", "S\nt\ne\ne\n", []string{"t", "e"}},
	{"field get", "f\ng\nt\nname\ne\n", []string{"g", "t", "name"}},
	{"field set", "f\ns\nt\nname\ni5\ne\n", []string{"s", "t", "name", "i5"}},
	{"list slice", "l\nl\no1\ni0\ni2\ne\n", []string{"l", "o1", "i0", "i2"}},
	{"list concatenation", "l\na\no1\no2\ne\n", []string{"a", "o1", "o2"}},
	{"list multiplication", "l\nm\no1\ni3\ne\n", []string{"m", "o1", "i3"}},
	{"list in-place multiplication", "l\ni\no1\ni3\ne\n", []string{"i", "o1", "i3"}},
	{"list count", "l\nf\no1\nsx\ne\n", []string{"f", "o1", "sx"}},
	{"list sort", "l\ns\no1\ne\n", []string{"s", "o1"}},
	{"list reverse", "l\nr\no1\ne\n", []string{"r", "o1"}},
	{"array get", "a\ng\no1\ni0\ne\n", []string{"g", "o1", "i0"}},
	{"array set", "a\ns\no1\ni0\nsx\ne\n", []string{"s", "o1", "i0", "sx"}},
	{"array create", "a\nc\nsint\ni3\ne\n", []string{"c", "sint", "i3"}},
	{"memory release", "m\nd\no3\ne\n", []string{"d", "o3"}},
	{"exception text", "p\nro0\ne\n", []string{"ro0"}},
	{"reflection unknown name", "r\nu\nSystem\nrj\ne\n", []string{"u", "System", "rj"}},
	{"reflection member", "r\nm\npy4j.reflection.TypeUtil\nisInstanceOf\ne\n", []string{"m", "py4j.reflection.TypeUtil", "isInstanceOf"}},
	{"reflection class", "r\nc\njava.lang.String\ne\n", []string{"c", "java.lang.String"}},
	{"dir of methods", "d\nm\no1\ne\n", []string{"m", "o1"}},
	{"dir of a JVM view", "d\nv\nrj\nn\ne\n", []string{"v", "rj", "n"}},
	{"help on an object", "h\no\no1\nn\nbTrue\ne\n", []string{"o", "o1", "n", "bTrue"}},
	{"help on a class", "h\nc\njava.util.ArrayList\nsget\nbFalse\ne\n", []string{"c", "java.util.ArrayList", "sget", "bFalse"}},
	{"JVM view import", "j\ni\nrj\njava.util.*\ne\n", []string{"i", "rj", "java.util.*"}},
	{"JVM view creation", "j\nc\nsview\ne\n", []string{"c", "sview"}},
	{"JVM view import removal", "j\nr\nrj\njava.util.*\ne\n", []string{"r", "rj", "java.util.*"}},
	{"proxy release", "g\np0\ne\n", []string{"p0"}},
	{"shutdown", "s\n", []string{}},
	{"authentication", "A\ntoken\n", []string{"token"}},
	{"authentication with an escaped token", "A\nto\\\\ken\\n\n", []string{`to\\ken\n`}},
	{"authentication with the token e", "A\ne\n", []string{"e"}},
	{"cancel", "z\n127.0.0.1\n50000\n25333\n", []string{"127.0.0.1", "50000", "25333"}},
}

// TestReadCommandShapes reads one valid block of each shape and checks
// that the block was consumed exactly: the next command still decodes.
func TestReadCommandShapes(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range validBlocks {
		t.Run(tc.name, func(t *testing.T) {
			lr := newLineReader(strings.NewReader(tc.block+nextBlock), 1024)
			cmd, err := readOne(lr)
			if err != nil {
				t.Fatalf("readCommand(%q): %v", tc.block, err)
			}
			name, _, _ := strings.Cut(tc.block, "\n")
			covered[name] = true
			if cmd.name != name || !slices.Equal(cmd.lines, tc.lines) {
				t.Errorf("readCommand(%q) = %q %q, want %q %q", tc.block, cmd.name, cmd.lines, name, tc.lines)
			}
			next, err := readOne(lr)
			if err != nil || next.encode() != nextBlock {
				t.Fatalf("after %q the next command is %v, %v: the stream is out of step", tc.block, next, err)
			}
			if _, err := readOne(lr); err != io.EOF {
				t.Errorf("after the last block: %v, want io.EOF", err)
			}
		})
	}
	for name := range commandShapes {
		if !covered[name] {
			t.Errorf("no valid block of command %q in the table", name)
		}
	}
}

// TestReadCommandAllShapesInOneStream reads every valid block back to
// back, as one connection would carry them.
func TestReadCommandAllShapesInOneStream(t *testing.T) {
	var stream strings.Builder
	for _, tc := range validBlocks {
		stream.WriteString(tc.block)
	}
	lr := newLineReader(strings.NewReader(stream.String()), 1024)
	for _, tc := range validBlocks {
		cmd, err := readOne(lr)
		if err != nil || cmd.encode() != tc.block {
			t.Fatalf("%s: got %v, %v; want %q", tc.name, cmd, err, tc.block)
		}
	}
	if _, err := readOne(lr); err != io.EOF {
		t.Errorf("at the end: %v, want io.EOF", err)
	}
}

// TestReadCommandErrors covers blocks that do not decode. A decodeError
// must leave the stream at the next block (section 2: on any decoding
// problem still consume through e); the other errors end the connection.
func TestReadCommandErrors(t *testing.T) {
	long := strings.Repeat("x", 20)
	for _, tc := range []struct {
		name  string
		block string
		max   int // line cap; 1024 if 0
		want  readResult
	}{
		{"call ended before its target", "c\ne\n", 0, readDecodeError},
		{"stream call ended before its target", "S\ne\n", 0, readDecodeError},
		{"field ended after its sub-command", "f\ng\ne\n", 0, readDecodeError},
		{"list operation ended after its sub-command", "l\ns\ne\n", 0, readDecodeError},
		{"memory ended before its sub-command", "m\ne\n", 0, readDecodeError},
		{"reflection ended before its sub-command", "r\ne\n", 0, readDecodeError},
		{"dir ended before its sub-command", "d\ne\n", 0, readDecodeError},
		{"help ended before its sub-command", "h\ne\n", 0, readDecodeError},
		{"JVM view ended before its sub-command", "j\ne\n", 0, readDecodeError},
		{"proxy release ended before its id", "g\ne\n", 0, readDecodeError},
		{"argument longer than the cap", "c\nt\necho\ns" + long + "\ni1\ne\n", 16, readDecodeError},
		{"two arguments longer than the cap", "c\nt\necho\ns" + long + "\ns" + long + "\ne\n", 16, readDecodeError},
		{"method name longer than the cap", "c\nt\n" + long + "\ni1\ne\n", 16, readDecodeError},
		{"target longer than the cap", "c\n" + long + "\nm\ne\n", 16, readDecodeError},
		{"auth token longer than the cap", "A\n" + long + "\n", 16, readDecodeError},
		{"cancel field longer than the cap", "z\n" + long + "\n1\n2\n", 16, readDecodeError},
		{"argument beyond bufio's buffer and the cap", "c\nt\necho\ns" + strings.Repeat("y", 150<<10) + "\ne\n", 100 << 10, readDecodeError},
		{"unknown command letter", "Q\nt\ne\n", 0, readUnknown},
		{"empty command line", "\n", 0, readUnknown},
		{"end marker as a command", "e\n", 0, readUnknown},
		{"a reply is not a command", "!yv\n", 0, readUnknown},
		{"CRLF line ending", "c\r\nt\r\nm\r\ne\r\n", 0, readUnknown},
		{"reply letter y is not a command", "y\n", 0, readUnknown},
		{"stream ends inside the arguments", "c\nt\naddition\ni1\n", 0, readEOF},
		{"stream ends inside the fixed fields", "f\ng\n", 0, readEOF},
		{"stream ends before the auth token", "A\n", 0, readEOF},
		{"stream ends after a too-long line", "c\nt\nm\ns" + long + "\n", 16, readEOF},
		{"end marker without its newline", "c\nt\naddition\ni1\ne", 0, readCutLine},
		{"argument without its newline", "c\nt\naddition\ni1", 0, readCutLine},
		{"too-long last line without its newline", "c\nt\nm\ns" + long, 16, readCutLine},
	} {
		t.Run(tc.name, func(t *testing.T) {
			max := tc.max
			if max == 0 {
				max = 1024
			}
			in := tc.block
			if tc.want == readDecodeError {
				in += nextBlock
			}
			lr := newLineReader(strings.NewReader(in), max)
			cmd, err := readOne(lr)
			got, ok := classify(err)
			if !ok || got != tc.want {
				t.Fatalf("readCommand(%q) = %v, %v; want %v", clip(tc.block), cmd, err, tc.want)
			}
			if err != nil && cmd != nil {
				t.Errorf("readCommand(%q) returned a command with its error", clip(tc.block))
			}
			var derr *decodeError
			if errors.As(err, &derr) && (derr.msg == "" || !utf8.ValidString(escape(derr.msg))) {
				t.Errorf("decode error %q cannot go out as !xs", derr.msg)
			}
			if tc.want == readDecodeError {
				next, err := readOne(lr)
				if err != nil || next.encode() != nextBlock {
					t.Fatalf("after %q the next command is %v, %v: the stream is out of step", clip(tc.block), next, err)
				}
			}
		})
	}
}

// TestReadCommandLineCapBoundary checks the line cap at its boundary, for lines
// inside bufio's 64 KiB buffer and beyond it.
func TestReadCommandLineCapBoundary(t *testing.T) {
	for _, tc := range []struct {
		name    string
		max     int
		argLen  int // bytes of the argument line, its tag included
		tooLong bool
	}{
		{"exactly the cap", 16, 16, false},
		{"one byte over the cap", 16, 17, true},
		{"empty argument", 16, 1, false},
		{"70 KiB under a 100 KiB cap", 100 << 10, 70 << 10, false},
		{"exactly a 100 KiB cap", 100 << 10, 100 << 10, false},
		{"one byte over a 100 KiB cap", 100 << 10, 100<<10 + 1, true},
		{"64 KiB, bufio's buffer, over a 16 byte cap", 16, 64 << 10, true},
		{"1 MiB of base64 under the default cap", DefaultMaxLineBytes, 1<<20*4/3 + 4, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			arg := "s" + strings.Repeat("z", tc.argLen-1)
			lr := newLineReader(strings.NewReader("c\nt\necho\n"+arg+"\ne\n"+nextBlock), tc.max)
			cmd, err := readOne(lr)
			var derr *decodeError
			switch {
			case tc.tooLong && !errors.As(err, &derr):
				t.Fatalf("a %d-byte line under a %d-byte cap: %v, want a *decodeError", tc.argLen, tc.max, err)
			case !tc.tooLong && err != nil:
				t.Fatalf("a %d-byte line under a %d-byte cap: %v", tc.argLen, tc.max, err)
			case !tc.tooLong && (len(cmd.lines) != 3 || cmd.lines[2] != arg):
				t.Fatalf("a %d-byte line under a %d-byte cap came back as %d lines", tc.argLen, tc.max, len(cmd.lines))
			}
			next, err := readOne(lr)
			if err != nil || next.encode() != nextBlock {
				t.Fatalf("the next command is %v, %v: the stream is out of step", next, err)
			}
		})
	}
}

// TestReadCommandStreamStaysInStep reads a stream mixing good blocks,
// malformed ones and a too-long command line, the way conn.serve loops,
// and checks every block is read as itself.
func TestReadCommandStreamStaysInStep(t *testing.T) {
	long := strings.Repeat("w", 40)
	steps := []struct {
		block string
		want  string // the command's encoding, or "decode" or "too long"
	}{
		{"c\nt\naddition\ni1\ni2\ne\n", "c\nt\naddition\ni1\ni2\ne\n"},
		{"c\ne\n", "decode"},
		{long + "\n", "too long"}, // a command line over the cap: readLine's error
		{"m\nd\no1\ne\n", "m\nd\no1\ne\n"},
		{"c\nt\necho\ns" + long + "\ne\n", "decode"},
		{"s\n", "s\n"},
		{"f\ng\ne\n", "decode"},
		{"A\n" + long + "\n", "decode"},
		{"z\n127.0.0.1\n1\n2\n", "z\n127.0.0.1\n1\n2\n"},
		{"c\nt\ne\ne\n", "c\nt\ne\ne\n"},
	}
	var stream strings.Builder
	for _, st := range steps {
		stream.WriteString(st.block)
	}
	lr := newLineReader(strings.NewReader(stream.String()), 32)
	for i, st := range steps {
		first, err := lr.readLine()
		if st.want == "too long" {
			if err != errLineTooLong {
				t.Fatalf("step %d: %q, %v; want errLineTooLong", i, first, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		cmd, err := readCommand(lr, first)
		var derr *decodeError
		switch {
		case st.want == "decode":
			if !errors.As(err, &derr) {
				t.Fatalf("step %d (%q): %v, %v; want a *decodeError", i, clip(st.block), cmd, err)
			}
		case err != nil || cmd.encode() != st.want:
			t.Fatalf("step %d (%q): %v, %v", i, clip(st.block), cmd, err)
		}
	}
	if _, err := lr.readLine(); err != io.EOF {
		t.Errorf("at the end: %v, want io.EOF", err)
	}
}

// TestReadCommandTooManyLines checks the bound on the lines of one block
// with the real maxCommandLines (a block of 64 Ki short lines is cheap):
// exactly maxCommandLines lines decode, one more is errTooManyLines.
func TestReadCommandTooManyLines(t *testing.T) {
	block := func(args int) string {
		var b strings.Builder
		b.WriteString("c\nt\nsum\n")
		for range args {
			b.WriteString("i1\n")
		}
		b.WriteString("e\n")
		return b.String()
	}
	for _, tc := range []struct {
		name string
		args int
		want readResult
	}{
		{"one line under the bound", maxCommandLines - 3, readOK},
		{"exactly the bound", maxCommandLines - 2, readOK},
		{"one line over the bound", maxCommandLines - 1, readTooMany},
		{"far over the bound", maxCommandLines + 100, readTooMany},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd, err := readOne(newLineReader(strings.NewReader(block(tc.args)), 64))
			got, ok := classify(err)
			if !ok || got != tc.want {
				t.Fatalf("%d argument lines: %v, want %v", tc.args, err, tc.want)
			}
			if got == readOK && len(cmd.lines) != tc.args+2 {
				t.Errorf("%d argument lines came back as %d lines", tc.args, len(cmd.lines))
			}
		})
	}
	t.Run("a block without e cannot grow past the bound", func(t *testing.T) {
		// An endless stream of "n" lines: the reader gives up after the
		// bound instead of reading on.
		r := &repeatReader{line: []byte("n\n")}
		_, err := readOne(newLineReader(io.MultiReader(strings.NewReader("c\nt\nm\n"), r), 64))
		if !errors.Is(err, errTooManyLines) {
			t.Fatalf("endless block: %v, want errTooManyLines", err)
		}
		if max := int64(maxCommandLines+64<<10) * 2; r.n > max {
			t.Errorf("read %d bytes of an endless block, more than %d", r.n, max)
		}
	})
}

// repeatReader yields line forever and counts the bytes read.
type repeatReader struct {
	line []byte
	n    int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n+len(r.line) <= len(p) {
		n += copy(p[n:], r.line)
	}
	r.n += int64(n)
	return n, nil
}

// TestReadCommandEncodeRoundTrip checks that encode writes a command as it
// travels: readCommand reads back the same command, and a block read from
// the wire encodes to the same bytes.
func TestReadCommandEncodeRoundTrip(t *testing.T) {
	for _, tc := range validBlocks {
		t.Run("wire "+tc.name, func(t *testing.T) {
			cmd, err := readOne(newLineReader(strings.NewReader(tc.block), 1024))
			if err != nil {
				t.Fatal(err)
			}
			if got := cmd.encode(); got != tc.block {
				t.Errorf("encode() = %q, want %q", got, tc.block)
			}
		})
	}
	for _, tc := range []struct {
		name string
		cmd  command
	}{
		{"call", command{"c", []string{"t", "addition", "i1", "i2"}}},
		{"call of a method named e", command{"c", []string{"t", "e"}}},
		{"call of a method named e with arguments", command{"c", []string{"t", "e", "se", "i1"}}},
		{"stream call of a method named e", command{"S", []string{"o1", "e"}}},
		{"callback with every value tag", command{"c", []string{"p0", "notify", "n", "v", "btrue", "i1", "L5000000000", "d0.5", "D1.25", `sa\nb`, "jAA==", "ro1", "lo2", "ao3", "ho4", "to5", "go6"}}},
		{"proxy release", command{"g", []string{"p0"}}},
		{"memory", command{"m", []string{"d", "o1"}}},
		{"shutdown", command{"s", nil}},
		{"authentication", command{"A", []string{"secret"}}},
		{"authentication with the token e", command{"A", []string{"e"}}},
		{"cancel", command{"z", []string{"127.0.0.1", "1234", "25333"}}},
	} {
		t.Run("built "+tc.name, func(t *testing.T) {
			wire := tc.cmd.encode()
			if !strings.HasSuffix(wire, "\n") {
				t.Fatalf("encode() = %q does not end its last line", wire)
			}
			lr := newLineReader(strings.NewReader(wire+nextBlock), 1024)
			got, err := readOne(lr)
			if err != nil {
				t.Fatalf("readCommand(%q): %v", wire, err)
			}
			if got.name != tc.cmd.name || !slices.Equal(got.lines, tc.cmd.lines) {
				t.Errorf("readCommand(%q) = %q %q, want %q %q", wire, got.name, got.lines, tc.cmd.name, tc.cmd.lines)
			}
			if next, err := readOne(lr); err != nil || next.encode() != nextBlock {
				t.Errorf("after %q the next command is %v, %v", wire, next, err)
			}
		})
	}
}

// fuzzCallbackAddr is the only address fuzzed commands may reach: a closed
// loopback port.
const fuzzCallbackAddr = "127.0.0.1:1"

// fuzzReadEntry is the entry point fuzzed commands call.
type fuzzReadEntry struct{}

func (fuzzReadEntry) Addition(a, b int32) int32 { return a + b }
func (fuzzReadEntry) Echo(s string) string      { return s }
func (fuzzReadEntry) Fail() error               { return errors.New("failed on purpose") }
func (fuzzReadEntry) Scale(xs []int64, f float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x) * f
	}
	return out
}

// Run calls the Python object back: with the callback address closed it
// fails at once, on loopback.
func (fuzzReadEntry) Run(ctx context.Context, p *Proxy) (any, error) { return p.Call(ctx, "run") }

// fuzzGatewayServer stands in for GATEWAY_SERVER in the fuzz target. It
// passes every call to the real object except a resetCallbackClient that
// would move callbacks off fuzzCallbackAddr: a fuzzed input must never
// make the test dial anywhere else.
type fuzzGatewayServer struct{ real *gatewayServer }

func (g *fuzzGatewayServer) javaClass() string { return g.real.javaClass() }

func (g *fuzzGatewayServer) invoke(ctx context.Context, s *Server, method string, args []any) (any, error) {
	if method == "resetCallbackClient" && len(args) == 2 {
		host, hostOK := "", true
		switch a := args[0].(type) {
		case *inetAddress:
			host = a.host
		case string:
			host = a
		case nil:
		default:
			hostOK = false
		}
		port, portOK := args[1].(int)
		if hostOK && portOK && port >= 0 && port <= 65535 {
			if host == "" {
				host, _ = g.real.s.callbackAddress()
			}
			if addr := net.JoinHostPort(host, strconv.Itoa(port)); addr != fuzzCallbackAddr {
				return nil, &dispatchError{"fuzz test: callbacks stay at " + fuzzCallbackAddr + ", not " + addr}
			}
		}
	}
	return g.real.invoke(ctx, s, method, args)
}

// dispatchLimit bounds one fuzzed dispatch: past it the command is taken
// to have deadlocked.
const dispatchLimit = 30 * time.Second

// replyTags are the letters that may follow !y (sections 3.1 and 7); not
// f, which Python cannot decode.
const replyTags = "nvbiLdDsjrlahtgopcm"

// FuzzReadCommand feeds arbitrary bytes to a line reader with a small cap,
// reads commands as a connection does, and runs each one that decodes
// through dispatch: nothing may panic or hang, and every reply must be one
// valid UTF-8 line that Python can read.
func FuzzReadCommand(f *testing.F) {
	for _, tc := range validBlocks {
		f.Add([]byte(tc.block))
	}
	for _, seed := range []string{
		// A session as Python drives it (sections 7 and 8).
		"c\nt\naddition\ni1\ni2\ne\nc\nt\necho\nsa\\nb\\\\c\ne\nc\nt\nfail\ne\np\nro0\ne\nc\no0\ngetMessage\ne\nm\nd\no0\ne\n",
		"r\nu\nSystem\nrj\ne\nr\nm\njava.lang.System\ncurrentTimeMillis\ne\nc\nz:java.lang.System\ncurrentTimeMillis\ne\n",
		"i\njava.util.ArrayList\ne\nc\no0\nadd\nL5\ne\nc\no0\nadd\ni7\ne\nc\nt\nscale\nro0\nd2.5\ne\nc\no1\niterator\ne\n" +
			"r\nm\npy4j.reflection.TypeUtil\nisInstanceOf\ne\nc\nz:py4j.reflection.TypeUtil\nisInstanceOf\nsjava.util.Iterator\nro2\ne\nc\no2\nnext\ne\n",
		"i\njava.util.ArrayList\ne\nc\no0\nadd\ni3\ne\nl\nl\no0\ni0\ne\nl\na\no0\no0\ne\nl\nm\no0\ni2\ne\nl\ni\no0\ni2\ne\nl\nf\no0\ni3\ne\nl\ns\no0\ne\nl\nr\no0\ne\n",
		"i\njava.util.HashMap\ne\nc\no0\nput\nsk\ni1\ne\nc\no0\nget\nsk\ne\nc\no0\nkeySet\ne\nc\no0\ntoString\ne\n",
		"i\njava.util.HashSet\ne\nc\no0\nadd\nbTrue\ne\nc\no0\ncontains\nbTrue\ne\nc\no0\nhashCode\ne\n",
		"c\nt\nrun\nfp0;demo.Listener\ne\nc\nt\necho\nfp1\ne\n",
		"c\nGATEWAY_SERVER\ngetCallbackClient\ne\nc\no0\ngetAddress\ne\nc\nGATEWAY_SERVER\nresetCallbackClient\nro1\ni1\ne\nc\nGATEWAY_SERVER\ngetPythonPort\ne\n",
		"c\nt\nscale\nn\ndInfinity\ne\nc\nt\necho\njAAH+/w==\ne\nc\nt\naddition\nL99999999999999999999\nD1E+3\ne\n",
		"d\nm\nt\ne\nh\no\nt\nn\nbTrue\ne\nj\ni\nrj\njava.util.*\ne\nr\nu\nArrayList\nrj\ne\nf\ng\nt\nx\ne\n",
		"c\ne\nc\nt\naddition\ni1\ni2\ne\n",
		"c\nt\necho\ns" + strings.Repeat("x", 100) + "\ne\nc\nt\naddition\ni1\ni2\ne\n",
		"c\nt\naddition\ni1\n",
		"s\nA\ntoken\nz\n127.0.0.1\n1\n2\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		s := &Server{EntryPoint: fuzzReadEntry{}, CallbackAddr: fuzzCallbackAddr}
		s.init()
		defer s.Close()
		gs, _ := s.reg.get("GATEWAY_SERVER")
		s.reg.putAs("GATEWAY_SERVER", &fuzzGatewayServer{gs.(*gatewayServer)})

		const lineCap = 64
		lr := newLineReader(bytes.NewReader(in), lineCap)
		for range 1000 {
			first, err := lr.readLine()
			if err == errLineTooLong {
				continue // a connection would end here; read on to explore
			}
			if err != nil {
				return
			}
			cmd, err := readCommand(lr, first)
			var derr *decodeError
			switch {
			case errors.As(err, &derr):
				if reply := "!xs" + escape(derr.msg); strings.ContainsAny(reply, "\r\n") || !utf8.ValidString(reply) {
					t.Fatalf("decode error reply %q is not one valid line", reply)
				}
				continue
			case err != nil:
				return
			}
			for _, l := range cmd.lines {
				if len(l) > lineCap {
					t.Fatalf("a %d-byte line past the %d-byte cap", len(l), lineCap)
				}
			}
			reply := dispatchWithin(t, s, cmd)
			checkReply(t, s, cmd, reply)
			if host, port := s.callbackAddress(); net.JoinHostPort(host, strconv.Itoa(port)) != fuzzCallbackAddr {
				t.Fatalf("%q moved callbacks to %s:%d", cmd.encode(), host, port)
			}
		}
	})
}

// dispatchWithin runs cmd, failing the test if it does not return within
// dispatchLimit (a deadlock).
func dispatchWithin(t *testing.T, s *Server, cmd *command) string {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan string, 1)
	go func() { done <- s.dispatch(ctx, cmd) }()
	timer := time.NewTimer(dispatchLimit)
	defer timer.Stop()
	select {
	case reply := <-done:
		return reply
	case <-timer.C:
		t.Fatalf("dispatch of %q did not return within %v", clip(cmd.encode()), dispatchLimit)
		return ""
	}
}

// checkReply checks a reply is what Python can read: one valid UTF-8 line,
// !y with a value, or !x/!z with an optional error part; a reference
// names a registered id (section 14).
func checkReply(t *testing.T, s *Server, cmd *command, reply string) {
	t.Helper()
	bad := func(why string) { t.Fatalf("reply %q to %q: %s", clip(reply), clip(cmd.encode()), why) }
	if strings.ContainsAny(reply, "\r\n") {
		bad("spans lines")
	}
	if !utf8.ValidString(reply) {
		bad("is not valid UTF-8")
	}
	if len(reply) < 2 || reply[0] != '!' || !strings.ContainsRune("yxz", rune(reply[1])) {
		bad("does not start with !y, !x or !z")
	}
	part := reply[2:]
	if reply[1] == 'y' {
		if part == "" || !strings.ContainsRune(replyTags, rune(part[0])) {
			bad("!y without a value part")
		}
		if strings.ContainsRune("rlahtg", rune(part[0])) {
			if _, ok := s.reg.get(part[1:]); !ok {
				bad(fmt.Sprintf("id %q is not registered", part[1:]))
			}
		}
		return
	}
	if strings.HasPrefix(part, "r") {
		if _, ok := s.reg.get(part[1:]); !ok {
			bad(fmt.Sprintf("error id %q is not registered", part[1:]))
		}
	}
}

// FuzzEscape checks that any valid string survives the wire both ways:
// the gateway reads back what it writes, writes what Python's
// escape_new_line writes, and Python's unescape_new_line reads it back.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "plain", "a\nb", "a\rb", "\r\n", `\`, `\\`, `\n`, `\\n`, "\\\n", `C:\new\dir`, "tab\there", "漢字😀", "\x00", "a\xffb", `end\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		wire := escape(s)
		if strings.ContainsAny(wire, "\r\n") {
			t.Fatalf("escape(%q) = %q spans lines", s, wire)
		}
		if !utf8.ValidString(wire) {
			t.Fatalf("escape(%q) = %q is not valid UTF-8", s, wire)
		}
		if !utf8.ValidString(s) {
			if want := strings.ToValidUTF8(s, "\uFFFD"); unescape(wire) != want {
				t.Fatalf("unescape(escape(%q)) = %q, want %q", s, unescape(wire), want)
			}
			return
		}
		if got := unescape(wire); got != s {
			t.Fatalf("unescape(escape(%q)) = %q", s, got)
		}
		if py := pyEscape(s); wire != py {
			t.Fatalf("escape(%q) = %q, Python sends %q", s, wire, py)
		}
		if got := pyUnescape(wire); got != s {
			t.Fatalf("Python reads escape(%q) = %q as %q", s, wire, got)
		}
	})
}
