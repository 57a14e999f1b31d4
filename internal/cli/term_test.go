package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/sockit/sockit/internal/testnet"
)

// openPty opens a pseudo-terminal pair, or skips the test when the machine
// has none.
func openPty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	ioctl := func(req uintptr, arg unsafe.Pointer) error {
		if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), req, uintptr(arg)); errno != 0 {
			return errno
		}
		return nil
	}
	var unlock int32
	var n uint32
	if err := ioctl(syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	if err := ioctl(syscall.TIOCGPTN, unsafe.Pointer(&n)); err != nil {
		t.Fatalf("pty number: %v", err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("cannot open the pty's terminal side: %v", err)
	}
	t.Cleanup(func() { slave.Close() })
	return master, slave
}

func TestIsTerminal(t *testing.T) {
	_, slave := openPty(t)
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	file, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	tests := []struct {
		name string
		w    io.Writer
		want bool
	}{
		{"pty", slave, true},
		{"/dev/null (a character device)", null, false},
		{"pipe", pw, false},
		{"file", file, false},
		{"buffer", &bytes.Buffer{}, false},
	}
	for _, tc := range tests {
		if got := isTerminal(tc.w); got != tc.want {
			t.Errorf("isTerminal(%s) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestBenchProgressOnTerminal runs bench with its output on a terminal: it
// must rewrite a progress line each second (carriage return, clear to the
// end of the line) and clear it before the table. Off a terminal there is
// none: the other bench tests read the output from a buffer and parse it.
func TestBenchProgressOnTerminal(t *testing.T) {
	master, slave := openPty(t)
	read := make(chan string, 1)
	go func() {
		var out []byte
		buf := make([]byte, 4096)
		for { // until the slave side is closed: then Linux reports EIO
			n, err := master.Read(buf)
			out = append(out, buf[:n]...)
			if err != nil {
				if !errors.Is(err, syscall.EIO) {
					t.Errorf("read the terminal: %v", err)
				}
				break
			}
		}
		read <- string(out)
	}()
	var stderr bytes.Buffer
	code := Main(testnet.Context(t), []string{"bench", "--warmup", "0s", "-d", "2500ms"},
		IO{In: strings.NewReader(""), Out: slave, Err: &stderr})
	slave.Close()
	if code != 0 {
		t.Fatalf("bench: exit %d: %s", code, stderr.String())
	}
	var out string
	select {
	case out = <-read:
	case <-time.After(10 * time.Second):
		t.Fatal("the terminal's output did not end")
	}
	const clear = "\r\x1b[K"
	progress := regexp.MustCompile(`\r\x1b\[K +[12]\.\ds  [\d,]+ messages  0 errors`)
	if !progress.MatchString(out) {
		t.Fatalf("no progress line matching %v in %q", progress, out)
	}
	last := strings.LastIndex(out, clear)
	if after := out[last+len(clear):]; !strings.HasPrefix(strings.TrimLeft(after, " "), "run  msgs/s") {
		t.Errorf("the table does not follow the cleared progress line: %q", after)
	}
}

// TestProgressLineWidth: a progress line is cut to the terminal's width,
// less one column, so that it never wraps.
func TestProgressLineWidth(t *testing.T) {
	_, slave := openPty(t)
	if w := terminalWidth(slave); w != 0 {
		t.Errorf("a new terminal's width = %d, want 0 (unset)", w)
	}
	ws := struct{ rows, cols, x, y uint16 }{rows: 24, cols: 30}
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, slave.Fd(), syscall.TIOCSWINSZ, uintptr(unsafe.Pointer(&ws))); errno != 0 {
		t.Fatalf("set the window size: %v", errno)
	}
	if w := terminalWidth(slave); w != 30 {
		t.Fatalf("terminalWidth = %d, want 30", w)
	}
	if w := terminalWidth(&bytes.Buffer{}); w != 0 {
		t.Errorf("a buffer's width = %d", w)
	}
	var buf bytes.Buffer
	p := &progressLine{w: &buf, width: 30}
	p.Show("%s", strings.Repeat("x", 40))
	p.Clear()
	if want := "\r\x1b[K" + strings.Repeat("x", 29) + "\r\x1b[K"; buf.String() != want {
		t.Errorf("wrote %q, want %q", buf.String(), want)
	}
}
