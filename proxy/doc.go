// Package proxy dials through proxies: SOCKS5 (RFC 1928, with RFC 1929's
// username and password), SOCKS4 and SOCKS4a, and HTTP CONNECT, one or a
// chain of them, each hop reached through the one before. A Chain is a
// dialer: its DialContext returns a net.Conn to the destination, and an
// error names the hop that refused and why, in words (the SOCKS reply
// code, the HTTP status line).
//
// SOCKS5 is golang.org/x/net/proxy's; SOCKS4, SOCKS4a and HTTP CONNECT,
// which it lacks, are written here.
package proxy
