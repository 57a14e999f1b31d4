package socket

import (
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// Gethostname returns the host's name. Linux has no gethostname system
// call (the C library's reads uname(2)'s nodename, as this does); tr, if
// not nil, sees it as the call "gethostname", with the quoted name as its
// Args.
func Gethostname(tr Tracer) (string, error) {
	const op = "gethostname"
	start := time.Now()
	var uts unix.Utsname
	err := unix.Uname(&uts)
	name := unix.ByteSliceToString(uts.Nodename[:])
	if tr != nil {
		c := Call{Op: op, FD: -1, Err: err, Dur: time.Since(start)}
		if err != nil {
			c.Ret = -1
		} else {
			c.Args = strconv.Quote(name)
		}
		tr(c)
	}
	if err != nil {
		return "", &OpError{Op: op, Err: err}
	}
	return name, nil
}
