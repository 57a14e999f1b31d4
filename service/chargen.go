package service

import "math/rand/v2"

// Chargen is the character generator protocol of RFC 864: a stream
// connection receives lines of 72 printable ASCII characters, each starting
// one character further along the 95-character cycle, until the peer
// closes; what the peer sends is discarded. A datagram is answered with a
// random number (0 to 512) of characters of the same pattern. The zero
// value is ready to use.
type Chargen struct{}

var _ Service = Chargen{}

const (
	chargenFirst = ' '
	chargenCycle = 95 // the printable characters ' ' through '~'
	chargenWidth = 72
	// chargenFill is how much Fill produces per call: enough lines to fill
	// a socket buffer's worth of writes without a call per line.
	chargenFill = 16 << 10
)

// Name returns "chargen".
func (Chargen) Name() string { return "chargen" }

// NewStream returns a source that starts at the first line.
func (Chargen) NewStream() Stream { return &chargenStream{} }

// Datagram answers with 0 to 512 characters of the pattern.
func (Chargen) Datagram(dst, _ []byte) ([]byte, bool) {
	n := rand.IntN(513)
	var st chargenStream
	for len(dst) < n {
		dst = st.appendLine(dst)
	}
	return dst[:n], true
}

// ChargenLine returns line i (from 0) of the stream, with its CR LF: tests
// and clients use it to check what they received.
func ChargenLine(i int) []byte {
	st := chargenStream{line: i % chargenCycle}
	return st.appendLine(nil)
}

type chargenStream struct{ line int }

var (
	_ Stream = (*chargenStream)(nil)
	_ Source = (*chargenStream)(nil)
)

// Input is not called for a Source; it discards.
func (*chargenStream) Input(dst, _ []byte) []byte { return dst }

// Fill appends the next lines of the pattern.
func (s *chargenStream) Fill(dst []byte) []byte {
	for end := len(dst) + chargenFill; len(dst) < end; {
		dst = s.appendLine(dst)
	}
	return dst
}

func (s *chargenStream) appendLine(dst []byte) []byte {
	for i := range chargenWidth {
		dst = append(dst, byte(chargenFirst+(s.line+i)%chargenCycle))
	}
	s.line = (s.line + 1) % chargenCycle
	return append(dst, '\r', '\n')
}
