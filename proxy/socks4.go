package proxy

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
)

// SOCKS4 reply codes, in words.
var socks4Replies = map[byte]string{
	90: "request granted",
	91: "request rejected or failed",
	92: "rejected: the proxy cannot reach the client's identd",
	93: "rejected: the user id does not match identd's",
}

// socks4 asks a SOCKS4 or SOCKS4a proxy over conn to connect to addr.
// SOCKS4 carries an IPv4 address, so a name is resolved here; SOCKS4a
// carries the name for the proxy to resolve.
func socks4(ctx context.Context, h Hop, conn net.Conn, addr string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("port %q: %w", portStr, err)
	}
	req := []byte{4, 1, 0, 0}
	binary.BigEndian.PutUint16(req[2:], uint16(port))
	ip := net.ParseIP(host).To4()
	name := ""
	switch {
	case ip != nil:
	case net.ParseIP(host) != nil:
		return nil, fmt.Errorf("%s: SOCKS4 carries IPv4 addresses only", host)
	case h.Scheme == "socks4a":
		ip, name = net.IPv4(0, 0, 0, 1).To4(), host // 0.0.0.x: the name follows
	default:
		if ip, err = lookupIPv4(ctx, host); err != nil {
			return nil, err
		}
	}
	req = append(req, ip...)
	req = append(append(req, h.User...), 0)
	if name != "" {
		req = append(append(req, name...), 0)
	}
	if _, err := conn.Write(req); err != nil {
		return nil, err
	}
	var reply [8]byte
	if _, err := io.ReadFull(conn, reply[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, errors.New("the proxy closed the connection before it answered (not a SOCKS4 proxy?)")
		}
		return nil, err
	}
	if reply[0] != 0 && reply[0] != 4 {
		return nil, fmt.Errorf("the answer %#02x %#02x is no SOCKS4 reply (not a SOCKS4 proxy?)", reply[0], reply[1])
	}
	if reply[1] != 90 {
		why := socks4Replies[reply[1]]
		if why == "" {
			why = fmt.Sprintf("reply code %d", reply[1])
		}
		return nil, fmt.Errorf("%w: %s", ErrRefused, why)
	}
	return conn, nil
}

// lookupIPv4 is host's first IPv4 address.
func lookupIPv4(ctx context.Context, host string) (net.IP, error) {
	ips, err := net.DefaultResolver.LookupIP(ctx, "ip4", host)
	if err != nil {
		return nil, err
	}
	return ips[0].To4(), nil
}
