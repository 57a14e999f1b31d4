// Package scan finds which TCP ports of a host accept connections: a
// connect scan, as nc -z does, over lists and ranges of ports, many at a
// time, each bounded by a timeout.
//
// A port is open when the connect succeeds, closed when the host refuses
// it (a reset), and filtered when no answer comes within the timeout or the
// network says the host cannot be reached: something between drops the
// attempt.
package scan
