package bench

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/sockit/sockit/internal/poll"
)

// connectBackoff is how long a Connect-mode loop waits after a failed dial.
const connectBackoff = 10 * time.Millisecond

// connectLoop opens and closes connections, one at a time, in Connect
// mode; Conns of them run at once.
type connectLoop struct {
	r     *run
	id    int
	quota int64
	quit  chan struct{} // closed when the run stops, to end a dial in progress
	once  sync.Once
	n     atomic.Int64
}

func (r *run) connectLoops() []loop {
	var loops []loop
	for i := range r.cfg.Conns {
		quota := int64(-1)
		if m := r.cfg.Messages; m > 0 {
			quota = m / int64(r.cfg.Conns)
			if int64(i) < m%int64(r.cfg.Conns) {
				quota++
			}
		}
		loops = append(loops, &connectLoop{r: r, id: i, quota: quota, quit: make(chan struct{})})
	}
	return loops
}

func (l *connectLoop) serve() error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-l.quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	cfg := l.r.cfg
	// With ConnectRate, each loop connects on its own share of the
	// schedule: connection k of loop i is due at (k*Conns+i)/ConnectRate.
	t0 := time.Now()
	for k := int64(0); l.quota != 0; k++ {
		if cfg.ConnectRate > 0 {
			due := t0.Add(time.Duration(float64(k*int64(cfg.Conns)+int64(l.id)) / cfg.ConnectRate * float64(time.Second)))
			if !sleepUntil(ctx, due) {
				return nil
			}
		}
		phase := l.r.phase.Load()
		if phase == stopping {
			return nil
		}
		fd, err := l.r.dial(ctx)
		if err != nil {
			// A failed dial uses up its place in the count as a
			// connection does: else a target that refuses them all
			// would keep a counted run going for ever.
			if phase == measuring && l.quota > 0 {
				l.quota--
			}
			// Back off a little, so that a server that refuses at once
			// is not hammered in a tight loop.
			t := time.NewTimer(connectBackoff)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil
			}
			continue
		}
		poll.Close(fd)
		if phase == measuring {
			l.n.Add(1)
			if l.quota > 0 {
				l.quota--
			}
		}
	}
	return nil
}

// wake cancels dials in progress once the run is stopping.
func (l *connectLoop) wake() {
	if l.r.phase.Load() == stopping {
		l.once.Do(func() { close(l.quit) })
	}
}

func (l *connectLoop) counts() (msgs, bytes int64) { return l.n.Load(), 0 }

func (l *connectLoop) finish(*Result, *hdrhistogram.Histogram) {}
