package endpoint

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/sockit/sockit/socket"
)

// defaultBacklog is the kernel's ceiling, net.core.somaxconn, which Go's
// own listeners use too; 4096 (Linux's default) if it cannot be read.
func defaultBacklog() int {
	b, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		return 4096
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n < 1 {
		return 4096
	}
	return n
}

// ListenFD opens e for serving through the socket package, so that every
// system call reaches tr (which may be nil): a listening socket for stream
// and sequenced-packet endpoints, a bound one for datagram endpoints. It
// applies the same options, backlog and stale-Unix-file rule as Listen and
// ListenPacket. The caller removes a Unix socket file when done, as
// RemoveFile does.
func (e Endpoint) ListenFD(ctx context.Context, tr socket.Tracer) (*socket.FD, error) {
	typ := e.Type()
	if typ == 0 {
		return nil, e.opError("listen", ErrNotSocket)
	}
	if e.IsTLS() {
		return nil, e.opError("listen", errors.New("tls needs Go's crypto/tls over a net.Listener: use Listen"))
	}
	laddr, domain, err := e.resolveLocal()
	if err != nil {
		return nil, e.opError("listen", err)
	}
	fd, err := socket.Socket(domain, typ, 0, tr)
	if err != nil {
		return nil, e.opError("listen", err)
	}
	if err := e.setOptions(fd, domain); err != nil {
		fd.Close()
		return nil, e.opError("listen", err)
	}
	err = fd.Bind(laddr)
	if err != nil && e.replaceStale(ctx, err) {
		err = fd.Bind(laddr)
	}
	if err == nil && typ != socket.Datagram {
		backlog := e.Options.Backlog
		if backlog == 0 {
			backlog = defaultBacklog()
		}
		err = fd.Listen(backlog)
	}
	if err != nil {
		fd.Close()
		return nil, e.opError("listen", unwrapOp(err))
	}
	return fd, nil
}

// RemoveFile removes e's Unix socket file, if it has one; for servers built
// on ListenFD, whose descriptors do not remove it on Close.
func (e Endpoint) RemoveFile() error {
	if !e.IsUnix() || e.IsAbstract() {
		return nil
	}
	if err := os.Remove(e.Address); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

// unwrapOp drops the socket package's own op and address from err, since
// the endpoint's error names them already.
func unwrapOp(err error) error {
	if oerr, ok := err.(*socket.OpError); ok {
		return os.NewSyscallError(oerr.Op, oerr.Err)
	}
	return err
}

// resolveLocal turns e's address into the address to bind and the domain
// of the socket: a wildcard host on "tcp" or "udp" gets a dual-stack IPv6
// socket when this host has IPv6, as Go's listeners do.
func (e Endpoint) resolveLocal() (net.Addr, socket.Domain, error) {
	if e.IsUnix() {
		return &net.UnixAddr{Name: e.Address, Net: e.Network}, socket.UNIX, nil
	}
	var ip net.IP
	var port int
	var zone string
	if strings.HasPrefix(e.Network, "udp") {
		a, err := net.ResolveUDPAddr(e.Network, e.Address)
		if err != nil {
			return nil, 0, err
		}
		ip, port, zone = a.IP, a.Port, a.Zone
	} else {
		a, err := net.ResolveTCPAddr(e.Network, e.Address)
		if err != nil {
			return nil, 0, err
		}
		ip, port, zone = a.IP, a.Port, a.Zone
	}
	domain := socket.INET6
	switch {
	case strings.HasSuffix(e.Network, "4"), ip.To4() != nil:
		domain = socket.INET
	case ip == nil && !strings.HasSuffix(e.Network, "6") && !hasIPv6():
		domain = socket.INET
	}
	if strings.HasPrefix(e.Network, "udp") {
		return &net.UDPAddr{IP: ip, Port: port, Zone: zone}, domain, nil
	}
	return &net.TCPAddr{IP: ip, Port: port, Zone: zone}, domain, nil
}

func hasIPv6() bool {
	fd, err := socket.Socket(socket.INET6, socket.Stream, 0, nil)
	if err != nil {
		return false
	}
	fd.Close()
	return true
}

// setOptions sets, before bind, what Listen's Control func sets, plus the
// dual-stack choice and SO_REUSEADDR that Go makes on its own, and the
// keepalive Go's ListenConfig would set on each accepted connection
// (accepted sockets inherit it). The integer options go through fd, so a
// tracer sees them.
func (e Endpoint) setOptions(fd *socket.FD, domain socket.Domain) error {
	set := func(opt socket.Option, v int) error {
		if err := fd.SetOption(opt, v); err != nil {
			return fmt.Errorf("setsockopt %v=%d: %w", opt, v, err)
		}
		return nil
	}
	var err error
	if strings.HasPrefix(e.Network, "tcp") {
		err = set(socket.ReuseAddr, 1)
	}
	if err == nil && domain == socket.INET6 {
		v6only := 0
		if strings.HasSuffix(e.Network, "6") {
			v6only = 1
		}
		err = set(socket.V6Only, v6only)
	}
	if err != nil {
		return err
	}
	for _, s := range append(e.Options.sockopts(), e.Options.keepAliveSockopts()...) {
		if s.connected {
			continue
		}
		if opt := s.option(domain); opt != 0 && s.linger == nil && s.sopt == 0 {
			if err := fd.SetOption(opt, s.v); err != nil {
				return s.refused(err)
			}
			continue
		}
		if err := s.set(uintptr(fd.Fd()), domain); err != nil {
			return err
		}
	}
	return nil
}

// CheckFree reports whether e's address is free for a server that will
// bind it with SO_REUSEPORT set on its own: it binds a socket without
// SO_REUSEPORT (and without listening, so no client can reach it), then
// closes it. A server that sets SO_REUSEPORT on its sockets without being
// asked calls this first, so that an address another server holds is
// "address already in use" rather than silently shared with it.
func (e Endpoint) CheckFree(ctx context.Context) error {
	if e.IsUnix() || e.Type() == 0 {
		return nil
	}
	laddr, domain, err := e.resolveLocal()
	if err != nil {
		return e.opError("listen", err)
	}
	fd, err := socket.Socket(domain, e.Type(), 0, nil)
	if err != nil {
		return e.opError("listen", unwrapOp(err))
	}
	defer fd.Close()
	probe := e
	probe.Options = Options{}
	if err := probe.setOptions(fd, domain); err != nil {
		return e.opError("listen", err)
	}
	if err := fd.Bind(laddr); err != nil {
		return e.opError("listen", unwrapOp(err))
	}
	return nil
}
