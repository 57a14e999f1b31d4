package gateway

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// A command is one request block: its name (the first line) and the lines
// that follow it up to, not including, the end marker "e". Fields are
// positional: for "c" the target id and the method name, then the
// argument parts.
type command struct {
	name  string
	lines []string
}

// String is the command as it travels, for errors and logs.
func (c *command) String() string {
	return strings.Join(append([]string{c.name}, c.lines...), `⏎`)
}

// commandShape gives, for each command Py4J's Python client sends, how many
// positional lines come before the argument parts, and whether the block
// ends with "e". A method named "e" cannot then be taken for the end.
// commandShapes says, for each command, which fixed fields follow its
// letter and whether the block ends with "e". Fixed fields are read by
// position, as Py4J's Java server reads them, so a raw name that happens
// to be "e" (a field, a method, an import called e) is a name, not the end
// of the block. Each field is one of:
//
//	I  an object id, never "e": "e" there means the block ended early
//	T  a typed part (rj), never "e" either
//	N  a raw name, taken as it is
//	S  the sub-command, whose fields follow from subs (default: none);
//	   "e" there ends the block early, except for a, whose length
//	   sub-command is e
//
// The typed argument parts after the fixed fields run to "e".
var commandShapes = map[string]struct {
	fixed string
	subs  map[string]string
	ended bool
}{
	"c": {fixed: "IN", ended: true},                                                                 // call: target, method, args
	"i": {fixed: "N", ended: true},                                                                  // constructor: class, args
	"S": {fixed: "IN", ended: true},                                                                 // stream call: target, method, args
	"f": {fixed: "S", subs: map[string]string{"g": "IN", "s": "IN"}, ended: true},                   // field: target, name, [value]
	"l": {fixed: "SI", ended: true},                                                                 // list op: list id, args
	"a": {fixed: "S", subs: map[string]string{"e": "I", "g": "I", "s": "I", "l": "I"}, ended: true}, // array op
	"m": {fixed: "SI", ended: true},                                                                 // memory: d, id
	"r": {fixed: "S", subs: map[string]string{"u": "N", "m": "NN", "c": "N"}, ended: true},          // reflection
	"d": {fixed: "S", subs: map[string]string{"m": "I", "f": "I", "s": "N"}, ended: true},           // dir
	"h": {fixed: "S", subs: map[string]string{"o": "I", "c": "N"}, ended: true},                     // help
	"j": {fixed: "S", subs: map[string]string{"i": "TN", "r": "TN"}, ended: true},                   // jvm view
	"p": {ended: true},                                                                              // exception text: ref
	"g": {fixed: "I", ended: true},                                                                  // release of a proxy (sent to, not by, Python; accepted)
	"s": {},
	"A": {fixed: "N"},
	"z": {fixed: "NNN"},
}

// Errors of the command reader. A decodeError leaves the connection in
// step (the block was read through its end), so the reply is an error
// line; the others end the connection.
var (
	errUnknownCommand = errors.New("unknown command")
	errTooManyLines   = errors.New("command has too many lines")
)

// decodeError is a malformed but fully consumed command.
type decodeError struct{ msg string }

func (e *decodeError) Error() string { return e.msg }

// lineReader reads '\n'-terminated lines of any length up to max bytes.
// A longer line is read to its end and discarded, so the stream stays in
// step, and reported as errLineTooLong.
type lineReader struct {
	r   *bufio.Reader
	max int
	buf []byte
}

var errLineTooLong = errors.New("line too long")

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10), max: max}
}

// readLine returns the next line without its '\n'. A final line without a
// newline is io.ErrUnexpectedEOF; no line at all is io.EOF.
func (lr *lineReader) readLine() (string, error) {
	frag, err := lr.r.ReadSlice('\n')
	if err == nil {
		if len(frag)-1 > lr.max {
			return "", errLineTooLong
		}
		return string(frag[:len(frag)-1]), nil
	}
	lr.buf = append(lr.buf[:0], frag...)
	tooLong := false
	for err == bufio.ErrBufferFull {
		frag, err = lr.r.ReadSlice('\n')
		if !tooLong {
			lr.buf = append(lr.buf, frag...)
			if len(lr.buf) > lr.max+1 {
				tooLong, lr.buf = true, lr.buf[:0]
			}
		}
	}
	if err != nil {
		if err == io.EOF && (len(lr.buf) > 0 || tooLong) {
			err = io.ErrUnexpectedEOF
		}
		return "", err
	}
	if tooLong || len(lr.buf)-1 > lr.max {
		lr.buf = lr.buf[:0]
		return "", errLineTooLong
	}
	line := string(lr.buf[:len(lr.buf)-1])
	if cap(lr.buf) > 1<<20 {
		lr.buf = nil // do not keep a large buffer for the connection's life
	}
	return line, nil
}

var fieldNames = map[byte]string{'I': "object id", 'T': "typed field", 'N': "name", 'S': "sub-command"}

// maxCommandLines bounds the lines of one block: a client that never sends
// the end marker cannot grow memory without limit.
const maxCommandLines = 1 << 16

// readCommand reads one whole command whose first line is name (already
// read). On a decodeError the block has been consumed through "e".
func readCommand(lr *lineReader, name string) (*command, error) {
	shape, ok := commandShapes[name]
	if !ok {
		return nil, fmt.Errorf("%w %q", errUnknownCommand, name)
	}
	cmd := &command{name: name, lines: make([]string, 0, 8)}
	var bad error
	fixed := shape.fixed
	for i := 0; i < len(fixed); i++ {
		line, err := lr.readLine()
		if err == errLineTooLong {
			bad = err
			line = ""
		} else if err != nil {
			return nil, err
		}
		kind := fixed[i]
		if shape.ended && line == "e" && (kind == 'I' || kind == 'T' || kind == 'S' && name != "a") {
			// The block ended early: a short command.
			return nil, &decodeError{fmt.Sprintf("command %q ended after %d fields, before its %s", name, i, fieldNames[kind])}
		}
		cmd.lines = append(cmd.lines, line)
		if kind == 'S' {
			fixed = fixed[:i+1] + shape.subs[line] + fixed[i+1:]
		}
	}
	if !shape.ended {
		if bad != nil {
			return nil, &decodeError{fmt.Sprintf("command %q: %v", name, bad)}
		}
		return cmd, nil
	}
	for {
		line, err := lr.readLine()
		switch {
		case err == errLineTooLong:
			bad = err
			continue
		case err != nil:
			return nil, err
		case line == "e":
			if bad != nil {
				return nil, &decodeError{fmt.Sprintf("command %q: a line is longer than %d bytes", name, lr.max)}
			}
			return cmd, nil
		}
		if len(cmd.lines) >= maxCommandLines {
			return nil, errTooManyLines
		}
		cmd.lines = append(cmd.lines, line)
	}
}

// encode writes the command as it travels (used by tests and callbacks).
func (c *command) encode() string {
	var b strings.Builder
	b.WriteString(c.name)
	b.WriteByte('\n')
	for _, l := range c.lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	if commandShapes[c.name].ended {
		b.WriteString("e\n")
	}
	return b.String()
}
