package engine

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/socket"
)

// maxPeers bounds the datagram peer table, so that a flood of sources
// cannot grow it without limit; peers past it are served but not tracked.
const maxPeers = 4096

// packetConn is what the blocking engines need of a datagram socket: the
// net package's, or the iterative engine's over package socket.
type packetConn interface {
	// ReadPacket reads one datagram whole; truncated reports one longer
	// than p.
	ReadPacket(p []byte) (n int, from net.Addr, truncated bool, err error)
	WriteTo(p []byte, to net.Addr) (int, error)
	SetReadDeadline(time.Time) error
	LocalAddr() net.Addr
}

// netPacketConn adapts a *net.UDPConn or *net.UnixConn (or the endpoint
// package's wrapper of the latter), whose ReadMsg methods report truncation.
type netPacketConn struct{ net.PacketConn }

type udpReader interface {
	ReadMsgUDP(b, oob []byte) (n, oobn, flags int, addr *net.UDPAddr, err error)
}

type unixPacketReader interface {
	ReadMsgUnix(b, oob []byte) (n, oobn, flags int, addr *net.UnixAddr, err error)
}

func (c netPacketConn) ReadPacket(buf []byte) (int, net.Addr, bool, error) {
	switch pc := c.PacketConn.(type) {
	case udpReader:
		n, _, flags, from, err := pc.ReadMsgUDP(buf, nil)
		if from == nil {
			return n, nil, flags&syscall.MSG_TRUNC != 0, err
		}
		return n, from, flags&syscall.MSG_TRUNC != 0, err
	case unixPacketReader:
		n, _, flags, from, err := pc.ReadMsgUnix(buf, nil)
		if from == nil {
			return n, nil, flags&syscall.MSG_TRUNC != 0, err
		}
		return n, from, flags&syscall.MSG_TRUNC != 0, err
	}
	n, from, err := c.ReadFrom(buf)
	return n, from, false, err
}

// servePackets answers each datagram to its own sender until the socket
// closes.
func (s *core) servePackets(pc packetConn) error {
	size := udpBuffer
	if s.ep.IsUnix() {
		size = recordBuffer
	}
	buf := make([]byte, size)
	svc := s.cfg.service()
	peers := newPeerTable(pc.LocalAddr(), s.cfg.peerIdle(), s.log, s.cfg.Counters)
	defer peers.flush()
	// The read deadline doubles as the timer for sweeping quiet peers: it
	// is set when the first peer arrives and reset after each sweep.
	var sweepAt time.Time
	for {
		n, from, truncated, err := pc.ReadPacket(buf)
		if err != nil {
			switch {
			case s.stopping():
				return ErrServerClosed
			case errors.Is(err, os.ErrDeadlineExceeded):
				peers.expire(time.Now())
				sweepAt, _ = peers.nextExpiry()
				pc.SetReadDeadline(sweepAt)
				continue
			case errors.Is(err, syscall.ECONNREFUSED):
				continue // an ICMP error for an earlier reply; nothing to do
			}
			return err
		}
		p := peers.see(from, n)
		if p != nil && sweepAt.IsZero() {
			sweepAt = p.End.Add(peers.idle)
			pc.SetReadDeadline(sweepAt)
		}
		if truncated {
			s.log.Warn("datagram dropped", "from", endpoint.AddrString(from),
				"err", fmt.Errorf("larger than %d bytes, arrived truncated: %w", len(buf), socket.ErrTruncated))
			continue
		}
		reply, ok := svc.Datagram(nil, buf[:n])
		if !ok {
			continue
		}
		if !hasReplyAddress(from) {
			s.log.Warn("no reply sent", "err", "the sender is an unnamed unixgram socket: bind it to a path or abstract name to get replies")
			continue
		}
		w, err := pc.WriteTo(reply, from)
		peers.sent(p, w)
		if err != nil {
			if s.stopping() {
				return ErrServerClosed
			}
			s.log.Warn("reply failed", "to", endpoint.AddrString(from), "err", err)
		}
	}
}

func hasReplyAddress(a net.Addr) bool {
	switch a := a.(type) {
	case nil:
		return false
	case *net.UnixAddr:
		return a != nil && a.Name != "" && a.Name != "@"
	}
	return true
}

// peerTable keeps a datagram server's sessions: one per sender address,
// logged when first seen and when quiet for idle.
type peerTable struct {
	local    net.Addr
	idle     time.Duration
	log      *slog.Logger
	counters *Counters
	peers    map[string]*ConnStats
}

func newPeerTable(local net.Addr, idle time.Duration, log *slog.Logger, c *Counters) *peerTable {
	return &peerTable{local: local, idle: idle, log: log, counters: c, peers: make(map[string]*ConnStats)}
}

// see counts an n-byte datagram from a and returns its peer's stats, or nil
// when the table is full.
func (t *peerTable) see(a net.Addr, n int) *ConnStats {
	key := endpoint.AddrString(a)
	p := t.peers[key]
	if p == nil {
		p = t.add(key, a)
	}
	return t.count(p, n)
}

// seeRaw is see for a sender known by its raw address bytes, as the event
// loop has it: addr is called only for a sender not seen before, so a
// known peer costs a map look-up and no allocation.
func (t *peerTable) seeRaw(key []byte, addr func() net.Addr, n int) *ConnStats {
	p := t.peers[string(key)]
	if p == nil {
		p = t.add(string(key), addr())
	}
	return t.count(p, n)
}

// add starts a peer's session, or returns nil when the table is full.
func (t *peerTable) add(key string, a net.Addr) *ConnStats {
	if len(t.peers) >= maxPeers {
		return nil
	}
	p := &ConnStats{
		Tuple: endpoint.Tuple{Proto: t.local.Network(), Local: t.local, Remote: a},
		Start: time.Now(),
	}
	t.peers[key] = p
	t.counters.opened()
	t.log.Info("peer", slog.Group("conn", slog.String("tuple", p.Tuple.String())))
	return p
}

// count adds an n-byte datagram to p (nil: an untracked peer).
func (t *peerTable) count(p *ConnStats, n int) *ConnStats {
	if t.counters != nil {
		t.counters.bytesIn.Add(int64(n))
	}
	if p != nil {
		p.BytesIn += int64(n)
		p.End = time.Now()
	}
	return p
}

// sent counts an n-byte reply to peer p (nil when untracked).
func (t *peerTable) sent(p *ConnStats, n int) {
	if t.counters != nil {
		t.counters.bytesOut.Add(int64(n))
	}
	if p != nil {
		p.BytesOut += int64(n)
		p.End = time.Now() // the session lasts until its last reply
	}
}

// nextExpiry is when the quietest peer's session ends, if there is a peer.
func (t *peerTable) nextExpiry() (time.Time, bool) {
	var first time.Time
	for _, p := range t.peers {
		if first.IsZero() || p.End.Before(first) {
			first = p.End
		}
	}
	if first.IsZero() {
		return first, false
	}
	return first.Add(t.idle), true
}

func (t *peerTable) expire(now time.Time) {
	for key, p := range t.peers {
		if now.Sub(p.End) >= t.idle {
			t.log.Info("peer done", "conn", *p)
			delete(t.peers, key)
			t.counters.closed()
		}
	}
}

// flush logs every remaining session, at shutdown.
func (t *peerTable) flush() {
	for key, p := range t.peers {
		t.log.Info("peer done", "conn", *p)
		delete(t.peers, key)
		t.counters.closed()
	}
}
