package bench

import (
	"testing"
	"time"
)

func TestSchedule(t *testing.T) {
	// 1,000 msgs/s over 4 connections, this worker holding 2 of them:
	// 500 msgs/s here, one every 2 ms, alternating between its two.
	s := newSchedule(Config{Rate: 1000, Conns: 4}, 2, 0)
	var got []int
	var at []int64
	s.release(int64(7*time.Millisecond), func(conn int, due int64) {
		got = append(got, conn)
		at = append(at, due)
	})
	wantConns := []int{0, 1, 0, 1}
	wantAt := []int64{0, 2e6, 4e6, 6e6}
	if len(got) != len(wantConns) {
		t.Fatalf("released %v at %v, want %v at %v", got, at, wantConns, wantAt)
	}
	for i := range got {
		if got[i] != wantConns[i] || at[i] != wantAt[i] {
			t.Fatalf("released %v at %v, want %v at %v", got, at, wantConns, wantAt)
		}
	}
	if d := s.due(); d != int64(8*time.Millisecond) {
		t.Errorf("due = %d, want the next message's time, 8 ms", d)
	}
	var off schedule
	off.release(1<<60, func(int, int64) { t.Error("a closed-loop schedule released a message") })
}
