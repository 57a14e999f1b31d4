package perf

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
)

// The control protocol is iperf3's (docs/perf-protocol.md): a cookie,
// then one signed byte per state change, and JSON documents framed by a
// 4-byte big-endian length.

// state is a control-connection state byte.
type state int8

const (
	testStart       state = 1
	testRunning     state = 2
	testEnd         state = 4
	paramExchange   state = 9
	createStreams   state = 10
	serverTerminate state = 11
	clientTerminate state = 12
	exchangeResults state = 13
	displayResults  state = 14
	iperfStart      state = 15
	iperfDone       state = 16
	accessDenied    state = -1
	serverError     state = -2
)

func (s state) String() string {
	switch s {
	case testStart:
		return "TEST_START"
	case testRunning:
		return "TEST_RUNNING"
	case testEnd:
		return "TEST_END"
	case paramExchange:
		return "PARAM_EXCHANGE"
	case createStreams:
		return "CREATE_STREAMS"
	case serverTerminate:
		return "SERVER_TERMINATE"
	case clientTerminate:
		return "CLIENT_TERMINATE"
	case exchangeResults:
		return "EXCHANGE_RESULTS"
	case displayResults:
		return "DISPLAY_RESULTS"
	case iperfStart:
		return "IPERF_START"
	case iperfDone:
		return "IPERF_DONE"
	case accessDenied:
		return "ACCESS_DENIED"
	case serverError:
		return "SERVER_ERROR"
	}
	return fmt.Sprintf("state %d", int8(s))
}

// cookieLen is the cookie's length on the wire: 36 characters and a NUL.
const cookieLen = 37

// cookieAlphabet is the characters a cookie is made of (base32's).
const cookieAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

// newCookie returns a fresh random cookie, NUL-terminated.
func newCookie() [cookieLen]byte {
	var c [cookieLen]byte
	rand.Read(c[:cookieLen-1])
	for i := range cookieLen - 1 {
		c[i] = cookieAlphabet[c[i]%32]
	}
	return c
}

// maxJSON bounds a JSON document from the peer: iperf3's own limit is
// far below this; a length past it is a peer that lies.
const maxJSON = 8 << 20

func writeState(w io.Writer, s state) error {
	_, err := w.Write([]byte{byte(s)})
	return err
}

func readState(r io.Reader) (state, error) {
	var b [1]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return 0, err
	}
	return state(int8(b[0])), nil
}

// writeJSON sends v as a length-prefixed JSON document.
func writeJSON(w io.Writer, v any) error {
	doc, err := json.Marshal(v)
	if err != nil {
		return err
	}
	msg := make([]byte, 4+len(doc))
	binary.BigEndian.PutUint32(msg, uint32(len(doc)))
	copy(msg[4:], doc)
	_, err = w.Write(msg)
	return err
}

// errBadJSON is a JSON document whose length or content is not one.
var errBadJSON = errors.New("malformed JSON document")

// readJSON reads a length-prefixed JSON document into v.
func readJSON(r io.Reader, v any) error {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size == 0 || size > maxJSON {
		return fmt.Errorf("%w: length %d", errBadJSON, size)
	}
	doc := make([]byte, size)
	if _, err := io.ReadFull(r, doc); err != nil {
		return err
	}
	if err := json.Unmarshal(doc, v); err != nil {
		return fmt.Errorf("%w: %v", errBadJSON, err)
	}
	return nil
}

// params is the test's parameters as the client sends them, in iperf3's
// keys. Absent keys are zero.
type params struct {
	TCP           bool   `json:"tcp,omitempty"`
	UDP           bool   `json:"udp,omitempty"`
	Omit          int    `json:"omit,omitempty"`
	Time          int    `json:"time,omitempty"`
	Num           int64  `json:"num,omitempty"`
	BlockCount    int64  `json:"blockcount,omitempty"`
	MSS           int    `json:"MSS,omitempty"`
	NoDelay       bool   `json:"nodelay,omitempty"`
	Parallel      int    `json:"parallel"`
	Reverse       bool   `json:"reverse,omitempty"`
	Bidir         bool   `json:"bidirectional,omitempty"`
	Window        int    `json:"window,omitempty"`
	Len           int    `json:"len"`
	Bandwidth     uint64 `json:"bandwidth,omitempty"`
	FQRate        uint64 `json:"fqrate,omitempty"`
	PacingTimer   int    `json:"pacing_timer,omitempty"`
	Burst         int    `json:"burst,omitempty"`
	TOS           int    `json:"TOS,omitempty"`
	Congestion    string `json:"congestion,omitempty"`
	ServerOutput  int    `json:"get_server_output,omitempty"`
	UDPCounters64 int    `json:"udp_counters_64bit,omitempty"`
	Repeating     int    `json:"repeating_payload,omitempty"`
	ZeroCopy      int    `json:"zerocopy,omitempty"`
	Version       string `json:"client_version,omitempty"`
	// Sockit's own, which iperf3 ignores: the client is sockit (its
	// senders shut their streams down when done, so that the receiver
	// can count every byte), and the network the test runs on.
	Sockit  int    `json:"sockit,omitempty"`
	Network string `json:"sockit_network,omitempty"`
}

// results is what each side sends the other once the test has ended.
type results struct {
	CPUTotal          float64         `json:"cpu_util_total"`
	CPUUser           float64         `json:"cpu_util_user"`
	CPUSystem         float64         `json:"cpu_util_system"`
	SenderRetransmits count           `json:"sender_has_retransmits"`
	Congestion        string          `json:"congestion_used,omitempty"`
	Streams           []streamResults `json:"streams"`
	ServerOutputText  string          `json:"server_output_text,omitempty"`
}

type streamResults struct {
	ID             int     `json:"id"`
	Bytes          uint64  `json:"bytes"`
	Retransmits    count   `json:"retransmits"`
	Jitter         float64 `json:"jitter"` // seconds
	Errors         count   `json:"errors"`
	OmittedErrors  count   `json:"omitted_errors"`
	Packets        count   `json:"packets"`
	OmittedPackets count   `json:"omitted_packets"`
	StartTime      float64 `json:"start_time"`
	EndTime        float64 `json:"end_time"`
}

// count is a number of the peer's that may be -1 for "none", which
// iperf3 writes as an unsigned 64-bit number (18446744073709551615), or
// a float: it reads as an int64, -1 for anything past int64's range.
type count int64

func (c *count) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	switch {
	case f >= 1<<63, f < -1<<63:
		*c = -1
	default:
		*c = count(f)
	}
	return nil
}

// controlConn reads a control connection through a buffer as large as
// any message: on a unixpacket socket each write is a record, and a read
// shorter than its record loses the rest of it.
type controlConn struct {
	net.Conn
	r *bufio.Reader
}

func newControl(c net.Conn) *controlConn {
	return &controlConn{Conn: c, r: bufio.NewReaderSize(c, 64<<10)}
}

func (c *controlConn) Read(b []byte) (int, error) { return c.r.Read(b) }
