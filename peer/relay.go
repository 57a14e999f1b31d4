package peer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/relay"
	"github.com/sockit/sockit/session"
	"github.com/sockit/sockit/socket"
)

// Relay joins two endpoints in both directions, as socat does: each
// connection one side accepts is joined (relay.Join) to a new one on the
// other, dialled then, accepted in turn if both sides listen, or a new run
// of a program or a fresh open of a file.
//
// A, the first endpoint, listens and B dials, unless an endpoint's
// ?listen or ?dial option says otherwise; after a program (exec:) B
// listens, and after a file or "-", which can only be opened, it dials.
// One side at least must be a socket. A listening datagram socket keeps a
// session per client address (package session), each joined to its own
// connection on the other side; a datagram side sends each chunk as one
// datagram, and each line when the other side is a program. A TLS side's
// handshake must end within 10 seconds.
//
// Without Keep, Run joins one pair and returns the join's error. With
// Keep it serves pairing after pairing until ctx ends: several at once
// when one side dials, one at a time when both listen.
type Relay struct {
	A, B endpoint.Endpoint
	// Keep serves pairing after pairing until ctx ends.
	Keep bool
	// Idle ends a pairing when nothing has moved on a stream connection
	// for this long, and is the datagram sessions' timeout (60s if 0).
	Idle time.Duration
	// Stdin and Stdout are "-"'s streams; Stderr is where the programs'
	// standard error goes (discarded if nil).
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Wrap, if not nil, wraps a pairing's two sides before they are
	// joined (a dump of what they carry, say); n numbers the pairings
	// from 1.
	Wrap func(n int, a, b relay.Conn) (relay.Conn, relay.Conn)
	// Report, if not nil, is called as listeners open and pairings come
	// and go. It may be called from several goroutines at once.
	Report func(RelayEvent)
	// TCPInfo asks for the kernel's view of each TCP side as the pairing
	// closes it (TCP_INFO), in Ended's InfoA and InfoB. The sides are
	// still copied by splice(2).
	TCPInfo bool
	// Via, if not nil, opens the TCP connection of each side that dials
	// (tcp or tls) in place of the dialer: through proxies
	// (proxy.Chain.DialContext; see endpoint.Endpoint.DialVia).
	Via func(ctx context.Context, network, addr string) (net.Conn, error)
}

// RelayEventKind says what happened in a Relay.
type RelayEventKind int

const (
	// Listening: a side's listener is open (Listener).
	Listening RelayEventKind = iota
	// Dialled: a side dialled its endpoint (Conn, a TLS connection's
	// handshake done).
	Dialled
	// Paired: pairing N's two sides are open (A and B), about to be
	// joined.
	Paired
	// Ended: pairing N is over. Joined says whether its sides were
	// joined (not if the second side could not be opened, or a TLS
	// handshake failed), Stats what moved each way, Err why it ended if
	// not cleanly (context.Canceled if ctx ended it).
	Ended
)

// RelayEvent is a report of a Relay.
type RelayEvent struct {
	Kind     RelayEventKind
	Side     relay.Side   // for Listening and Dialled: which endpoint
	Listener net.Listener // Listening
	Socket   any          // Listening: the socket (a datagram side's net.PacketConn, under its sessions), for endpoint.Options.ReadBack
	Conn     net.Conn     // Dialled
	N        int          // Paired and Ended: the pairing, from 1
	A, B     relay.Conn   // Paired: the sides, as A and B are ordered
	Joined   bool         // Ended
	Stats    relay.Stats  // Ended: AToB is what A sent, whichever side listened
	Err      error        // Ended
	// InfoA and InfoB: for Ended, with Relay.TCPInfo, the TCP_INFO of
	// side A and side B read just before they were closed; nil for a
	// side that is not a TCP connection.
	InfoA, InfoB *socket.TCPInfo
}

// Errors of a Relay that cannot run as set.
var (
	ErrNoSocket          = errors.New("one side at least must be a socket")
	ErrKeepStdio         = errors.New("standard input and output serve one pairing only")
	ErrKeepWithoutListen = errors.New("one side must listen to keep serving, or every pairing would dial both")
)

