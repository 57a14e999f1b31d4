package peer

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/relay"
	"github.com/sockit/sockit/session"
)

// Server serves the peers a listener accepts, as netcat's listen does, in
// one of four ways:
//
//   - by default, the first peer let in is joined to Join's Input and
//     Output under Join's rule, and Serve returns when it is done; with a
//     stream listener, the listener is closed once that peer is in, so the
//     kernel refuses the others;
//   - Keep: every peer at once: Input goes to all of them, and what each
//     sends goes to Output. When Input ends, every peer's write side is
//     shut down after its last chunk (and that of each peer that comes
//     later), unless Join.NoShutdown, or the peer is a TLS connection,
//     for which that is a close_notify alert that ends most clients;
//   - Program: each peer gets its own run of the program, its standard
//     input and output on the connection (with Keep every peer, otherwise
//     the first);
//   - Broker: what each peer sends goes to every other peer (a chat room);
//     Input and Output take no part. Broker implies Keep.
//
// A session listener (package session: a datagram socket) hands out one
// connection per peer address: each line of Input is then one datagram,
// and a session that falls silent has ended. On a unixpacket listener each
// line is one record.
//
// A peer that is a TLS connection is served once its handshake is done,
// within 10 seconds, and its write side is not shut down when Input ends:
// that would be a close_notify alert, after which clients such as
// openssl s_client stop sending; it is closed when the peer is done. The zero Server serves the first peer, sending
// nothing and dropping what it sends.
type Server struct {
	// Join is the rule for the peers joined to Input and Output, and
	// Join.Input and Join.Output are those. Join.Idle, if set, closes any
	// peer's connection on which nothing has moved for that long (a
	// datagram session idles by its listener's own timeout).
	Join Join
	// Keep serves every peer, several at once, until ctx ends.
	Keep bool
	// Program, if not empty, is run (argv[0] looked up in PATH, no shell)
	// for each peer, with SOCKIT_PEER_ADDR and SOCKIT_LOCAL_ADDR in its
	// environment.
	Program []string
	// ProgramStderr is where the programs' standard error goes. If nil,
	// it is discarded.
	ProgramStderr io.Writer
	// Broker relays what each peer sends to every other peer.
	Broker bool
	// Gate decides which peers are served.
	Gate Gate
	// Configure, if not nil, is applied to each connection accepted and
	// let in, before anything else: the endpoint's options that act on a
	// connection (endpoint.Options.ConfigureConn). An error fails the peer.
	Configure func(net.Conn) error
	// WrapConn, if not nil, wraps each peer's connection once it is let
	// in (a dump of what it carries, say); n numbers the peers from 1 in
	// the order they were accepted.
	WrapConn func(n int64, c net.Conn) net.Conn
	// Report, if not nil, is called as peers come and go. It may be called
	// from several goroutines at once.
	Report func(Event)

	n atomic.Int64
}

// EventKind says what happened to a peer.
type EventKind int

const (
	// Accepted: the peer was let in and is about to be served.
	Accepted EventKind = iota
	// Refused: the gate turned the peer away (Err says why) and its
	// connection was closed.
	Refused
	// Failed: the peer was let in but could not be served (its TLS
	// handshake failed: Err).
	Failed
	// Done: the peer has been served and its connection closed; Result
	// says what moved and how it ended, Err what failed, if anything.
	Done
	// Secured: the peer's TLS handshake is done, and Conn (a *tls.Conn)
	// can tell what it agreed. Only TLS peers have it, after Accepted.
	Secured
)

// Event is a report of one peer.
type Event struct {
	Kind EventKind
	Peer int64    // the peer's number, from 1, in the order of acceptance
	Conn net.Conn // the peer's connection (closed by the time of Done)
	Addr net.Addr // the peer's address
	Err  error
	// Result is, for Done, what moved (Sent to the peer, Received from it;
	// with a Program, Received went to the program and Sent came from it)
	// and how it ended.
	Result Result
}

// handshakeTimeout bounds the TLS handshake of an accepted connection, so
// that a client that connects and says nothing is dropped.
const handshakeTimeout = 10 * time.Second

// Serve accepts peers from ln and serves them until ctx ends, the one
// peer has been served, or accepting fails; it closes ln before it
// returns. The end of ctx is no error: Serve then returns nil.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	defer ln.Close()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	_, datagram := ln.(*session.Listener)
	r := &run{s: s, ctx: ctx, ln: ln, datagram: datagram, stopping: make(chan struct{}),
		messages: datagram || ln.Addr().Network() == "unixpacket"}
	var err error
	switch {
	case s.Broker:
		err = r.serveBroker()
	case len(s.Program) > 0:
		err = r.serveProgram()
	case s.Keep:
		err = r.serveMany()
	default:
		err = r.serveOne()
	}
	if ctx.Err() != nil && (err == nil || errors.Is(err, net.ErrClosed)) {
		return nil
	}
	return err
}

