package peer

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/relay"
	"github.com/sockit/sockit/socket"
)

// Join joins a connection to a reader and a writer under netcat's
// half-close and exit rule:
//
//  1. Input goes to the peer; what the peer sends goes to Output.
//  2. When Input ends, the connection's write side is shut down (the peer
//     reads end-of-file) and reading goes on until the peer closes.
//     NoShutdown keeps the write side open; QuitAfter stops waiting for
//     the peer that long after Input ended.
//  3. When the peer's stream ends first, what Input still has is sent, and
//     Run returns when Input ends, since the peer may only have shut down
//     its own write side. With StopWithPeer (Input is a terminal, which
//     ends only when someone types ^D), Run returns at once.
//  4. The end of ctx, an idle timeout or an error ends it at once.
//
// A Datagram join is for a connected datagram socket, which has no end
// of stream: each line of Input is one datagram, and once Input has ended
// Run returns when every datagram has had a reply, or when none has come
// for Linger.
//
// The zero Join sends nothing and drops what the peer sends; set Input and
// Output. A Join is a description: Run may be called on many connections,
// one at a time or at once.
type Join struct {
	// Input is sent to the peer. If nil, nothing is sent and the write
	// side stays open (netcat's --recv-only).
	Input io.Reader
	// Output receives what the peer sends. If nil, it is read and dropped
	// (--send-only). A write that fails with EPIPE (the reader of a pipe
	// has gone, as when the output goes to head) ends the join quietly.
	Output io.Writer

	// NoShutdown keeps the write side open when Input ends.
	NoShutdown bool
	// TCPInfo asks for the kernel's view of a TCP connection as the join
	// closes it (TCP_INFO), in Result.TCPInfo.
	TCPInfo bool
	// QuitAfter bounds the wait for the peer to close once Input has
	// ended. If zero, Run waits until the peer closes; if negative, it
	// returns as soon as Input has ended.
	QuitAfter time.Duration
	// StopWithPeer ends the join as soon as the peer's stream ends,
	// without sending the rest of Input: for a terminal, or a datagram
	// session that fell silent, whose end is final.
	StopWithPeer bool
	// Idle closes the connection when nothing has moved either way for
	// this long. If zero, never.
	Idle time.Duration

	// Messages sends each line of Input, newline included, as one message
	// (a datagram or a sequenced-packet record) and reads whole messages.
	Messages bool
	// Datagram is for a connected datagram socket: Messages, and the
	// reply-counting end described above. It needs Input and Output; a
	// Datagram join without one of them is a Messages join.
	Datagram bool
	// Linger is how long a Datagram join waits for a reply once Input has
	// ended. If zero, one second; if negative, it does not wait.
	Linger time.Duration
}

// MaxMessage bounds one line of Input sent as a message, and one message
// read: 1 MiB.
const MaxMessage = 1 << 20

// Ending says how a join ended.
type Ending int

const (
	// Closed: the connection was closed under the join, by the end of
	// ctx or an idle timeout, or the join failed.
	Closed Ending = iota
	// PeerFirst: the peer's stream ended, then Input (the rest of it was
	// sent).
	PeerFirst
	// PeerClosed: the peer's stream ended and the join stopped with it
	// (StopWithPeer, or nothing to send).
	PeerClosed
	// InputFirst: Input ended, then the peer closed.
	InputFirst
	// QuitAfterInput: Input ended and QuitAfter ran out before the peer
	// closed.
	QuitAfterInput
	// AllReplied: a Datagram join's input ended and every datagram had a
	// reply.
	AllReplied
	// LingerRanOut: a Datagram join's input ended and Linger passed
	// without a reply to some datagram.
	LingerRanOut
	// ProgramFirst: a program a peer was joined to ended first, then the
	// peer (Server with a Program).
	ProgramFirst
	// PeerLeft: the peer went away while its program was still writing
	// to it; not a failure (Server with a Program).
	PeerLeft
)

var endingNames = [...]string{
	Closed:         "closed",
	PeerFirst:      "the peer's stream ended first, then the input",
	PeerClosed:     "the peer closed",
	InputFirst:     "the input ended first, then the peer closed",
	QuitAfterInput: "the input ended first; QuitAfter ran out before the peer closed",
	AllReplied:     "the input ended; every datagram had a reply",
	LingerRanOut:   "the input ended; some datagrams had no reply within Linger",
	ProgramFirst:   "the program ended first, then the peer",
	PeerLeft:       "the peer left while the program was still writing",
}

