package perf

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/sockit/sockit/socket"
)

// zeroCopyBlocks is how many blocks one sendfile(2) sends with -Z.
const zeroCopyBlocks = 8

// sendFile is send for a TCP stream with ZeroCopy: the blocks go from a
// file the kernel keeps in its page cache, by sendfile(2), never through
// this process's memory (iperf3 -Z does the same). It reports false,
// having sent nothing, if c is not a plain TCP connection or no file can
// be made: send then writes as usual.
func (s *stream) sendFile(ctx context.Context, size int, rate uint64, b *budget) (bool, error) {
	tc, ok := s.conn.(*net.TCPConn)
	if !ok {
		return false, nil
	}
	f, err := os.CreateTemp("", "sockit-perf-*")
	if err != nil {
		return false, nil
	}
	os.Remove(f.Name()) // the file lives as long as f
	defer f.Close()
	block := make([]byte, size)
	fillPayload(block)
	for range zeroCopyBlocks {
		if _, err := f.Write(block); err != nil {
			return false, nil
		}
	}
	s.sentBy = "sendfile"
	p := pacer{rate: rate, start: time.Now()}
	stop := context.AfterFunc(ctx, func() { s.conn.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	for ctx.Err() == nil {
		k := 0
		for k < zeroCopyBlocks && b.take(size) {
			k++
		}
		if k == 0 {
			return true, nil
		}
		if err := p.wait(ctx, k*size); err != nil {
			return true, nil
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return true, err
		}
		n, err := tc.ReadFrom(&io.LimitedReader{R: f, N: int64(k * size)})
		s.bytes.Add(uint64(n))
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) {
				return true, nil
			}
			return true, err
		}
	}
	return true, nil
}

// receiveDiscarding is receive for a TCP stream with SkipRxCopy: each
// recv(2) takes MSG_TRUNC, and the kernel drops what it counts rather
// than copying it out (TCP only, Linux 4.x; iperf3 3.19's
// --skip-rx-copy).
func (s *stream) receiveDiscarding(ctx context.Context, bufSize int) (bool, error) {
	tc, ok := s.conn.(*net.TCPConn)
	if !ok {
		return false, nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return false, nil
	}
	buf := make([]byte, bufSize) // never written: the kernel only needs its length
	stop := context.AfterFunc(ctx, func() { s.conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	for {
		var n int
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			n, _, rerr = syscall.Recvfrom(int(fd), buf, syscall.MSG_TRUNC)
			return rerr != syscall.EAGAIN
		})
		if err == nil {
			err = rerr
		}
		if n > 0 {
			s.bytes.Add(uint64(n))
			if s.received != nil {
				s.received(n)
			}
		}
		switch {
		case err == nil && n == 0:
			return true, nil // the end of the stream
		case err == nil:
		case ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, net.ErrClosed):
			return true, nil
		default:
			return true, err
		}
	}
}

// sendMsgZeroCopy is send for a TCP stream with ZeroCopyMsg: each write
// of up to zeroCopyBlocks blocks goes with MSG_ZEROCOPY, from a buffer
// that never changes, so that the kernel may send from its pages; the
// completions on the error queue are read as they come, and counted in
// zcCopied where the kernel copied after all (loopback always does). It
// reports false, having sent nothing, if c is not a plain TCP connection
// or the kernel refuses SO_ZEROCOPY.
func (s *stream) sendMsgZeroCopy(ctx context.Context, size int, rate uint64, b *budget) (bool, error) {
	tc, ok := s.conn.(*net.TCPConn)
	if !ok || setOption(tc, socket.ZeroCopy, 1) != nil {
		return false, nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return false, nil
	}
	s.sentBy = "MSG_ZEROCOPY"
	buf := make([]byte, zeroCopyBlocks*size)
	fillPayload(buf)
	drain := func() {
		rc.Control(func(fd uintptr) {
			if done, copied, err := socket.ZeroCopyDoneFD(fd); err == nil {
				s.zcDone.Add(int64(done))
				s.zcCopied.Add(int64(copied))
			}
		})
	}
	var issued int64 // sends made, each one completion to come
	defer func() {
		// Completions come as the kernel frees what was sent: wait a
		// little for the last ones, so that the counts are whole.
		for deadline := time.Now().Add(100 * time.Millisecond); ; {
			drain()
			if s.zcDone.Load() >= issued || time.Now().After(deadline) {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	p := pacer{rate: rate, start: time.Now()}
	stop := context.AfterFunc(ctx, func() { s.conn.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	for sends := 0; ctx.Err() == nil; sends++ {
		k := 0
		for k < zeroCopyBlocks && b.take(size) {
			k++
		}
		if k == 0 {
			return true, nil
		}
		if err := p.wait(ctx, k*size); err != nil {
			return true, nil
		}
		for out := buf[:k*size]; len(out) > 0; {
			var n int
			var serr error
			err := rc.Write(func(fd uintptr) bool {
				n, serr = socket.SendZeroCopyFD(fd, out)
				return serr != syscall.EAGAIN
			})
			if err == nil {
				err = serr
			}
			if errors.Is(err, syscall.ENOBUFS) {
				drain() // the completions waiting have used the option memory
				continue
			}
			if n > 0 {
				out = out[n:]
				s.bytes.Add(uint64(n))
				issued++
			}
			if err != nil {
				if ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) {
					return true, nil
				}
				return true, err
			}
		}
		if sends%16 == 15 {
			drain()
		}
	}
	return true, nil
}