// run is one call of Serve.
type run struct {
	s        *Server
	ctx      context.Context
	ln       net.Listener
	datagram bool          // the peers are sessions of a datagram socket
	messages bool          // datagrams or records: input goes line by line
	stopping chan struct{} // closed when serveEach stops accepting
}

func (r *run) report(e Event) {
	if r.s.Report != nil {
		r.s.Report(e)
	}
}

// accept returns the next peer the gate lets in, with the idle timeout
// applied and WrapConn's wrapping; it closes and reports the others.
func (r *run) accept() (int64, net.Conn, func() bool, error) {
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return 0, nil, nil, err
		}
		n := r.s.n.Add(1)
		if err := r.s.Gate.Admit(c.RemoteAddr()); err != nil {
			c.Close()
			r.report(Event{Kind: Refused, Peer: n, Conn: c, Addr: c.RemoteAddr(), Err: err})
			continue
		}
		if r.s.Configure != nil {
			if err := r.s.Configure(c); err != nil {
				c.Close()
				r.s.Gate.Leave()
				r.report(Event{Kind: Failed, Peer: n, Conn: c, Addr: c.RemoteAddr(), Err: err})
				continue
			}
		}
		if r.s.Join.TCPInfo {
			c, _ = captureTCPInfo(c) // read back by done
		}
		idled := func() bool { return false }
		if sc, ok := c.(*session.Conn); ok { // sessions time out on their own
			idled = sc.Idled
		} else if r.s.Join.Idle > 0 {
			ic := relay.CloseWhenIdle(c, r.s.Join.Idle)
			c, idled = ic, ic.Idled
		}
		if r.s.WrapConn != nil {
			c = r.s.WrapConn(n, c)
		}
		return n, c, idled, nil
	}
}

// handshake completes c's TLS handshake, if it has one; a failure closes
// c, counts it out and is reported.
func (r *run) handshake(n int64, c net.Conn) bool {
	ctx, cancel := context.WithTimeout(r.ctx, handshakeTimeout)
	defer cancel()
	if err := endpoint.Handshake(ctx, c); err != nil {
		c.Close()
		r.s.Gate.Leave()
		r.report(Event{Kind: Failed, Peer: n, Conn: c, Addr: c.RemoteAddr(), Err: err})
		return false
	}
	if isTLS(c) {
		r.report(Event{Kind: Secured, Peer: n, Conn: c, Addr: c.RemoteAddr()})
	}
	return true
}

// acceptOne accepts peers until one is let in and completes its TLS
// handshake, if there is one.
func (r *run) acceptOne() (int64, net.Conn, func() bool, error) {
	for {
		n, c, idled, err := r.accept()
		if err != nil {
			return 0, nil, nil, err
		}
		r.report(Event{Kind: Accepted, Peer: n, Conn: c, Addr: c.RemoteAddr()})
		if r.handshake(n, c) {
			return n, c, idled, nil
		}
	}
}

// done closes a served peer, counts it out and reports it.
func (r *run) done(n int64, c net.Conn, res Result, err error) {
	c.Close()
	if res.TCPInfo == nil {
		res.TCPInfo = capturedTCPInfo(c)
	}
	r.s.Gate.Leave()
	r.report(Event{Kind: Done, Peer: n, Conn: c, Addr: c.RemoteAddr(), Result: res, Err: err})
}

// serveOne joins the first peer let in to Input and Output.
func (r *run) serveOne() error {
	n, c, idled, err := r.acceptOne()
	if err != nil {
		return err
	}
	if !r.datagram {
		r.ln.Close() // one peer: the others are refused by the kernel
	}
	j := r.s.Join
	j.Messages = j.Messages || r.messages
	j.Datagram = false // a session ends by falling silent, not by replies
	j.StopWithPeer = j.StopWithPeer || r.datagram
	// A TLS peer is not told that the input ended: its write side's end is
	// a close_notify alert, after which clients such as openssl s_client
	// stop sending and close, so a listener whose input ends at once
	// (</dev/null) would lose all they meant to send. It ends when they do.
	j.NoShutdown = j.NoShutdown || isTLS(c)
	stop := context.AfterFunc(r.ctx, func() { c.Close() })
	defer stop()
	var cn counts
	end, err := j.stream(c, &cn)
	if r.ctx.Err() != nil {
		err = nil
	}
	res := cn.result(end, idled())
	r.done(n, c, res, err)
	return err
}

