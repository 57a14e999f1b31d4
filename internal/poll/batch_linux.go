package poll

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Batch reads and sends many datagrams per system call, with recvmmsg(2)
// and sendmmsg(2). Each slot has its own buffer, its sender's address as
// the kernel wrote it, and (for sending) a reply.
type Batch struct {
	hdrs  []unix.Mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrAny
	bufs  [][]byte
	out   []unix.Mmsghdr // the replies being sent
	oiov  []unix.Iovec
}

// NewBatch makes a batch of n slots of size bytes each.
func NewBatch(n, size int) *Batch {
	b := &Batch{
		hdrs:  make([]unix.Mmsghdr, n),
		iovs:  make([]unix.Iovec, n),
		names: make([]unix.RawSockaddrAny, n),
		bufs:  make([][]byte, n),
		out:   make([]unix.Mmsghdr, 0, n),
		oiov:  make([]unix.Iovec, n),
	}
	for i := range n {
		b.bufs[i] = make([]byte, size)
	}
	return b
}

// Len is the number of slots.
func (b *Batch) Len() int { return len(b.bufs) }

// Recv reads up to Len datagrams from fd without waiting and returns how
// many arrived (syscall.EAGAIN when none had).
func (b *Batch) Recv(fd int) (int, error) {
	for i := range b.hdrs {
		b.iovs[i].Base = &b.bufs[i][0]
		b.iovs[i].SetLen(len(b.bufs[i]))
		h := &b.hdrs[i].Hdr
		h.Name = (*byte)(unsafe.Pointer(&b.names[i]))
		h.Namelen = unix.SizeofSockaddrAny
		h.Iov = &b.iovs[i]
		h.Iovlen = 1
		h.Control = nil
		h.Controllen = 0
		h.Flags = 0
		b.hdrs[i].Len = 0
	}
	n, _, errno := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(fd), uintptr(unsafe.Pointer(&b.hdrs[0])),
		uintptr(len(b.hdrs)), unix.MSG_DONTWAIT, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// Msg is datagram i of the last Recv: its bytes, whether the kernel cut it
// short, and its sender's address bytes (a map key that costs nothing to
// make; see PeerOf).
func (b *Batch) Msg(i int) (data []byte, truncated bool, name []byte) {
	h := &b.hdrs[i]
	n := int(h.Len)
	truncated = h.Hdr.Flags&unix.MSG_TRUNC != 0
	name = unsafe.Slice((*byte)(unsafe.Pointer(&b.names[i])), h.Hdr.Namelen)
	return b.bufs[i][:min(n, len(b.bufs[i]))], truncated, name
}

// Named reports whether a raw sender address from Msg can be replied to:
// an unnamed Unix socket's is the family alone.
func Named(name []byte) bool { return len(name) > 2 }

// PeerOf is the sender of datagram i as a Peer, for logs.
func (b *Batch) PeerOf(i int) Peer {
	sa, err := anyToSockaddr(&b.names[i], b.hdrs[i].Hdr.Namelen)
	if err != nil {
		return Peer{}
	}
	return Peer{sa}
}

// Reply queues data (which must stay valid until Flush) as the answer to
// datagram i of the last Recv, to go to its sender.
func (b *Batch) Reply(i int, data []byte) {
	j := len(b.out)
	b.out = b.out[:j+1]
	if len(data) > 0 {
		b.oiov[j].Base = &data[0]
	} else {
		b.oiov[j].Base = nil
	}
	b.oiov[j].SetLen(len(data))
	h := &b.out[j].Hdr
	*h = unix.Msghdr{}
	h.Name = (*byte)(unsafe.Pointer(&b.names[i]))
	h.Namelen = b.hdrs[i].Hdr.Namelen
	h.Iov = &b.oiov[j]
	h.Iovlen = 1
	b.out[j].Len = 0
}

// Flush sends the queued replies and returns how many went; on EAGAIN
// (the socket's send buffer is full) the rest are dropped, as a network
// would drop them, and counted as not sent.
func (b *Batch) Flush(fd int) (sent int, err error) {
	defer func() { b.out = b.out[:0] }()
	for sent < len(b.out) {
		n, _, errno := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&b.out[sent])),
			uintptr(len(b.out)-sent), unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL, 0, 0)
		if errno != 0 {
			return sent, errno
		}
		if n == 0 {
			return sent, syscall.EAGAIN
		}
		sent += int(n)
	}
	return sent, nil
}

// anyToSockaddr decodes a raw address as x/sys/unix would.
func anyToSockaddr(rsa *unix.RawSockaddrAny, n uint32) (unix.Sockaddr, error) {
	switch rsa.Addr.Family {
	case unix.AF_INET:
		p := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
		sa := &unix.SockaddrInet4{Addr: p.Addr}
		pb := (*[2]byte)(unsafe.Pointer(&p.Port))
		sa.Port = int(pb[0])<<8 | int(pb[1])
		return sa, nil
	case unix.AF_INET6:
		p := (*unix.RawSockaddrInet6)(unsafe.Pointer(rsa))
		sa := &unix.SockaddrInet6{Addr: p.Addr, ZoneId: p.Scope_id}
		pb := (*[2]byte)(unsafe.Pointer(&p.Port))
		sa.Port = int(pb[0])<<8 | int(pb[1])
		return sa, nil
	case unix.AF_UNIX:
		p := (*unix.RawSockaddrUnix)(unsafe.Pointer(rsa))
		if n <= 2 {
			return &unix.SockaddrUnix{}, nil // unnamed
		}
		path := unsafe.Slice((*byte)(unsafe.Pointer(&p.Path[0])), int(n)-2)
		if path[0] == 0 {
			return &unix.SockaddrUnix{Name: "@" + string(path[1:])}, nil
		}
		end := 0
		for end < len(path) && path[end] != 0 {
			end++
		}
		return &unix.SockaddrUnix{Name: string(path[:end])}, nil
	}
	return nil, unix.EAFNOSUPPORT
}
