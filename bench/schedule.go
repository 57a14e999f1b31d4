package bench

import "time"

// schedule is a worker's open-loop timetable (Config.Rate): the worker's
// message k is due at start + k*interval, on its connection k mod n. The
// zero schedule is off: a closed loop, where messages leave when they may.
type schedule struct {
	interval float64 // nanoseconds between the worker's messages
	start    int64   // run clock
	k        int64   // the next message
	n        int     // the worker's connections
}

// newSchedule gives a worker of n connections its share of cfg.Rate: each
// connection's share of the rate, times n.
func newSchedule(cfg Config, n int, start int64) schedule {
	if cfg.Rate <= 0 || n == 0 {
		return schedule{}
	}
	return schedule{interval: float64(time.Second) * float64(cfg.Conns) / cfg.Rate / float64(n), start: start, n: n}
}

func (s *schedule) on() bool { return s.interval > 0 }

// due is when the next message is due (run clock).
func (s *schedule) due() int64 { return s.start + int64(float64(s.k)*s.interval) }

// release calls give with the connection index and due time of every
// message due by now.
func (s *schedule) release(now int64, give func(conn int, at int64)) {
	for s.on() && s.due() <= now {
		at := s.due()
		conn := int(s.k % int64(s.n))
		s.k++
		give(conn, at)
	}
}
