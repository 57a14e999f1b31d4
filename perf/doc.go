// Package perf measures how fast data goes one way, or both, between a
// client and a server, as iperf3 does, and speaks iperf3's control
// protocol (docs/perf-protocol.md): a Client runs a test against a real
// iperf3 -s, and a real iperf3 -c runs its tests against a Server.
//
// A Server runs any number of tests at once, each independent, up to
// MaxTests; iperf3 runs one and tells every other client it is busy.
// Tests run over TCP and UDP, IPv4 and IPv6, and, between sockit's own
// client and server, over Unix stream, seqpacket and datagram sockets
// and TLS (the control connection and every stream on the same address;
// a unixgram test's streams go to the unixgram socket a Unix server binds
// beside its listener, DatagramName). A test has
// Config's parameters: parallel streams, reverse or both ways, a time, a
// byte or block count, block size, a paced bit rate per stream, omitted
// seconds, socket buffer, MSS and congestion control.
//
// The figures are iperf3's: bytes and bit rates per stream and interval,
// TCP retransmits, congestion window and RTT from TCP_INFO, and for UDP
// the datagrams lost and out of order and RFC 3550's interarrival jitter,
// computed from a sequence number and send time in each datagram. The
// two sides exchange their counts at the end, so each Result has what
// the sender sent and what the receiver received. Result.Document lays a
// Result out as iperf3's -J does (docs/perf-json.md).
//
// Between two sockit sides a byte-bounded test counts every byte: the
// senders shut their streams down and the receivers read them to the
// end. UDP senders hand the kernel up to 64 datagrams a write (UDP GSO)
// and receivers take them coalesced (UDP GRO), where the kernel can;
// Config.NoGSO sends and reads each datagram as its own entry of a
// sendmmsg(2) or recvmmsg(2) batch. TCP receivers wake once a megabyte
// (SO_RCVLOWAT) rather than once a segment.
package perf
