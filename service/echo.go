package service

// Echo is the echo protocol of RFC 862: every byte received is sent back,
// in order, and every datagram is answered with itself. The zero value is
// ready to use.
type Echo struct{}

var _ Service = Echo{}

// Name returns "echo".
func (Echo) Name() string { return "echo" }

// NewStream returns an echoing stream; it keeps no state.
func (Echo) NewStream() Stream { return echoStream{} }

// Datagram returns p itself when dst is empty, so echo costs no copy.
func (Echo) Datagram(dst, p []byte) ([]byte, bool) {
	if len(dst) == 0 {
		return p, true
	}
	return append(dst, p...), true
}

type echoStream struct{}

func (echoStream) Input(dst, p []byte) []byte {
	if len(dst) == 0 {
		return p
	}
	return append(dst, p...)
}
