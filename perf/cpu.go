package perf

import (
	"syscall"
	"time"
)

// CPU is the share of one CPU the process used over a test, in percent,
// as iperf3 reports it (cpu_util_*): user, system, and their sum. It is
// the whole process's: a server running several tests at once reports
// them all.
type CPU struct {
	Total, User, System float64
}

type cpuClock struct {
	wall      time.Time
	user, sys time.Duration
}

func readCPU() cpuClock {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return cpuClock{wall: time.Now(), user: time.Duration(ru.Utime.Nano()), sys: time.Duration(ru.Stime.Nano())}
}

// since is the CPU used from c to now.
func (c cpuClock) since() CPU {
	now := readCPU()
	wall := now.wall.Sub(c.wall).Seconds()
	if wall <= 0 {
		return CPU{}
	}
	u := 100 * (now.user - c.user).Seconds() / wall
	s := 100 * (now.sys - c.sys).Seconds() / wall
	return CPU{Total: u + s, User: u, System: s}
}
