package perf

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/socket"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// batchSize is how many datagrams one sendmmsg(2) or recvmmsg(2) moves.
const batchSize = 64

// batchConn reads and writes many datagrams a system call: x/net's
// ipv4 and ipv6 PacketConns, over a UDP socket.
type batchConn interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// mustBatch is c's batch interface; c is a UDP socket.
func mustBatch(c net.Conn) batchConn {
	bc, _ := batchOf(c)
	return bc
}

// batchOf is c's batch interface, if it is a UDP socket.
func batchOf(c net.Conn) (batchConn, bool) {
	uc, ok := c.(*net.UDPConn)
	if !ok {
		return nil, false
	}
	if a, ok := uc.LocalAddr().(*net.UDPAddr); ok && a.IP.To4() == nil && a.IP != nil && !a.IP.IsUnspecified() {
		return ipv6.NewPacketConn(uc), true
	}
	if a, ok := uc.RemoteAddr().(*net.UDPAddr); ok && a.IP.To4() == nil {
		return ipv6.NewPacketConn(uc), true
	}
	return ipv4.NewPacketConn(uc), true
}

// maxUDPPayload is the most a UDP send may carry over IPv4.
const maxUDPPayload = 65507

// sendSegments is send for a UDP stream with UDP GSO (UDP_SEGMENT, Linux
// 4.18): each write of k blocks leaves as k datagrams of size, cut by the
// kernel, which then walks its stack once for them all; at 64-byte
// datagrams that is four to five times the datagrams a second of one
// write or sendmmsg(2) entry each. It reports false, having sent
// nothing, if the kernel does not take it for this socket (too old, or
// datagrams too large for the device): send then falls back to batches.
func (s *stream) sendSegments(ctx context.Context, size int, rate uint64, b *budget, udp64 bool) (bool, error) {
	segs := min(maxUDPPayload/size, batchSize)
	if segs < 2 || s.noGSO {
		return false, nil
	}
	if err := setOption(s.conn, socket.UDPSegment, size); err != nil {
		return false, nil
	}
	s.sentBy = "UDP GSO"
	buf := make([]byte, segs*size)
	for i := range segs {
		fillPayload(buf[i*size : (i+1)*size])
	}
	p := pacer{rate: rate, start: time.Now()}
	stop := context.AfterFunc(ctx, func() { s.conn.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	var seq int64
	first := true
	for ctx.Err() == nil {
		n := segs
		if rate > 0 {
			if n = p.due(size, segs); n == 0 {
				if err := p.wait(ctx, 0); err != nil {
					return true, nil
				}
				continue
			}
		}
		k := 0
		for k < n && b.take(size) {
			k++
		}
		if k == 0 {
			return true, nil
		}
		now := time.Now()
		for i := range k {
			h := buf[i*size:]
			binary.BigEndian.PutUint32(h[0:], uint32(now.Unix()))
			binary.BigEndian.PutUint32(h[4:], uint32(now.Nanosecond()/1000))
			if udp64 {
				binary.BigEndian.PutUint64(h[8:], uint64(seq+int64(i)+1))
			} else {
				binary.BigEndian.PutUint32(h[8:], uint32(seq+int64(i)+1))
			}
		}
		_, err := s.conn.Write(buf[:k*size])
		switch {
		case err == nil:
			seq += int64(k)
			p.sent += uint64(k * size)
			s.bytes.Add(uint64(k * size))
			s.packets.Add(int64(k))
			first = false
		case ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded):
			return true, nil
		case isRefused(err):
			seq += int64(k) // sent, and an earlier datagram's ICMP error came back
			p.sent += uint64(k * size)
			s.bytes.Add(uint64(k * size))
			s.packets.Add(int64(k))
		case first && (errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.EIO)):
			setOption(s.conn, socket.UDPSegment, 0)
			b.give(k, size)
			return false, nil
		default:
			return true, err
		}
	}
	return true, nil
}

// setOption sets an integer socket option on c.
func setOption(c net.Conn, o socket.Option, v int) error {
	sc, ok := endpoint.ConnAs[syscall.Conn](c)
	if !ok {
		return errors.ErrUnsupported
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = socket.SetOptionFD(fd, o, v) }); err != nil {
		return err
	}
	return serr
}

// getOption reads an integer socket option of c.
func getOption(c net.Conn, o socket.Option) (int, error) {
	sc, ok := endpoint.ConnAs[syscall.Conn](c)
	if !ok {
		return 0, errors.ErrUnsupported
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0, err
	}
	var v int
	var gerr error
	if err := rc.Control(func(fd uintptr) { v, gerr = socket.OptionFD(fd, o) }); err != nil {
		return 0, err
	}
	return v, gerr
}

