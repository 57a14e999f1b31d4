package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/sockit/sockit/internal/poll"
)

// The phases of a run, in order.
const (
	warming int32 = iota
	measuring
	stopping
)

// dialers is how many connections are dialled at once.
const dialers = 64

// run is one Run's shared state.
type run struct {
	cfg     Config
	pattern *Pattern
	base    time.Time // the run's clock starts here: times are nanoseconds since
	phase   atomic.Int32
	errs    atomic.Int64 // errors so far, every kind, for Progress

	mu          sync.Mutex
	connectHist *hdrhistogram.Histogram
	connectErrs int64 // failed dials, refusals apart
	refusedErrs int64 // dials refused: nothing listens at the target
	firstDial   error
}

// now is nanoseconds since the run began, on the monotonic clock.
func (r *run) now() int64 { return int64(time.Since(r.base)) }

// loop is what drives a share of the connections: a stream or datagram
// worker, or a dialler in Connect mode.
type loop interface {
	serve() error // runs until the run stops or its work is done
	wake()        // makes serve look at the phase and its timeouts now
	counts() (msgs, bytes int64)
	finish(res *Result, latency *hdrhistogram.Histogram) // adds its errors and latencies; after serve
}

// Run loads cfg.Target as cfg says and returns what it measured. A config
// that cannot run, or a target no connection could be made to, is an
// error; errors during the run are counted in the Result, and
// Result.Failed says whether the server echoed faithfully. When ctx ends
// the run stops early and returns what it measured so far.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &run{cfg: cfg, pattern: NewPattern(), base: time.Now(), connectHist: newHistogram()}
	if cfg.Warmup == 0 {
		r.phase.Store(measuring)
	}
	var loops []loop
	switch cfg.Mode {
	case Connect:
		loops = r.connectLoops()
	default:
		fds, ids := r.dialAll(ctx)
		if len(fds) == 0 {
			if r.firstDial == nil {
				r.firstDial = ctx.Err()
			}
			return nil, r.firstDial
		}
		loops, err = r.workers(fds, ids)
		if err != nil {
			for _, fd := range fds {
				poll.Close(fd)
			}
			return nil, err
		}
	}
	return r.drive(ctx, loops)
}

// drive runs the loops and a clock that moves the phases on and takes a
// sample each second, and gathers the result.
func (r *run) drive(ctx context.Context, loops []loop) (res *Result, err error) {
	cfg := r.cfg
	// Without a warmup, measuring starts with the loops.
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, len(loops))
	for i, l := range loops {
		wg.Go(func() { errs[i] = l.serve() })
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	total := func() (msgs, bytes int64) {
		for _, l := range loops {
			m, b := l.counts()
			msgs += m
			bytes += b
		}
		return msgs, bytes
	}
	wakeAll := func() {
		for _, l := range loops {
			l.wake()
		}
	}
	stop := func() {
		r.phase.Store(stopping)
		wakeAll()
	}

	if cfg.Warmup > 0 {
		warm := time.NewTimer(cfg.Warmup)
		select {
		case <-warm.C:
			start = time.Now() // before the loops can count a message
			r.phase.CompareAndSwap(warming, measuring)
		case <-ctx.Done():
			stop()
		case <-done:
		}
		warm.Stop()
	}
	var deadline <-chan time.Time
	if cfg.Duration > 0 {
		t := time.NewTimer(cfg.Duration)
		defer t.Stop()
		deadline = t.C
	}
	// Each second the clock takes a sample and wakes the loops to look for
	// overdue echoes, until they are done. It is the loops' only timer in a
	// closed loop: a worker waiting for an echo parks with none of its own.
	// (A 100 ms timer cost one-connection ping-pong a third of its rate.)
	tick := time.NewTicker(checkEvery)
	defer tick.Stop()
	var series []Sample
	var lastMsgs, lastBytes int64
	sample := func(at time.Time) {
		msgs, bytes := total()
		series = append(series, Sample{T: at.Sub(start).Seconds(), Messages: msgs - lastMsgs, Bytes: bytes - lastBytes})
		lastMsgs, lastBytes = msgs, bytes
		if cfg.Progress != nil {
			cfg.Progress(Progress{Elapsed: at.Sub(start), Messages: msgs, Bytes: bytes, Errors: r.errs.Load()})
		}
	}
	end := time.Time{}
	for end.IsZero() {
		select {
		case now := <-tick.C:
			sample(now)
			wakeAll()
		case <-deadline:
			end = time.Now()
			stop()
		case <-ctx.Done():
			end = time.Now()
			stop()
		case <-done:
			end = time.Now()
		}
	}
	for stopped := false; !stopped; {
		select {
		case <-done:
			stopped = true
		case <-tick.C:
			wakeAll() // echoes still awaited may be overdue
		}
	}
	// The last, partial interval; it takes in echoes that came while the
	// loops were stopping, so that the series adds up to the total.
	if msgs, _ := total(); len(series) == 0 || end.Sub(start).Seconds()-series[len(series)-1].T > 0.01 || msgs > lastMsgs {
		sample(end)
	}

	res = &Result{
		Label:   cfg.Label,
		Target:  cfg.Target.String(),
		Mode:    cfg.Mode,
		Load:    cfg.load(),
		Start:   start,
		Seconds: end.Sub(start).Seconds(),
		Errors:  map[string]int64{},
		Series:  series,
	}
	if host, err := os.Hostname(); err == nil {
		res.Hosts = []string{host}
	}
	res.Messages, res.Bytes = total()
	latency := newHistogram()
	for _, l := range loops {
		l.finish(res, latency)
	}
	if res.Latency, err = summarise(latency); err != nil {
		return nil, err
	}
	r.mu.Lock()
	if r.connectErrs > 0 {
		res.Errors[ErrConnect] += r.connectErrs
	}
	if r.refusedErrs > 0 {
		res.Errors[ErrRefused] += r.refusedErrs
	}
	if r.firstDial != nil && res.Failure == "" && res.Messages == 0 {
		res.Failure = r.firstDial.Error()
		if errors.Is(r.firstDial, syscall.ECONNREFUSED) {
			res.Failure = r.refusal(r.firstDial)
		}
	}
	res.Connect, err = summarise(r.connectHist)
	r.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if res.Seconds > 0 && !res.Failed() {
		// A run whose echo was wrong gets no speed: it measured nothing
		// worth quoting.
		res.MsgsPerSec = float64(res.Messages) / res.Seconds
		res.MBPerSec = float64(res.Bytes) / res.Seconds / 1e6
	}
	return res, errors.Join(errs...)
}