// Listens reports whether A and B listen, by the rule Relay's doc gives.
func (r *Relay) Listens() (a, b bool) {
	listens := func(ep endpoint.Endpoint, byDefault bool) bool {
		if ep.Type() == 0 {
			return false // opened, or started, for each pairing
		}
		switch ep.Options.Role {
		case endpoint.RoleListen:
			return true
		case endpoint.RoleDial:
			return false
		}
		return byDefault
	}
	return listens(r.A, true), listens(r.B, r.A.Network == endpoint.Exec)
}

// Check reports whether the relay can run as set: ErrNoSocket,
// ErrKeepStdio, ErrKeepWithoutListen, or nil.
func (r *Relay) Check() error {
	if r.A.Type() == 0 && r.B.Type() == 0 {
		return ErrNoSocket
	}
	if r.Keep && (r.A.Network == endpoint.Stdio || r.B.Network == endpoint.Stdio) {
		return ErrKeepStdio
	}
	if a, b := r.Listens(); r.Keep && !a && !b {
		return ErrKeepWithoutListen
	}
	return nil
}

// relaySide is one side of a running Relay: a listener to accept from, an
// endpoint to dial, or a program, file or "-" to open.
type relaySide struct {
	r    *Relay
	name relay.Side
	ep   endpoint.Endpoint
	ln   net.Listener // nil: dial or open
}

