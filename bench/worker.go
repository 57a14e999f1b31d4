package bench

import (
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/sockit/sockit/internal/poll"
)

// checkEvery is how often a worker looks for echoes overdue past Timeout,
// and how often the run's clock samples and wakes the workers.
const checkEvery = time.Second

// readRounds bounds the reads a worker makes on one socket per event, so
// that one busy socket cannot starve the others.
const readRounds = 16

// inflight is a message sent (or being sent) whose echo has not all come.
type inflight struct {
	at       int64 // when it was sent, or scheduled to be (run clock)
	measured bool  // sent while measuring: it counts
}

// eventWorker is what the stream and datagram workers share: an event loop
// over their sockets, the Rate schedule, the phase as this loop has seen
// it, and what it measured.
type eventWorker struct {
	r      *run
	poller *poll.Poller
	live   int // sockets not yet ended
	hist   *hdrhistogram.Histogram

	msgs, bytes atomic.Int64 // read by the sampler while the loop runs
	errs        map[string]int64
	failure     string

	stopping  bool
	lastCheck int64
	sched     schedule
	// unsettled says a read stopped at readRounds with data left, so the
	// loop must look for events again before it parks.
	unsettled bool
}

func newEventWorker(r *run, p *poll.Poller) eventWorker {
	return eventWorker{r: r, poller: p, hist: newHistogram(), errs: map[string]int64{}}
}

// sockets is what a worker does with its sockets on the event loop.
type sockets interface {
	start(now int64)                        // makes the first sends
	ready(fd int, events uint32, now int64) // serves a ready socket
	due(i int, at, now int64)               // Rate: a message of socket i fell due at at
	check(now int64)                        // deals with what has waited past Timeout
	drainAll()                              // the run is stopping: send nothing more
}

func (w *eventWorker) wake()                       { w.poller.Wake() }
func (w *eventWorker) counts() (msgs, bytes int64) { return w.msgs.Load(), w.bytes.Load() }

// finish adds the worker's errors and latencies to the result.
func (w *eventWorker) finish(res *Result, latency *hdrhistogram.Histogram) {
	for k, v := range w.errs {
		res.Errors[k] += v
	}
	if res.Failure == "" {
		res.Failure = w.failure
	}
	latency.Merge(w.hist)
}

// record counts a measured message of size bytes echoed lat after it was
// sent (or due).
func (w *eventWorker) record(lat int64, size int) {
	w.hist.RecordValue(max(1, lat))
	w.msgs.Add(1)
	w.bytes.Add(int64(size))
}

// countError counts an error of kind; the first one's story is the run's
// failure.
func (w *eventWorker) countError(kind, what string) {
	w.errs[kind]++
	w.r.errs.Add(1)
	if w.failure == "" {
		w.failure = what
	}
}

// loop runs s's sockets until every one has ended.
func (w *eventWorker) loop(s sockets, n int) error {
	now := w.r.now()
	w.sched, w.lastCheck = newSchedule(w.r.cfg, n, now), now
	s.start(now)
	handle := func(events []poll.Event) poll.After {
		now := w.r.now()
		for _, ev := range events {
			if int(ev.Fd) == w.poller.WakeFD() {
				w.poller.Drain()
				continue
			}
			s.ready(int(ev.Fd), ev.Events, now)
		}
		switch {
		case w.tick(s, now):
			return poll.Stop
		case w.unsettled:
			w.unsettled = false
			return poll.Recheck
		}
		return poll.Settled
	}
	idle := func() (time.Time, bool) {
		now := w.r.now()
		if w.tick(s, now) {
			return time.Time{}, true
		}
		if !w.sched.on() || w.stopping {
			return time.Time{}, false // the run's clock wakes it for timeouts
		}
		return w.r.base.Add(time.Duration(w.sched.due())), false
	}
	return w.poller.Run(make([]poll.Event, 128), handle, idle)
}

// tick does what time brings: the phase change, scheduled sends, overdue
// echoes. It reports whether the worker is done.
func (w *eventWorker) tick(s sockets, now int64) bool {
	if !w.stopping && w.r.phase.Load() == stopping {
		w.stopping = true
		s.drainAll()
	}
	if !w.stopping {
		w.sched.release(now, func(i int, at int64) { s.due(i, at, now) })
	}
	if now-w.lastCheck >= int64(checkEvery) {
		w.lastCheck = now
		s.check(now)
	}
	return w.live == 0
}
