package bench

import (
	"bytes"
	"testing"
)

func TestPattern(t *testing.T) {
	p := NewPattern()
	if !bytes.Equal(p.block, NewPattern().block) {
		t.Fatal("the pattern differs between two makes")
	}
	tests := []struct {
		id  int
		off int64
		n   int
	}{
		{0, 0, 64},
		{1, 0, 64},
		{3, patternLen - 10, 20},       // across the period's end
		{7, 5, 3 * patternLen},         // longer than a period
		{1 << 20, 1 << 40, patternLen}, // large numbers
	}
	for _, tc := range tests {
		buf := make([]byte, tc.n)
		p.Fill(buf, tc.id, tc.off)
		for i := range buf {
			if buf[i] != p.At(tc.id, tc.off+int64(i)) {
				t.Fatalf("Fill(%d, %d)[%d] = %#x, At says %#x", tc.id, tc.off, i, buf[i], p.At(tc.id, tc.off+int64(i)))
			}
		}
		if bad := p.Check(buf, tc.id, tc.off); bad != -1 {
			t.Errorf("Check of its own Fill = %d, want -1", bad)
		}
		for _, at := range []int{0, tc.n / 2, tc.n - 1} {
			buf[at] ^= 0x80
			if bad := p.Check(buf, tc.id, tc.off); bad != at {
				t.Errorf("Check with byte %d flipped = %d", at, bad)
			}
			buf[at] ^= 0x80
		}
		if p.Check(buf, tc.id+1, tc.off) == -1 {
			t.Errorf("connection %d's stream passes as connection %d's", tc.id, tc.id+1)
		}
		if p.Check(buf, tc.id, tc.off+1) == -1 {
			t.Errorf("the stream shifted by one byte passes")
		}
	}
}

func TestFifo(t *testing.T) {
	var q fifo[int]
	next := 0
	for round := range 50 {
		for range round % 7 {
			q.push(next)
			next++
		}
		for range round % 5 {
			if q.len() == 0 {
				break
			}
			want := next - q.len()
			if got := q.peek(); got != want {
				t.Fatalf("peek %d, want %d", got, want)
			}
			if got := q.pop(); got != want {
				t.Fatalf("pop %d, want %d", got, want)
			}
		}
	}
}
