package socket

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// SendZeroCopyFD sends p on the connected stream socket fd with
// MSG_ZEROCOPY: the kernel sends from p's pages rather than a copy, and
// tells of each send's completion on the socket's error queue (read them
// with [ZeroCopyDoneFD]); until then p must not change. The socket needs
// [ZeroCopy] on first; without it the flag is ignored and the send
// copies. Where the data is delivered on this host (loopback) the kernel
// copies anyway. Untraced, for [syscall.RawConn.Write]: it returns
// unix.EAGAIN when the socket's buffer is full, and ENOBUFS when the
// completions waiting on the error queue have used the socket's option
// memory.
func SendZeroCopyFD(fd uintptr, p []byte) (int, error) {
	return unix.SendmsgN(int(fd), p, nil, nil, unix.MSG_ZEROCOPY)
}

// ZeroCopyDoneFD reads the completions of MSG_ZEROCOPY sends waiting on
// fd's error queue, without waiting, and returns how many sends they
// cover and how many of those the kernel had to copy after all
// (SO_EE_CODE_ZEROCOPY_COPIED: on loopback, every one).
func ZeroCopyDoneFD(fd uintptr) (done, copied int, err error) {
	oob := make([]byte, 128)
	for {
		_, oobn, _, _, err := unix.Recvmsg(int(fd), nil, oob, unix.MSG_ERRQUEUE|unix.MSG_DONTWAIT)
		if err == unix.EAGAIN {
			return done, copied, nil
		}
		if err != nil {
			return done, copied, err
		}
		cmsgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil {
			return done, copied, err
		}
		for _, c := range cmsgs {
			if len(c.Data) < int(unsafe.Sizeof(unix.SockExtendedErr{})) {
				continue
			}
			ee := (*unix.SockExtendedErr)(unsafe.Pointer(&c.Data[0]))
			if ee.Origin != unix.SO_EE_ORIGIN_ZEROCOPY {
				continue
			}
			// Info to Data is the range of send numbers completed.
			n := int(ee.Data-ee.Info) + 1
			done += n
			if ee.Code&unix.SO_EE_CODE_ZEROCOPY_COPIED != 0 {
				copied += n
			}
		}
	}
}
