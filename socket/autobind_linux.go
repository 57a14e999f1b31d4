package socket

import (
	"os"

	"golang.org/x/sys/unix"
)

// AutobindFD binds a Unix socket to a unique abstract name the kernel
// picks: bind(2) with an address of only the family. A unixgram client
// needs a name for the server to reply to; net.Dialer skips binding an
// empty name, so the endpoint package calls this from its Control func.
func AutobindFD(fd uintptr) error {
	if err := unix.Bind(int(fd), &unix.SockaddrUnix{}); err != nil {
		return os.NewSyscallError("bind", err)
	}
	return nil
}