// sendBatches is send for a UDP stream: as many datagrams a system call
// as are due (all of a batch, unpaced), each with its own header.
func (s *stream) sendBatches(ctx context.Context, bc batchConn, size int, rate uint64, b *budget, udp64 bool) error {
	s.sentBy = "sendmmsg"
	msgs := make([]ipv4.Message, batchSize)
	for i := range msgs {
		buf := make([]byte, size)
		fillPayload(buf)
		msgs[i].Buffers = [][]byte{buf}
	}
	p := pacer{rate: rate, start: time.Now()}
	stop := context.AfterFunc(ctx, func() { s.conn.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	var seq int64
	for ctx.Err() == nil {
		n := batchSize
		if rate > 0 {
			n = p.due(size, batchSize)
			if n == 0 {
				if err := p.wait(ctx, 0); err != nil {
					return nil
				}
				continue
			}
		}
		k := 0
		for k < n && b.take(size) {
			k++
		}
		if k == 0 {
			return nil
		}
		now := time.Now()
		for i := range k {
			seq++
			h := msgs[i].Buffers[0]
			binary.BigEndian.PutUint32(h[0:], uint32(now.Unix()))
			binary.BigEndian.PutUint32(h[4:], uint32(now.Nanosecond()/1000))
			if udp64 {
				binary.BigEndian.PutUint64(h[8:], uint64(seq))
			} else {
				binary.BigEndian.PutUint32(h[8:], uint32(seq))
			}
		}
		p.sent += uint64(k * size)
		for done := 0; done < k; {
			m, err := bc.WriteBatch(msgs[done:k], 0)
			if m > 0 {
				done += m
				s.bytes.Add(uint64(m * size))
				s.packets.Add(int64(m))
			}
			if err != nil {
				if ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) {
					return nil
				}
				if isRefused(err) {
					done++ // that datagram's ICMP error; the rest go on
					continue
				}
				return err
			}
		}
	}
	return nil
}

// With UDP GRO on, each message read may hold 64 KiB of coalesced
// datagrams, or one datagram from a sender without GSO: groBatch such
// buffers (2 MiB) are read a call, and only for tests of at most
// groStreams receiving streams, to bound the memory.
const (
	groBatch   = 32
	groStreams = 16
)

// receiveBatches is receive for a UDP stream: a batch of messages a
// system call, and with UDP GRO (Linux 5.0) each message many datagrams
// of the flow, coalesced by the kernel, which then walks its stack once
// for them: the receiver keeps up with a sender using GSO.
func (s *stream) receiveBatches(ctx context.Context, bc batchConn, bufSize int, udp64, useGRO bool) error {
	n, gro := batchSize, useGRO && !s.noGSO && setOption(s.conn, socket.UDPGRO, 1) == nil
	if gro {
		n, bufSize = groBatch, 1<<16
	}
	msgs := make([]ipv4.Message, n)
	for i := range msgs {
		msgs[i].Buffers = [][]byte{make([]byte, bufSize)}
		if gro {
			msgs[i].OOB = make([]byte, 64)
		}
	}
	stop := context.AfterFunc(ctx, func() { s.conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	hdr := udpHeader32
	if udp64 {
		hdr = udpHeader64
	}
	for {
		n, err := bc.ReadBatch(msgs, 0)
		if n > 0 {
			now := time.Now()
			var bytes int
			var datagrams int64
			s.mu.Lock()
			for _, m := range msgs[:n] {
				bytes += m.N
				seg := m.N
				if gro {
					if size, ok := socket.GROSegmentSize(m.OOB[:m.NN]); ok && size > 0 {
						seg = size
					}
				}
				for off := 0; off < m.N; off += max(seg, 1) {
					datagrams++
					d := m.Buffers[0][off:min(off+seg, m.N)]
					if len(d) < hdr {
						continue
					}
					sent := time.Unix(int64(binary.BigEndian.Uint32(d[0:])), int64(binary.BigEndian.Uint32(d[4:]))*1000)
					var seq int64
					if udp64 {
						seq = int64(binary.BigEndian.Uint64(d[8:]))
					} else {
						seq = int64(binary.BigEndian.Uint32(d[8:]))
					}
					s.note(seq, sent, now)
				}
			}
			s.mu.Unlock()
			s.bytes.Add(uint64(bytes))
			s.packets.Add(datagrams)
			if s.received != nil {
				s.received(bytes)
			}
		}
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, net.ErrClosed) {
				return nil
			}
			if isRefused(err) {
				continue
			}
			return err
		}
	}
}
