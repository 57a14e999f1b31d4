package cli

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// fdOf calls f with s's file descriptor, if s is an *os.File, without
// putting the file into blocking mode as os.File.Fd would; it reports
// whether it did.
func fdOf(s any, f func(fd int)) bool {
	file, ok := s.(*os.File)
	if !ok {
		return false
	}
	rc, err := file.SyscallConn()
	if err != nil {
		return false
	}
	return rc.Control(func(fd uintptr) { f(int(fd)) }) == nil
}

// isTerminal reports whether s, a reader or writer, is a terminal: a file
// the kernel keeps terminal settings for. Being a character device is not
// enough: /dev/null is one.
func isTerminal(s any) bool {
	tty := false
	fdOf(s, func(fd int) { tty = term.IsTerminal(fd) })
	return tty
}

// terminalWidth is the width of the terminal w writes to, or 0 if it is
// not one or does not say.
func terminalWidth(w any) int {
	width := 0
	fdOf(w, func(fd int) {
		if cols, _, err := term.GetSize(fd); err == nil {
			width = cols
		}
	})
	return width
}

// progressLine rewrites one line of a terminal in place: each Show
// replaces the last, cut to the terminal's width so that it never wraps
// (a wrapped line cannot be rewritten), and Clear leaves the line empty.
type progressLine struct {
	w     io.Writer
	width int // 0: unknown, lines are not cut
}

func newProgressLine(w io.Writer) *progressLine {
	return &progressLine{w: w, width: terminalWidth(w)}
}

func (p *progressLine) Show(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	if p.width > 1 && len(line) > p.width-1 {
		line = line[:p.width-1]
	}
	fmt.Fprintf(p.w, "\r\033[K%s", line)
}

func (p *progressLine) Clear() { fmt.Fprint(p.w, "\r\033[K") }