// serve serves one peer, once it is ready to be.
type serve func() (Result, error)

// serveEach accepts peers until the listener closes. For each, in a
// goroutine of its own, it completes the TLS handshake if there is one,
// calls join, which makes the peer ready to be served (a member of a hub,
// say), and runs the serve that join returns; when that returns, the peer
// is closed and counted out before it is reported, so that a client that
// has seen the report may come back. Then serveEach closes the
// connections still open, waits for their serve to return, and returns
// the error that stopped accepting.
func (r *run) serveEach(join func(n int64, c net.Conn, idled func() bool) serve) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		open = map[net.Conn]bool{}
	)
	var err error
	for {
		n, c, idled, aerr := r.accept()
		if aerr != nil {
			err = aerr
			break
		}
		mu.Lock()
		open[c] = true
		mu.Unlock()
		wg.Go(func() {
			defer func() {
				mu.Lock()
				delete(open, c)
				mu.Unlock()
			}()
			if !r.handshake(n, c) {
				return
			}
			serve := join(n, c, idled)
			r.report(Event{Kind: Accepted, Peer: n, Conn: c, Addr: c.RemoteAddr()})
			res, err := serve()
			r.done(n, c, res, err)
		})
	}
	close(r.stopping)
	mu.Lock()
	for c := range open {
		c.Close()
	}
	mu.Unlock()
	wg.Wait()
	return err
}

// RunProgram joins c to a run of the program argv (argv[0] looked up in
// PATH, no shell), as ncat's --exec does for the connection it dialled or
// accepted: what c receives is the program's standard input, and what the
// program writes goes to c; its standard error goes to stderr (discarded if
// nil), and SOCKIT_PEER_ADDR and SOCKIT_LOCAL_ADDR in its environment are
// c's addresses. On a datagram connection each line the program writes is
// one datagram. It returns when both ways have ended, or ctx has: Received
// is what went to the program, Sent what came from it.
func RunProgram(ctx context.Context, c net.Conn, argv []string, stderr io.Writer) (Result, error) {
	if stderr == nil {
		stderr = io.Discard
	}
	prog, err := relay.Start(ctx, argv, programEnv(c), stderr)
	if err != nil {
		return Result{}, err
	}
	peer, ok := c.(relay.Conn) // as it is, for io.Copy's splice
	if !ok {
		peer = halfCloser{c}
	}
	if isDatagram(c) {
		peer = relay.Lines(peer) // a datagram per line the program writes
	}
	st, err := relay.Join(ctx, peer, prog)
	res := Result{Received: st.AToB, Sent: st.BToA}
	switch {
	case ctx.Err() != nil:
		res.Ending, err = Closed, nil
	case peerLeft(err):
		res.Ending, err = PeerLeft, nil
	case err != nil:
		res.Ending = Closed
	case st.FirstEnd == relay.A:
		res.Ending = PeerFirst
	case st.FirstEnd == relay.B:
		res.Ending = ProgramFirst
	}
	return res, err
}

// serveProgram joins each peer to its own run of the program.
func (r *run) serveProgram() error {
	pairing := func(n int64, c net.Conn, idled func() bool) serve {
		return func() (Result, error) {
			res, err := RunProgram(r.ctx, c, r.s.Program, r.s.ProgramStderr)
			if idled() {
				res.Idled, res.Ending, err = true, Closed, nil
			}
			return res, err
		}
	}
	if r.s.Keep {
		return r.serveEach(pairing)
	}
	n, c, idled, err := r.acceptOne()
	if err != nil {
		return err
	}
	res, err := pairing(n, c, idled)()
	r.done(n, c, res, err)
	return err
}

// halfCloser is a connection as a relay.Conn: its write side shut down by
// CloseWrite where it has one.
type halfCloser struct{ net.Conn }

func (h halfCloser) CloseWrite() error { return CloseWrite(h.Conn) }

// peerLeft reports whether err says only that the peer went away while
// bytes were still being sent to it: no failure of this side.
func peerLeft(err error) bool {
	var de *relay.DirectionError
	return errors.As(err, &de) && de.From == relay.B &&
		(errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET))
}

