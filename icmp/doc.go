// Package icmp is ping and route tracing over ICMP sockets, and the
// decoding of the packets they receive, layer by layer.
//
// # Sockets
//
// [Open] opens one of the two kinds of ICMP socket Linux has:
//
//   - [Raw] (socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)): needs CAP_NET_RAW. It
//     receives a copy of every ICMP packet the host receives, IPv4 ones
//     with their IP header, so replies are told apart by the echo
//     identifier and a token this package puts in each payload.
//   - [Datagram] (socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)), the
//     "unprivileged ping socket": allowed to the groups in the sysctl
//     net.ipv4.ping_group_range (which covers IPv6 too). It sends only echo
//     requests; the kernel sets their identifier to the socket's own and
//     delivers to it only the replies that carry it. ICMP errors about its
//     echoes arrive on its error queue (IP_RECVERR), not as packets.
//
// [Auto] tries a raw socket first and falls back to a datagram one. When
// neither is allowed, the error is a [*PermissionError] that says what is
// missing and how to grant it.
//
// # Ping and trace
//
// [Pinger] sends echo requests at an interval and matches replies by
// identifier, sequence number and payload token, so concurrent pingers
// never take each other's replies; it reports duplicates, replies that
// arrive after a later one, and ICMP errors, and sums up like iputils
// ping. [Trace] sends probes (ICMP echoes, or UDP datagrams to unlikely
// ports) with a rising TTL and reports who answers at each hop.
//
// Round-trip times are taken from the kernel's receive timestamp
// (SO_TIMESTAMPNS), not from when the program woke up, as iputils does.
//
// # Decoding
//
// [Packet] is one received packet: its network layer ([IPHeader]) as far
// as the socket shows it, and its ICMP [Message], with, for an error, the
// [Quoted] packet that caused it. golang.org/x/net's icmp, ipv4 and ipv6
// packages parse the wire formats.
package icmp
