package perf

import (
	"errors"
	"syscall"
)

func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// errnoOf is the errno under err, or 0.
func errnoOf(err error) int32 {
	var en syscall.Errno
	if errors.As(err, &en) {
		return int32(en)
	}
	return 0
}

// iperf3's error numbers (its i_errno) that a server sends after
// SERVER_ERROR, with the errno behind them; its client prints the
// matching message, and so does ours (ServerError).
const (
	ieDuration      = 5
	ieNumStreams    = 6
	ieBlockSize     = 7
	ieBufSize       = 8
	ieMSS           = 10
	ieOmit          = 12
	ieUDPBlockSize  = 20
	ieRecvParams    = 114
	ieAccessDenied  = 121
	ieSetMSS        = 123
	ieSetWindow     = 130
	ieSetCongestion = 134
	ieAuthTest      = 142
	ieStreamListen  = 202
	ieStreamConnect = 203
)

// iperfErrors are the messages of those numbers, in our words.
var iperfErrors = map[int32]string{
	ieDuration:      "the test is too long",
	ieNumStreams:    "too many parallel streams",
	ieBlockSize:     "the block size is too large",
	ieBufSize:       "the socket buffer size is too large",
	ieMSS:           "the MSS is too large",
	ieOmit:          "the omit time is out of range",
	ieUDPBlockSize:  "the datagram size is out of range",
	ieRecvParams:    "the server could not read the parameters",
	ieAccessDenied:  "the server is busy",
	ieSetMSS:        "the server could not set the MSS",
	ieSetWindow:     "the server could not set the socket buffer size",
	ieSetCongestion: "the server could not set the congestion control algorithm",
	ieAuthTest:      "the server refused to authenticate the test",
	ieStreamListen:  "the server could not listen for the streams",
	ieStreamConnect: "the streams did not all connect",
}
