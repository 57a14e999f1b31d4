package socket

import (
	"encoding/binary"
	"fmt"
	"net"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A sockaddr is a socket address as the kernel reads and writes it.
type sockaddr struct {
	raw unix.RawSockaddrAny
	len uint32
}

// sunPath is the offset of sun_path in struct sockaddr_un: an address this
// long is an unnamed Unix socket.
const sunPath = uint32(unsafe.Offsetof(unix.RawSockaddrUnix{}.Path))

// sockaddrOf encodes addr for a socket of domain d.
func sockaddrOf(d Domain, addr net.Addr) (*sockaddr, error) {
	switch a := addr.(type) {
	case *net.TCPAddr:
		if a != nil {
			return inetSockaddr(d, a.IP, a.Port, a.Zone)
		}
	case *net.UDPAddr:
		if a != nil {
			return inetSockaddr(d, a.IP, a.Port, a.Zone)
		}
	case *net.IPAddr:
		if a != nil {
			return inetSockaddr(d, a.IP, 0, a.Zone)
		}
	case *net.UnixAddr:
		if a != nil {
			if d != UNIX {
				return nil, fmt.Errorf("a Unix address on an %v socket: %w", d, unix.EAFNOSUPPORT)
			}
			return unixSockaddr(a.Name)
		}
	case nil:
	default:
		return nil, fmt.Errorf("unsupported address type %T: %w", addr, unix.EAFNOSUPPORT)
	}
	return nil, errMissingAddress
}

// inetSockaddr encodes an IP address and port for a socket of domain d. An
// empty ip is the unspecified address; an IPv4 one is v4-mapped for INET6.
func inetSockaddr(d Domain, ip net.IP, port int, zone string) (*sockaddr, error) {
	if port < 0 || port > 0xffff {
		return nil, fmt.Errorf("port %d out of range: %w", port, unix.EINVAL)
	}
	sa := new(sockaddr)
	switch d {
	case INET:
		ip4 := net.IPv4zero.To4()
		if len(ip) > 0 {
			if ip4 = ip.To4(); ip4 == nil {
				return nil, fmt.Errorf("an IPv6 address on an AF_INET socket: %w", unix.EAFNOSUPPORT)
			}
		}
		raw := (*unix.RawSockaddrInet4)(unsafe.Pointer(&sa.raw))
		raw.Family = unix.AF_INET
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&raw.Port))[:], uint16(port))
		copy(raw.Addr[:], ip4)
		sa.len = unix.SizeofSockaddrInet4
	case INET6:
		ip16 := net.IPv6unspecified
		if len(ip) > 0 {
			if ip16 = ip.To16(); ip16 == nil {
				return nil, fmt.Errorf("invalid IP address %v: %w", ip, unix.EINVAL)
			}
		}
		scope, err := zoneIndex(zone)
		if err != nil {
			return nil, err
		}
		raw := (*unix.RawSockaddrInet6)(unsafe.Pointer(&sa.raw))
		raw.Family = unix.AF_INET6
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&raw.Port))[:], uint16(port))
		copy(raw.Addr[:], ip16)
		raw.Scope_id = scope
		sa.len = unix.SizeofSockaddrInet6
	default:
		return nil, fmt.Errorf("an IP address on an %v socket: %w", d, unix.EAFNOSUPPORT)
	}
	return sa, nil
}

// unixSockaddr encodes a Unix socket name: a path, an abstract name
// starting with '@', or "" for none (bind then autobinds).
func unixSockaddr(name string) (*sockaddr, error) {
	sa := new(sockaddr)
	raw := (*unix.RawSockaddrUnix)(unsafe.Pointer(&sa.raw))
	raw.Family = unix.AF_UNIX
	if len(name) > len(raw.Path) {
		return nil, fmt.Errorf("name longer than %d bytes: %w", len(raw.Path), unix.EINVAL)
	}
	for i := range len(name) {
		raw.Path[i] = int8(name[i])
	}
	sa.len = sunPath + uint32(len(name))
	switch {
	case name == "":
	case name[0] == '@':
		raw.Path[0] = 0 // abstract: no terminating NUL either
	case len(name) < len(raw.Path):
		sa.len++ // the path's terminating NUL
	}
	return sa, nil
}

// addr decodes sa, returned by a call on a socket of domain d and type t.
// It returns nil if the kernel returned no address, except that for a
// Unix socket that means an unnamed peer.
func (sa *sockaddr) addr(d Domain, t Type) net.Addr {
	n := min(sa.len, unix.SizeofSockaddrAny)
	if n < sunPath {
		if d == UNIX {
			return &net.UnixAddr{Net: unixNet(t)}
		}
		return nil
	}
	switch sa.raw.Addr.Family {
	case unix.AF_INET:
		raw := (*unix.RawSockaddrInet4)(unsafe.Pointer(&sa.raw))
		port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&raw.Port))[:])
		return ipAddr(t, net.IP(append([]byte(nil), raw.Addr[:]...)), int(port), "")
	case unix.AF_INET6:
		raw := (*unix.RawSockaddrInet6)(unsafe.Pointer(&sa.raw))
		port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&raw.Port))[:])
		return ipAddr(t, net.IP(append([]byte(nil), raw.Addr[:]...)), int(port), zoneName(raw.Scope_id))
	case unix.AF_UNIX:
		raw := (*unix.RawSockaddrUnix)(unsafe.Pointer(&sa.raw))
		path := unsafe.Slice((*byte)(unsafe.Pointer(&raw.Path[0])), n-sunPath)
		var name string
		switch {
		case len(path) == 0: // unnamed
		case path[0] == 0: // abstract: every byte counts
			name = "@" + string(path[1:])
		default: // a path, perhaps NUL-terminated
			name = unix.ByteSliceToString(path)
		}
		return &net.UnixAddr{Name: name, Net: unixNet(t)}
	}
	return nil
}

// ipAddr returns the net.Addr of the natural type for an IP socket of
// type t.
func ipAddr(t Type, ip net.IP, port int, zone string) net.Addr {
	switch t {
	case Datagram:
		return &net.UDPAddr{IP: ip, Port: port, Zone: zone}
	case Raw:
		return &net.IPAddr{IP: ip, Zone: zone}
	}
	return &net.TCPAddr{IP: ip, Port: port, Zone: zone}
}

// unixNet returns the net package's network name for a Unix socket of
// type t.
func unixNet(t Type) string {
	switch t {
	case Datagram:
		return "unixgram"
	case SeqPacket:
		return "unixpacket"
	}
	return "unix"
}

// zoneIndex returns the scope id of an IPv6 zone: an interface name or a
// number.
func zoneIndex(zone string) (uint32, error) {
	if zone == "" {
		return 0, nil
	}
	if ifi, err := net.InterfaceByName(zone); err == nil {
		return uint32(ifi.Index), nil
	}
	n, err := strconv.ParseUint(zone, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("unknown IPv6 zone %q: %w", zone, unix.EINVAL)
	}
	return uint32(n), nil
}

// zoneName returns the zone of an IPv6 scope id: the interface's name, or
// the number if there is no such interface.
func zoneName(id uint32) string {
	if id == 0 {
		return ""
	}
	if ifi, err := net.InterfaceByIndex(int(id)); err == nil {
		return ifi.Name
	}
	return strconv.FormatUint(uint64(id), 10)
}
