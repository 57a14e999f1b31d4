package bench

// patternLen is the period of the byte stream every connection sends. It
// is not a power of two, so the stream does not line up with message sizes.
const patternLen = 1<<16 + 13

// Pattern is the byte stream connections send: connection id's byte at
// offset off is Pattern.At(id, off). The stream is pseudo-random with a
// period of 65,549 bytes, and each connection starts at its own place in
// it, so bytes from another connection or another offset do not match.
type Pattern struct {
	// block holds the period twice, so that any run of up to patternLen
	// bytes starting in the first copy is contiguous.
	block []byte
}

// NewPattern makes the pattern. It is the same in every process.
func NewPattern() *Pattern {
	p := &Pattern{block: make([]byte, 2*patternLen)}
	x := uint64(0x9e3779b97f4a7c15)
	for i := range patternLen {
		// xorshift64*: cheap, and deterministic everywhere.
		x ^= x >> 12
		x ^= x << 25
		x ^= x >> 27
		p.block[i] = byte((x * 0x2545f4914f6cdd1d) >> 56)
	}
	copy(p.block[patternLen:], p.block[:patternLen])
	return p
}

func (p *Pattern) index(id int, off int64) int {
	return int((uint64(id)*7919 + uint64(off)) % patternLen)
}

// At is connection id's byte at offset off.
func (p *Pattern) At(id int, off int64) byte { return p.block[p.index(id, off)] }

// Bytes is connection id's stream from offset off, up to n bytes (and at
// most one period): a slice of the pattern itself, not to be written to.
func (p *Pattern) Bytes(id int, off int64, n int) []byte {
	i := p.index(id, off)
	return p.block[i : i+min(n, patternLen)]
}

// Fill writes connection id's stream from offset off into dst.
func (p *Pattern) Fill(dst []byte, id int, off int64) {
	for len(dst) > 0 {
		n := copy(dst, p.Bytes(id, off, len(dst)))
		dst = dst[n:]
		off += int64(n)
	}
}

// Check compares src with connection id's stream from offset off and
// returns the index of the first byte that differs, or -1.
func (p *Pattern) Check(src []byte, id int, off int64) int {
	done := 0
	for done < len(src) {
		want := p.Bytes(id, off+int64(done), len(src)-done)
		got := src[done : done+len(want)]
		if string(got) != string(want) { // compiles to memequal, no copy
			for i := range got {
				if got[i] != want[i] {
					return done + i
				}
			}
		}
		done += len(want)
	}
	return -1
}