func (c Config) load() Load {
	return Load{
		Conns:       c.Conns,
		Size:        c.Size,
		Seconds:     c.Duration.Seconds(),
		Messages:    c.Messages,
		Warmup:      c.Warmup.Seconds(),
		Rate:        c.Rate,
		ConnectRate: c.ConnectRate,
		Pipeline:    pipelineJSON(c.Pipeline),
		Workers:     c.Workers,
	}
}

// pipelineJSON is Pipeline as the JSON has it: 0 for no limit.
func pipelineJSON(n int) int {
	if n == math.MaxInt {
		return 0
	}
	return n
}

// dial opens one connection and returns a descriptor of its own for it,
// recording how long connecting took.
func (r *run) dial(ctx context.Context) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	t0 := time.Now()
	conn, err := r.cfg.Target.Dial(ctx)
	took := time.Since(t0)
	if err != nil {
		if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return -1, err // the run is stopping: not the server's fault
		}
		r.mu.Lock()
		if errors.Is(err, syscall.ECONNREFUSED) {
			r.refusedErrs++
		} else {
			r.connectErrs++
		}
		if r.firstDial == nil {
			r.firstDial = err
		}
		r.mu.Unlock()
		r.errs.Add(1)
		return -1, err
	}
	if r.cfg.Mode != Connect || r.phase.Load() == measuring {
		r.mu.Lock()
		r.connectHist.RecordValue(max(1, took.Nanoseconds()))
		r.mu.Unlock()
	}
	defer conn.Close()
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return -1, fmt.Errorf("bench: %T has no descriptor", conn)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	cerr := raw.Control(func(s uintptr) { fd, err = poll.Dup(int(s)) })
	return fd, errors.Join(cerr, err)
}

// dialAll opens the connections, dialers at a time and no faster than
// ConnectRate, and returns the descriptors with each one's connection
// number.
func (r *run) dialAll(ctx context.Context) (fds, ids []int) {
	cfg := r.cfg
	var mu sync.Mutex
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(dialers, cfg.Conns) {
		wg.Go(func() {
			for id := range next {
				fd, err := r.dial(ctx)
				if err != nil {
					continue
				}
				mu.Lock()
				fds = append(fds, fd)
				ids = append(ids, id)
				mu.Unlock()
			}
		})
	}
	t0 := time.Now()
feed:
	for id := range cfg.Conns {
		if cfg.ConnectRate > 0 {
			due := t0.Add(time.Duration(float64(id) / cfg.ConnectRate * float64(time.Second)))
			if !sleepUntil(ctx, due) {
				break feed
			}
		}
		select {
		case next <- id:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return fds, ids
}

// refusal says what a refused connection or datagram means, with the
// error that told.
func (r *run) refusal(err error) string {
	return fmt.Sprintf("%s refused: nothing listens there (%v)", r.cfg.Target, err)
}

// errKind classifies a read or write error.
func errKind(err error) string {
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return ErrReset
	}
	return ErrIO
}

// sleepUntil waits until due, and reports false if ctx ended first.
func sleepUntil(ctx context.Context, due time.Time) bool {
	wait := time.Until(due)
	if wait <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