func (e Ending) String() string {
	if e >= 0 && int(e) < len(endingNames) {
		return endingNames[e]
	}
	return "Ending(" + strconv.Itoa(int(e)) + ")"
}

// Result is what a join moved and how it ended.
type Result struct {
	Sent     int64 // bytes written to the peer
	Received int64 // bytes read from the peer
	Ending   Ending
	// Idled says the idle timeout closed the connection.
	Idled bool
	// Datagrams and Replies count, for a Datagram join, the datagrams sent
	// and the replies read.
	Datagrams, Replies int64
	// TCPInfo is the kernel's view of a TCP connection read just before
	// it was closed, when Join.TCPInfo (or Server's Join.TCPInfo) asks;
	// nil otherwise, or for other sockets.
	TCPInfo *socket.TCPInfo
}

// errOutputGone is receive's report that Output's reader has gone: the
// join ends at once, quietly.
var errOutputGone = errors.New("output closed")

// counts are updated by the two directions as they go.
type counts struct{ sent, received, datagrams, replies atomic.Int64 }

func (c *counts) result(end Ending, idled bool) Result {
	return Result{Sent: c.sent.Load(), Received: c.received.Load(), Ending: end, Idled: idled,
		Datagrams: c.datagrams.Load(), Replies: c.replies.Load()}
}

