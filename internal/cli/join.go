package cli

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/sockit/sockit/peer"
)

// The half-close and exit rule of connect and listen is peer.Join's; this
// file holds its flags and its -v status line.

// ruleFlags are the flags that shape the rule for one run.
type ruleFlags struct {
	noShutdown bool
	quit       time.Duration // after standard input ends; negative: wait for the peer
	sendOnly   bool          // what the peer sends is read and dropped
	recvOnly   bool          // standard input is not read
}

// join is the rule the flags ask for, joining the peer to stdio.
func (r ruleFlags) join(stdio IO, idle time.Duration) peer.Join {
	j := peer.Join{
		Input:      stdio.In,
		Output:     stdio.Out,
		NoShutdown: r.noShutdown,
		// Nobody ends a terminal's input for a peer that has gone.
		StopWithPeer: isTerminal(stdio.In),
		Idle:         idle,
	}
	switch {
	case r.quit < 0:
		j.QuitAfter = 0 // wait until the peer closes
	case r.quit == 0:
		j.QuitAfter = -1 // -q 0: at once
	default:
		j.QuitAfter = r.quit
	}
	if r.sendOnly {
		j.Output = nil
	}
	if r.recvOnly {
		j.Input = nil
	}
	return j
}

// addRuleFlags adds the flags of the half-close and exit rule to cmd;
// idleShort is the idle timeout's one-letter name.
func addRuleFlags(cmd *cobra.Command, rules *ruleFlags, idle *time.Duration, idleShort string) {
	f := cmd.Flags()
	f.BoolVar(&rules.noShutdown, "no-shutdown", false, "when standard input ends, keep the write side open instead of shutting it down")
	rules.quit = -1
	f.VarP(seconds{&rules.quit}, "quit-after", "q", "after standard input ends, wait at most this long for the peer to close (seconds or a duration; -1: until it closes)")
	f.BoolVar(&rules.sendOnly, "send-only", false, "only send: read and drop what the peer sends")
	f.BoolVar(&rules.recvOnly, "recv-only", false, "only receive: never read standard input")
	f.VarP(seconds{idle}, "idle-timeout", idleShort, "close a connection on which nothing has moved for this long (seconds or a duration; 0: never)")
	cmd.MarkFlagsMutuallyExclusive("send-only", "recv-only")
}

// statusLine is the -v line a join ends with; why, if not empty, says
// why it ended instead of res.Ending.
func statusLine(res peer.Result, why string) string {
	line := fmt.Sprintf("sent %d bytes, received %d bytes; ", res.Sent, res.Received)
	switch {
	case why != "":
		return line + why
	case res.Ending == peer.PeerFirst:
		return line + "the peer's stream ended first, then standard input"
	case res.Ending == peer.PeerClosed:
		return line + "the peer closed"
	case res.Ending == peer.InputFirst:
		return line + "standard input ended first, then the peer closed"
	case res.Ending == peer.QuitAfterInput:
		return line + "standard input ended first; -q ran out before the peer closed"
	}
	return line + "closed"
}

// interruptedOrIdle is the status for a join that ended because its
// connection was closed here: by the user's interrupt, or an idle timeout.
func interruptedOrIdle(ctx context.Context, idled bool, idle time.Duration) string {
	switch {
	case idled:
		return fmt.Sprintf("nothing moved for %v (idle timeout)", idle)
	case ctx.Err() != nil:
		return "interrupted"
	}
	return ""
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
