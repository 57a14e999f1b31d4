package service

import "time"

// Daytime is the daytime protocol of RFC 867: a stream connection receives
// the date and time as one line and is closed; a datagram is answered with
// the same line. The line reads like "Sunday, November 22, 2026 04:42:36-UTC".
type Daytime struct {
	// Now tells the time. If nil, time.Now.
	Now func() time.Time
}

var _ Service = Daytime{}

// DaytimeLayout is the line's format, for time.Parse; the line ends in CR LF.
const DaytimeLayout = "Monday, January 2, 2006 15:04:05-MST"

// Name returns "daytime".
func (Daytime) Name() string { return "daytime" }

// NewStream returns a stream that greets with the time and closes.
func (d Daytime) NewStream() Stream { return daytimeStream{d} }

// Datagram answers any datagram with the time.
func (d Daytime) Datagram(dst, _ []byte) ([]byte, bool) { return d.appendLine(dst), true }

func (d Daytime) appendLine(dst []byte) []byte {
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	return append(now().AppendFormat(dst, DaytimeLayout), '\r', '\n')
}

type daytimeStream struct{ d Daytime }

var _ Greeter = daytimeStream{}

// Input discards: the line was sent at open and the connection is closing.
func (daytimeStream) Input(dst, _ []byte) []byte { return dst }

// Greeting is the time, then close.
func (s daytimeStream) Greeting(dst []byte) ([]byte, bool) { return s.d.appendLine(dst), true }