// Run joins c under j's rule until it ends, and closes c. The end of ctx
// closes c and ends the join with Closed and no error.
func (j *Join) Run(ctx context.Context, c net.Conn) (Result, error) {
	var info func() *socket.TCPInfo
	if j.TCPInfo {
		c, info = captureTCPInfo(c)
	}
	defer c.Close()
	idled := func() bool { return false }
	if j.Idle > 0 {
		ic := relay.CloseWhenIdle(c, j.Idle)
		c, idled = ic, ic.Idled
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	var n counts
	var end Ending
	var err error
	if j.Datagram && j.Input != nil && j.Output != nil {
		end, err = j.datagrams(c, &n)
	} else {
		end, err = j.stream(c, &n)
	}
	if ctx.Err() != nil {
		err = nil // ended here, not a failure
	}
	res := n.result(end, idled())
	if info != nil {
		c.Close() // if not yet: the view is taken as it closes
		res.TCPInfo = info()
	}
	return res, err
}

// captureTCPInfo wraps c so that the kernel's view of it (TCP_INFO) is
// read as it is first closed, however the join ends; info returns it once
// c is closed, or nil if c is not a TCP connection.
func captureTCPInfo(c net.Conn) (wrapped net.Conn, info func() *socket.TCPInfo) {
	if c.LocalAddr().Network() != "tcp" {
		return c, func() *socket.TCPInfo { return nil }
	}
	cc := &infoConn{Conn: c}
	return cc, func() *socket.TCPInfo {
		cc.once.Do(func() {}) // the close has been done, or never will
		return cc.info
	}
}

// infoConn reads TCP_INFO of its connection right before closing it.
type infoConn struct {
	net.Conn
	once sync.Once
	info *socket.TCPInfo
}

func (c *infoConn) Close() error {
	c.once.Do(func() {
		if ti, err := endpoint.TCPInfo(c.Conn); err == nil {
			c.info = &ti
		}
	})
	return c.Conn.Close()
}

func (c *infoConn) CloseWrite() error { return CloseWrite(c.Conn) }
func (c *infoConn) NetConn() net.Conn { return c.Conn }

// ReadFrom and WriteTo hand io.Copy the connections under infoConns, so
// that a copy between two TCP or Unix sockets still goes by splice(2),
// as it would without the wrapper.
func (c *infoConn) ReadFrom(r io.Reader) (int64, error) {
	if ic, ok := r.(*infoConn); ok {
		r = ic.Conn
	}
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

func (c *infoConn) WriteTo(w io.Writer) (int64, error) {
	if ic, ok := w.(*infoConn); ok {
		w = ic.Conn
	}
	if wt, ok := c.Conn.(io.WriterTo); ok {
		return wt.WriteTo(w)
	}
	return io.Copy(w, struct{ io.Reader }{c.Conn})
}

// stream is the rule for a stream, or for messages with an end.
func (j *Join) stream(c net.Conn, n *counts) (Ending, error) {
	s := &sender{Conn: c, n: n}
	end, err := j.streamTo(c, s, n)
	// Every way out of streamTo has either waited for the send or closed
	// c, so a write still in progress returns at once.
	s.settle()
	return end, err
}

// streamTo is stream's rule, the send writing through s.
func (j *Join) streamTo(c net.Conn, s *sender, n *counts) (Ending, error) {
	recvDone := make(chan error, 1)
	go func() { recvDone <- j.receive(c, n) }()
	var sendDone chan error
	// inputEnded is set before the write side is shut down, so before the
	// peer can see the end and answer it.
	var inputEnded atomic.Bool
	if j.Input != nil {
		// Input is read in a goroutine of its own: a read from a terminal
		// cannot be interrupted, and the peer's closing must end the join
		// at once.
		sendDone = make(chan error, 1)
		go func() { sendDone <- j.send(c, s, &inputEnded) }()
	}
	select {
	case err := <-recvDone:
		if inputEnded.Load() {
			// Both ended: the input first, and the send is finishing.
			if serr := <-sendDone; serr != nil && err == nil {
				err = serr
			}
			if err != nil {
				return Closed, notClosed(err)
			}
			return InputFirst, nil
		}
		if errors.Is(err, errOutputGone) {
			c.Close()
			return Closed, nil
		}
		if err != nil {
			c.Close()
			return Closed, notClosed(err)
		}
		if sendDone == nil || j.StopWithPeer {
			// Nothing to send, or nobody will end a terminal's input for
			// a peer that has gone: stop here. The send goroutine ends
			// when it next touches the closed socket, or with the process.
			c.Close()
			return PeerClosed, nil
		}
		// The peer may only have shut down its write side: it gets the
		// rest of the input.
		if err := <-sendDone; err != nil {
			c.Close()
			return Closed, notClosed(err)
		}
		return PeerFirst, nil
	case err := <-sendDone:
		if err != nil {
			c.Close()
			<-recvDone
			return Closed, notClosed(err)
		}
	}
	var quit <-chan time.Time
	if j.QuitAfter != 0 {
		t := time.NewTimer(max(j.QuitAfter, 0))
		defer t.Stop()
		quit = t.C
	}
	select {
	case err := <-recvDone:
		if err != nil && !errors.Is(err, errOutputGone) {
			return Closed, notClosed(err)
		}
		return InputFirst, nil
	case <-quit:
		c.Close()
		<-recvDone
		return QuitAfterInput, nil
	}
}

// notClosed is err, or nil if err only says the connection was closed
// here.
func notClosed(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// outputGone reports whether err says the output's reader has gone, as
// when the output is piped into head: like cat, the join then ends
// quietly.
func outputGone(err error) bool { return errors.Is(err, syscall.EPIPE) }

// receive copies c to Output until the peer closes (nil) or an error.
func (j *Join) receive(c net.Conn, n *counts) error {
	out := j.Output
	if out == nil {
		out = io.Discard
	}
	size := 64 << 10
	if j.Messages || j.Datagram {
		size = MaxMessage // as large as the largest message, so none is cut short
	}
	buf := make([]byte, size)
	for {
		nr, err := c.Read(buf)
		if nr > 0 {
			n.received.Add(int64(nr))
			if _, werr := out.Write(buf[:nr]); werr != nil {
				if outputGone(werr) {
					return errOutputGone
				}
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// send copies Input to c through s, which counts it, as a stream or line
// by line, and then shuts down c's write side unless NoShutdown.
func (j *Join) send(c net.Conn, s *sender, ended *atomic.Bool) error {
	var err error
	switch {
	case j.Messages || j.Datagram:
		_, err = SendLines(s, j.Input, nil)
	case isRegular(j.Input):
		err = s.sendFile(j.Input)
	default:
		_, err = io.Copy(s, j.Input)
	}
	if err == nil {
		ended.Store(true)
	}
	if err == nil && !j.NoShutdown {
		// A connection the peer has closed already (ENOTCONN: shut down
		// after its FIN and our own close, as a proxy that ends the
		// whole tunnel does) needs no end-of-file.
		if err = CloseWrite(c); errors.Is(err, syscall.ENOTCONN) {
			err = nil
		}
	}
	return err
}

// sender is a connection as a join's send writes it. Each write is
// counted as it returns: the send goes on in a goroutine that may be
// blocked reading Input (a pipe, a terminal) when the join ends by an idle
// timeout, a reset, an ICMP refusal or ctx, and a count kept by io.Copy or
// SendLines until they return would then say that nothing was sent.
type sender struct {
	net.Conn
	n        *counts
	messages bool // each write is one datagram: count them too

	mu sync.Mutex // held across each write and its count
}

func (s *sender) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.Conn.Write(p)
	s.n.sent.Add(int64(n))
	if s.messages && err == nil {
		s.n.datagrams.Add(1)
	}
	return n, err
}

// sendFile copies f, a regular file, to the connection as the net and os
// packages do, with sendfile(2) where they can, which writing through s
// would prevent. It holds mu for the whole copy, which a regular file's
// reads never hold up: closing the connection ends it, and settle then
// sees its count.
func (s *sender) sendFile(f io.Reader) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := io.Copy(s.Conn, f)
	s.n.sent.Add(n)
	return err
}

// isRegular reports whether r is a regular file, whose reads do not wait.
func isRegular(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode().IsRegular()
}

// settle waits until a write in progress has returned and been counted,
// so that the counts may be read: a write that has returned is counted,
// and one made later fails, on a closed connection. Call it once the send
// has returned or the connection is closed, or it waits for the write.
func (s *sender) settle() {
	s.mu.Lock()
	defer s.mu.Unlock()
}

// CloseWrite shuts down c's write side if it has one (TCP, Unix and TLS
// connections do); otherwise it does nothing.
func CloseWrite(c net.Conn) error {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// datagrams sends each line of Input as one datagram and copies each reply
// to Output. When Input ends it waits until every datagram has had a
// reply, or none has come for Linger.
func (j *Join) datagrams(c net.Conn, n *counts) (Ending, error) {
	s := &sender{Conn: c, n: n, messages: true}
	defer func() {
		c.Close() // if not yet: a send blocked in a write returns
		s.settle()
	}()
	readErr := make(chan error, 1)
	got := make(chan struct{}, 1)
	go func() {
		buf := make([]byte, MaxMessage)
		for {
			nr, err := c.Read(buf)
			if err != nil {
				readErr <- err
				return
			}
			n.received.Add(int64(nr))
			if _, err := j.Output.Write(buf[:nr]); err != nil {
				if outputGone(err) {
					err = net.ErrClosed // the reader left: end quietly
				}
				readErr <- err
				return
			}
			n.replies.Add(1)
			select {
			case got <- struct{}{}:
			default:
			}
		}
	}()
	// Input is read in a goroutine of its own, as in stream.
	sendDone := make(chan error, 1)
	go func() {
		_, err := SendLines(s, j.Input, nil) // s counts the datagrams
		sendDone <- err
	}()
	select {
	case err := <-sendDone:
		if err != nil {
			c.Close()
			<-readErr
			return Closed, err
		}
	case err := <-readErr:
		return Closed, notClosed(err)
	}
	// Datagrams have no end: wait for one reply per datagram, or for
	// Linger without any.
	linger := j.Linger
	if linger == 0 {
		linger = time.Second
	}
	linger = max(linger, 0)
	timer := time.NewTimer(linger)
	defer timer.Stop()
	end := AllReplied
wait:
	for n.replies.Load() < n.datagrams.Load() {
		select {
		case <-got:
			timer.Reset(linger)
		case <-timer.C:
			end = LingerRanOut
			break wait
		case err := <-readErr:
			return Closed, notClosed(err)
		}
	}
	c.Close()
	if err := <-readErr; !errors.Is(err, net.ErrClosed) {
		return Closed, err
	}
	return end, nil
}

// capturedTCPInfo is the TCP_INFO captureTCPInfo took of c, under any
// wrappers with a NetConn method, once c is closed; nil if none.
func capturedTCPInfo(c net.Conn) *socket.TCPInfo {
	ic, ok := endpoint.ConnAs[*infoConn](c)
	if !ok {
		return nil
	}
	ic.once.Do(func() {})
	return ic.info
}
