package service

// Discard is the discard protocol of RFC 863: everything received is
// thrown away and nothing is sent. The zero value is ready to use.
type Discard struct{}

var _ Service = Discard{}

// Name returns "discard".
func (Discard) Name() string { return "discard" }

// NewStream returns a stream that answers nothing.
func (Discard) NewStream() Stream { return discardStream{} }

// Datagram sends no reply.
func (Discard) Datagram(dst, _ []byte) ([]byte, bool) { return dst, false }

type discardStream struct{}

func (discardStream) Input(dst, _ []byte) []byte { return dst }
