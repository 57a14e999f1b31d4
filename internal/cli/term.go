package cli

import (
	"os"
	"syscall"
	"unsafe"
)

// isTerminal reports whether s, a reader or writer, is a terminal: a file
// the kernel keeps terminal settings for. Being a character device is not
// enough: /dev/null is one.
func isTerminal(s any) bool {
	f, ok := s.(*os.File)
	if !ok {
		return false
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	var settings syscall.Termios
	errno := syscall.ENOTTY
	rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TCGETS, uintptr(unsafe.Pointer(&settings)))
	})
	return errno == 0
}
