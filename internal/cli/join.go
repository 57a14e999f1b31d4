package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync/atomic"
	"time"
)

// The half-close and exit rule of every command that joins a peer to
// standard input and output (connect, listen), as --help explains it:
//
//  1. Standard input goes to the peer; what the peer sends goes to
//     standard output.
//  2. When standard input ends, the write side is shut down (the peer reads
//     end-of-file) and reading goes on until the peer closes. --no-shutdown
//     keeps the write side open; -q SECS stops waiting for the peer SECS
//     after standard input ended.
//  3. When the peer's stream ends first, what standard input still has is
//     sent, and the command ends when standard input ends, since the peer
//     may only have shut down its own write side. From a terminal, which
//     ends only when someone types ^D, the command ends at once.
//  4. An idle timeout, an interrupt (SIGINT, SIGTERM) or an error ends it
//     at once.
//
// A datagram peer has no end of stream: it has ended when it has been
// silent for the idle timeout.

// peerRules are the flags that shape the rule for one run.
type peerRules struct {
	noShutdown bool
	quit       time.Duration // after standard input ends; negative: wait for the peer
	sendOnly   bool          // what the peer sends is read and dropped
	recvOnly   bool          // standard input is not read
	lines      bool          // each line of standard input is one datagram or record
	// sessionEnds says the peer's end is final: a datagram session that
	// fell silent cannot be half-closed, so nothing more is sent to it.
	sessionEnds bool
}

// errOutputGone is receive's report that standard output's reader has
// gone: the join ends at once, quietly.
var errOutputGone = errors.New("standard output closed")

// ending says how a join ended, for the -v status line.
type ending int

const (
	peerClosedFirst ending = iota // the peer's stream ended, then standard input
	peerClosedAtTTY               // the peer's stream ended while standard input was a terminal
	peerClosedAfter               // standard input ended, then the peer closed
	quitAfterInput                // standard input ended and -q ran out
	closedHere                    // the connection was closed under the join
)

// byteCounts are updated by the send and receive sides as they go.
type byteCounts struct{ sent, received atomic.Int64 }

// joinPeer joins c to standard input and output under rules. Closing c
// (on an interrupt or an idle timeout) ends it with closedHere and no
// error.
func joinPeer(c net.Conn, stdio IO, rules peerRules, counts *byteCounts) (ending, error) {
	recvDone := make(chan error, 1)
	go func() { recvDone <- receive(c, stdio.Out, rules, counts) }()
	var sendDone chan error
	// inputEnded is set before the write side is shut down, so before the
	// peer can see the end and answer it.
	var inputEnded atomic.Bool
	if !rules.recvOnly {
		// Standard input is read in a goroutine of its own: a read from a
		// terminal cannot be interrupted, and the peer's closing must end
		// the join at once.
		sendDone = make(chan error, 1)
		go func() { sendDone <- send(c, stdio.In, rules, counts, &inputEnded) }()
	}
	select {
	case err := <-recvDone:
		if inputEnded.Load() {
			// Both ended: the input first, and the send is finishing.
			if serr := <-sendDone; serr != nil && err == nil {
				err = serr
			}
			if err != nil {
				return closedHere, notClosed(err)
			}
			return peerClosedAfter, nil
		}
		if errors.Is(err, errOutputGone) {
			c.Close()
			return closedHere, nil
		}
		if err != nil {
			c.Close()
			return closedHere, notClosed(err)
		}
		if sendDone == nil || rules.sessionEnds || isTerminal(stdio.In) {
			// Nothing to send, or nobody will end a terminal's input for
			// a peer that has gone: stop here. The send goroutine ends
			// when it next touches the closed socket, or with the process.
			c.Close()
			return peerClosedAtTTY, nil
		}
		// The peer may only have shut down its write side: it gets the
		// rest of standard input.
		if err := <-sendDone; err != nil {
			c.Close()
			return closedHere, notClosed(err)
		}
		return peerClosedFirst, nil
	case err := <-sendDone:
		if err != nil {
			c.Close()
			<-recvDone
			return closedHere, notClosed(err)
		}
	}
	var quit <-chan time.Time
	if rules.quit >= 0 {
		t := time.NewTimer(rules.quit)
		defer t.Stop()
		quit = t.C
	}
	select {
	case err := <-recvDone:
		if err != nil && !errors.Is(err, errOutputGone) {
			return closedHere, notClosed(err)
		}
		return peerClosedAfter, nil
	case <-quit:
		c.Close()
		<-recvDone
		return quitAfterInput, nil
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

// receive copies c to out until the peer closes (nil) or an error.
func receive(c net.Conn, out io.Writer, rules peerRules, counts *byteCounts) error {
	if rules.sendOnly {
		out = io.Discard
	}
	size := 64 << 10
	if rules.lines {
		size = maxLine // as large as the largest datagram, so none is cut short
	}
	buf := make([]byte, size)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			counts.received.Add(int64(n))
			if _, werr := out.Write(buf[:n]); werr != nil {
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

// send copies in to c, as a stream or line by line, and then shuts down
// c's write side unless rules say not to.
func send(c net.Conn, in io.Reader, rules peerRules, counts *byteCounts, ended *atomic.Bool) error {
	var err error
	if rules.lines {
		_, err = sendLines(c, in, counts)
	} else {
		var n int64
		n, err = io.Copy(c, in)
		counts.sent.Add(n)
	}
	if err == nil {
		ended.Store(true)
	}
	if err == nil && !rules.noShutdown {
		err = closeWrite(c)
	}
	return err
}

// statusLine is the -v line a join ends with.
func statusLine(counts *byteCounts, end ending, why string) string {
	line := fmt.Sprintf("sent %d bytes, received %d bytes; ", counts.sent.Load(), counts.received.Load())
	switch {
	case why != "":
		return line + why
	case end == peerClosedFirst:
		return line + "the peer's stream ended first, then standard input"
	case end == peerClosedAtTTY:
		return line + "the peer closed"
	case end == peerClosedAfter:
		return line + "standard input ended first, then the peer closed"
	case end == quitAfterInput:
		return line + "standard input ended first; -q ran out before the peer closed"
	}
	return line + "closed"
}

// seconds is a duration flag that also takes a bare number of seconds, as
// nc's -w and -q do: "5", "0.5", "250ms".
type seconds struct{ d *time.Duration }

func (s seconds) String() string {
	if s.d == nil {
		return ""
	}
	if *s.d < 0 {
		return "-1"
	}
	return s.d.String()
}

func (s seconds) Set(v string) error {
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if f < 0 {
			*s.d = -1
			return nil
		}
		*s.d = time.Duration(f * float64(time.Second))
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("%q is neither seconds nor a duration like 1.5s or 250ms", v)
	}
	*s.d = d
	return nil
}

func (s seconds) Type() string { return "secs" }

// interruptedOrIdle is the status for a join that ended because c was
// closed here: by the user's interrupt, or an idle timeout.
func interruptedOrIdle(ctx context.Context, idled bool, idle time.Duration) string {
	switch {
	case idled:
		return fmt.Sprintf("nothing moved for %v (idle timeout)", idle)
	case ctx.Err() != nil:
		return "interrupted"
	}
	return ""
}
