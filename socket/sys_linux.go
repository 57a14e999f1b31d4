package socket

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The system calls that take or return a socket address, made directly so
// that the address's length survives: it tells an unnamed Unix socket
// from an abstract one, and an abstract name's end. Each returns nil or a
// unix.Errno.

// errnoErr returns e as an error, nil for 0.
func errnoErr(e unix.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

// retryEINTR calls fn until it fails with something other than EINTR.
func retryEINTR(fn func() error) error {
	for {
		if err := fn(); err != unix.EINTR {
			return err
		}
	}
}

func sysBind(fd int, sa *sockaddr) error {
	_, _, e := unix.Syscall(unix.SYS_BIND, uintptr(fd), uintptr(unsafe.Pointer(&sa.raw)), uintptr(sa.len))
	return errnoErr(e)
}

func sysConnect(fd int, sa *sockaddr) error {
	_, _, e := unix.Syscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(&sa.raw)), uintptr(sa.len))
	return errnoErr(e)
}

func sysAccept4(fd int, sa *sockaddr, flags int) (int, error) {
	sa.len = unix.SizeofSockaddrAny
	r, _, e := unix.Syscall6(unix.SYS_ACCEPT4, uintptr(fd), uintptr(unsafe.Pointer(&sa.raw)), uintptr(unsafe.Pointer(&sa.len)), uintptr(flags), 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

func sysGetsockname(fd int, sa *sockaddr) error {
	sa.len = unix.SizeofSockaddrAny
	_, _, e := unix.Syscall(unix.SYS_GETSOCKNAME, uintptr(fd), uintptr(unsafe.Pointer(&sa.raw)), uintptr(unsafe.Pointer(&sa.len)))
	return errnoErr(e)
}

func sysGetpeername(fd int, sa *sockaddr) error {
	sa.len = unix.SizeofSockaddrAny
	_, _, e := unix.Syscall(unix.SYS_GETPEERNAME, uintptr(fd), uintptr(unsafe.Pointer(&sa.raw)), uintptr(unsafe.Pointer(&sa.len)))
	return errnoErr(e)
}

// sysSendto is send(2) when to is nil, sendto(2) otherwise.
func sysSendto(fd int, p []byte, flags int, to *sockaddr) (int, error) {
	var buf, addr unsafe.Pointer
	var alen uint32
	if len(p) > 0 {
		buf = unsafe.Pointer(&p[0])
	}
	if to != nil {
		addr, alen = unsafe.Pointer(&to.raw), to.len
	}
	r, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(buf), uintptr(len(p)), uintptr(flags), uintptr(addr), uintptr(alen))
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// sysRecvfrom is recv(2) when from is nil, recvfrom(2) otherwise.
func sysRecvfrom(fd int, p []byte, flags int, from *sockaddr) (int, error) {
	var buf, addr, alen unsafe.Pointer
	if len(p) > 0 {
		buf = unsafe.Pointer(&p[0])
	}
	if from != nil {
		from.len = unix.SizeofSockaddrAny
		addr, alen = unsafe.Pointer(&from.raw), unsafe.Pointer(&from.len)
	}
	r, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(buf), uintptr(len(p)), uintptr(flags), uintptr(addr), uintptr(alen))
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}
