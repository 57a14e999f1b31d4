// Package host reports what this machine offers sockets: its name, its
// interfaces and addresses, the ephemeral port range the kernel picks
// client ports from, the listen backlog ceiling, the open-file limit, and
// whether IPv6, raw sockets and unprivileged ICMP sockets are usable.
//
// [Inspect] gathers it all; every figure is read from the kernel at the
// moment of the call.
package host