// Run opens the listeners and serves pairings until the one pairing is
// over (without Keep), ctx ends, or a listener fails. It closes its
// listeners before it returns. The end of ctx is no error.
func (r *Relay) Run(ctx context.Context) error {
	if err := r.Check(); err != nil {
		return err
	}
	sides := [2]*relaySide{{r: r, name: relay.A, ep: r.A}, {r: r, name: relay.B, ep: r.B}}
	listenA, listenB := r.Listens()
	for i, listens := range []bool{listenA, listenB} {
		if !listens {
			continue
		}
		s := sides[i]
		ln, sock, err := s.listen(ctx)
		if err != nil {
			return err
		}
		defer ln.Close()
		s.ln = ln
		r.report(RelayEvent{Kind: Listening, Side: s.name, Listener: ln, Socket: sock})
	}
	first, second := sides[0], sides[1]
	swapped := second.ln != nil && first.ln == nil
	if swapped {
		first, second = second, first // accept first, then dial or open
	}
	// Stop accepting when ctx ends; pairings in progress end with it too.
	stop := context.AfterFunc(ctx, func() {
		for _, s := range sides {
			if s.ln != nil {
				s.ln.Close()
			}
		}
	})
	defer stop()

	var wg sync.WaitGroup
	defer wg.Wait()
	for n := 1; ; n++ {
		c1, err := first.open(ctx, nil)
		if err != nil {
			return quietEnd(ctx, err)
		}
		pairing := func() error {
			end := r.pair(ctx, n, first, second, c1, swapped)
			r.report(end)
			if ctx.Err() != nil {
				return nil // interrupted
			}
			return end.Err
		}
		switch {
		case !r.Keep:
			return pairing()
		case second.ln != nil:
			pairing() // both sides listen: one pairing at a time; Ended reports its end
		default:
			wg.Go(func() { pairing() })
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// pair opens the second side for c1, the first side's connection, and
// joins them; it returns the pairing's Ended event.
func (r *Relay) pair(ctx context.Context, n int, first, second *relaySide, c1 relay.Conn, swapped bool) RelayEvent {
	end := RelayEvent{Kind: Ended, N: n}
	if end.Err = handshake(ctx, c1); end.Err != nil {
		c1.Close()
		return end
	}
	c2, err := second.open(ctx, c1)
	if err != nil {
		c1.Close()
		end.Err = quietEnd(ctx, err)
		return end
	}
	if end.Err = handshake(ctx, c2); end.Err != nil {
		c1.Close()
		c2.Close()
		return end
	}
	a, b := c1, c2
	if swapped {
		a, b = c2, c1
	}
	a, b = linesToDatagrams(a, b), linesToDatagrams(b, a)
	infoA, infoB := noTCPInfo, noTCPInfo
	if r.TCPInfo {
		a, infoA = captureSide(a)
		b, infoB = captureSide(b)
	}
	if r.Wrap != nil {
		a, b = r.Wrap(n, a, b)
	}
	r.report(RelayEvent{Kind: Paired, N: n, A: a, B: b})
	end.Stats, end.Err = relay.Join(ctx, a, b)
	end.Joined = true
	end.InfoA, end.InfoB = infoA(), infoB()
	return end
}

func noTCPInfo() *socket.TCPInfo { return nil }

// captureSide is captureTCPInfo for a side that may be no connection at
// all (a program, a file).
func captureSide(side relay.Conn) (relay.Conn, func() *socket.TCPInfo) {
	c, ok := side.(net.Conn)
	if !ok {
		return side, noTCPInfo
	}
	wrapped, info := captureTCPInfo(c)
	if wrapped == c {
		return side, info
	}
	return wrapped.(relay.Conn), info
}

func (r *Relay) report(e RelayEvent) {
	if r.Report != nil {
		r.Report(e)
	}
}

// handshake completes the TLS handshake of a side, if it is a TLS
// connection, within handshakeTimeout.
func handshake(ctx context.Context, side relay.Conn) error {
	c, ok := side.(net.Conn)
	if !ok {
		return nil // a program, a file, standard input and output
	}
	ctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	defer cancel()
	return endpoint.Handshake(ctx, c)
}

// listen opens the side's listener: a stream listener, or sessions over a
// datagram socket; sock is the socket itself.
func (s *relaySide) listen(ctx context.Context) (ln net.Listener, sock any, err error) {
	if s.ep.Type() != socket.Datagram {
		ln, err := s.ep.Listen(ctx)
		return ln, ln, err
	}
	pc, err := s.ep.ListenPacket(ctx)
	if err != nil {
		return nil, nil, err
	}
	return session.Listen(pc, session.Config{Idle: s.r.Idle}), pc, nil
}

// open connects this side once: accepts, dials, or starts the program,
// telling it the addresses of peer, the other side's connection.
func (s *relaySide) open(ctx context.Context, peer relay.Conn) (relay.Conn, error) {
	switch s.ep.Network {
	case endpoint.Exec:
		var env []string
		if c, ok := peer.(net.Conn); ok {
			env = programEnv(c)
		}
		stderr := s.r.Stderr
		if stderr == nil {
			stderr = io.Discard
		}
		return relay.Start(ctx, s.ep.Command(), env, stderr)
	case endpoint.Stdio:
		return relay.Stdio(s.r.Stdin, s.r.Stdout), nil
	case endpoint.File:
		return relay.OpenFile(s.ep.Address)
	}
	var c net.Conn
	var err error
	if s.ln != nil {
		if c, err = s.ln.Accept(); err == nil {
			if err = s.ep.Options.ConfigureConn(c); err != nil {
				c.Close()
			}
		}
	} else {
		if s.r.Via != nil && s.ep.Type() == socket.Stream && !s.ep.IsUnix() {
			c, err = s.ep.DialVia(ctx, s.r.Via)
		} else {
			c, err = s.ep.Dial(ctx)
		}
		if err == nil {
			s.r.report(RelayEvent{Kind: Dialled, Side: s.name, Conn: c})
		}
	}
	if err != nil {
		return nil, err
	}
	_, isSession := c.(*session.Conn)
	switch {
	case s.ep.Type() == socket.Datagram && !isSession:
		return relay.DatagramConn(c), nil
	case s.r.Idle > 0 && !isSession: // sessions time out on their own
		c = relay.CloseWhenIdle(c, s.r.Idle)
	}
	rc, ok := c.(relay.Conn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("relay %s: %T cannot shut down its write side", s.ep, c)
	}
	return rc, nil
}

// linesToDatagrams is c, made to send a datagram per line if it is a
// datagram socket and other is a program, whose output pipe keeps no
// message boundaries.
func linesToDatagrams(c, other relay.Conn) relay.Conn {
	if _, program := other.(*relay.Program); !program {
		return c
	}
	if nc, ok := c.(net.Conn); ok && (nc.LocalAddr().Network() == "udp" || nc.LocalAddr().Network() == "unixgram") {
		return relay.Lines(c)
	}
	return c
}

// quietEnd is err, or nil if it only says ctx ended.
func quietEnd(ctx context.Context, err error) error {
	if ctx.Err() != nil && (errors.Is(err, net.ErrClosed) || errors.Is(err, context.Canceled)) {
		return nil
	}
	return err
}
