// Package endpoint parses sockit's address grammar and opens sockets from it.
//
// One syntax names every socket sockit can open, and its scheme names are Go's
// network names, so what a user types is what [net.Dial] receives:
//
//	tcp://127.0.0.1:7777      tcp4://0.0.0.0:80       tcp6://[::1]:7
//	udp://127.0.0.1:5353      udp4://:9               udp6://[::1]:9
//	unix:///run/app.sock      unix:rel/app.sock       unix:@abstract-name
//	unixgram:/tmp/g.sock      unixpacket:@seq
//	tls://example.com:443     tls4://0.0.0.0:8443     (TLS over tcp, tcp4, tcp6)
//	icmp://0.0.0.0            icmp6://[::1]           (ICMP on a raw socket: no port)
//	localhost:7777            :7777                   (shorthands for tcp)
//	-                         (standard input and output)
//	exec:COMMAND              file:PATH               (a program; a file, for relay)
//
// Socket options follow a '?', as in "tcp://127.0.0.1:0?backlog=16&rcvbuf=256k":
// buffers (rcvbuf, sndbuf, rcvbufforce, sndbufforce), the IP header (ttl or
// hoplimit, tos, dscp or tclass), TCP (nodelay, keepalive, linger,
// fastopen, congestion, maxseg, user-timeout, quickack, cork), binding
// (reuseport, reuseaddr, v6only, freebind, transparent, bindtodevice, bind:
// the source address of a dial), routing and queueing (mark, priority,
// broadcast, busy-poll, debug), multicast (join, source, iface, mttl,
// mloop), the listen backlog, and listen or dial (the role, where a
// command lets either side take either). Each is a field of
// [Options]; [Options.ReadBack] reads back what the kernel made of them,
// and a setsockopt the kernel refuses is a [*SockoptError]. TLS endpoints
// also take cert and key (a listener's certificate, or a dial's client
// certificate; without them Listen makes a self-signed one), ca (the
// authorities a dial trusts), servername, insecure, clientca and
// verifyclient (mutual TLS), alpn and minversion.
//
// icmp and icmp6 addresses take no options; package icmp opens them, for
// sockit listen's raw receive, and Listen and Dial refuse them.
//
// [Parse] turns text into an [Endpoint]; [Endpoint.Listen],
// [Endpoint.ListenPacket] and [Endpoint.Dial] open it. [Tuple] is the
// 5-tuple of an open socket and prints the way sockit shows it to users:
//
//	tcp 127.0.0.1:41234 -> 127.0.0.1:7777
package endpoint