// programEnv is the environment a program serving c is told its
// addresses in.
func programEnv(c net.Conn) []string {
	return []string{"SOCKIT_PEER_ADDR=" + addrString(c.RemoteAddr()), "SOCKIT_LOCAL_ADDR=" + addrString(c.LocalAddr())}
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// serveBroker relays what each peer sends to every other.
func (r *run) serveBroker() error {
	hub := &relay.Hub{Broker: true}
	defer hub.Close()
	return r.serveEach(func(n int64, c net.Conn, idled func() bool) serve {
		var cn counts
		m := hub.Add(countingWriter{c, &cn.sent}, false, func(error) { c.Close() })
		return func() (Result, error) {
			received, err := pump(c, m.Send)
			c.Close() // the peer has ended: so has its connection
			m.Leave()
			cn.received.Store(received)
			return r.pumpResult(&cn, idled), err
		}
	})
}

// pumpResult is the result of a peer of Keep or Broker, which ends when
// the peer does.
func (r *run) pumpResult(cn *counts, idled func() bool) Result {
	end := PeerClosed
	if r.ctx.Err() != nil || idled() {
		end = Closed
	}
	return cn.result(end, idled())
}

// pump reads c until it ends and hands each chunk to send; it returns the
// bytes read and the error that ended it, if not end-of-file or close.
func pump(c net.Conn, send func([]byte)) (int64, error) {
	buf := make([]byte, MaxMessage)
	var total int64
	for {
		n, err := c.Read(buf)
		if n > 0 {
			total += int64(n)
			send(buf[:n])
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, notClosed(err)
		}
	}
}

// serveMany joins every peer to Input and Output at once.
func (r *run) serveMany() error {
	j := r.s.Join
	hub := &relay.Hub{}
	defer hub.Close()
	output := j.Output
	if output == nil {
		output = io.Discard
	}
	center := hub.Add(output, true, nil)

	// The members joined to the input; at its end each gets its write side
	// shut down after its last chunk, and so does each that joins after.
	var (
		mu         sync.Mutex
		members    = map[net.Conn]*relay.Member{}
		inputEnded bool
		endOfInput = make(chan struct{}) // closed when inputEnded is set
	)
	endFor := func(c net.Conn, m *relay.Member) {
		if !j.NoShutdown && !isTLS(c) { // a TLS peer's close_notify would end it: see serveOne
			m.After(func() { CloseWrite(c) })
		}
	}
	inputDone := make(chan error, 1)
	if j.Input != nil {
		go func() {
			err := readInput(j.Input, r.messages, center.Send)
			mu.Lock()
			inputEnded = true
			for c, m := range members {
				endFor(c, m)
			}
			mu.Unlock()
			close(endOfInput)
			inputDone <- err
		}()
	}
	acceptDone := make(chan error, 1)
	go func() {
		acceptDone <- r.serveEach(func(n int64, c net.Conn, idled func() bool) serve {
			var cn counts
			m := hub.Add(countingWriter{c, &cn.sent}, false, func(error) { c.Close() })
			mu.Lock()
			members[c] = m
			if inputEnded {
				endFor(c, m)
			}
			mu.Unlock()
			return func() (Result, error) {
				send := m.Send // to the center: the output
				if j.Output == nil {
					send = func([]byte) {}
				}
				received, err := pump(c, send)
				if err == nil && j.Input != nil && !j.StopWithPeer {
					// The peer may only have shut down its write side:
					// it gets the input to the end (Join's rule).
					select {
					case <-endOfInput:
						m.Flush()
					case <-m.Done():
					case <-r.stopping:
					}
				}
				c.Close() // both ways have ended: so has the connection
				m.Leave()
				mu.Lock()
				delete(members, c)
				mu.Unlock()
				cn.received.Store(received)
				return r.pumpResult(&cn, idled), err
			}
		})
	}()
	var quit <-chan time.Time
	for {
		select {
		case err := <-acceptDone:
			return err
		case err := <-inputDone:
			if err != nil {
				r.ln.Close()
				<-acceptDone
				return err
			}
			if j.QuitAfter != 0 {
				t := time.NewTimer(max(j.QuitAfter, 0))
				defer t.Stop()
				quit = t.C
			}
		case <-quit:
			r.ln.Close()
			return notClosed(<-acceptDone)
		}
	}
}

// readInput reads in until it ends, handing send each chunk, or each line
// when lines is set.
func readInput(in io.Reader, lines bool, send func([]byte)) error {
	if lines {
		_, err := ForEachLine(in, func(line []byte) error { send(line); return nil })
		return err
	}
	buf := make([]byte, 64<<10)
	for {
		n, err := in.Read(buf)
		if n > 0 {
			send(buf[:n])
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// isDatagram reports whether c carries datagrams: a session of a datagram
// listener, or a udp or unixgram socket.
func isDatagram(c net.Conn) bool {
	if _, ok := c.(*session.Conn); ok {
		return true
	}
	switch c.LocalAddr().Network() {
	case "udp", "udp4", "udp6", "unixgram":
		return true
	}
	return false
}

// isTLS reports whether c is a TLS connection, under any wrapper.
func isTLS(c net.Conn) bool {
	_, ok := endpoint.ConnAs[*tls.Conn](c)
	return ok
}
