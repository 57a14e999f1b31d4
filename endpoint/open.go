package endpoint

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"slices"
	"sync"
	"syscall"

	"github.com/sockit/sockit/socket"
)

// ErrNotSocket is returned when an endpoint that is not a socket, such as
// "-", is asked to listen or dial.
var ErrNotSocket = errors.New("endpoint is not a socket")

// ErrICMP is returned when an icmp or icmp6 endpoint is asked to listen or
// dial: its raw socket is package icmp's to open.
var ErrICMP = errors.New("an icmp address is for raw receive (sockit listen) and ping, not for streams or datagrams")

// Listen opens a stream listener on e: tcp, tcp4, tcp6, unix or unixpacket;
// or tls, tls4 or tls6, which returns a *TLSListener.
//
// Listeners set SO_REUSEADDR (on TCP), apply e's options, and use
// Options.Backlog as the real listen backlog. A Unix socket file left behind
// by a server that has died is replaced; one that a live server holds is
// "address already in use". Closing the listener removes its socket file.
func (e Endpoint) Listen(ctx context.Context) (net.Listener, error) {
	if e.IsTLS() {
		return e.listenTLS(ctx)
	}
	switch e.Type() {
	case socket.Stream, socket.SeqPacket:
	case socket.Datagram:
		return nil, e.opError("listen", fmt.Errorf("%s is a datagram network: use ListenPacket", e.Network))
	case socket.Raw:
		return nil, e.opError("listen", ErrICMP)
	default:
		return nil, e.opError("listen", ErrNotSocket)
	}
	lc := e.listenConfig()
	ln, err := lc.Listen(ctx, e.Network, e.Address)
	if err != nil && e.replaceStale(ctx, err) {
		ln, err = lc.Listen(ctx, e.Network, e.Address)
	}
	if err != nil {
		return nil, err
	}
	if e.Options.Backlog > 0 {
		if err := setBacklog(ln, e.Options.Backlog); err != nil {
			ln.Close()
			return nil, &net.OpError{Op: "listen", Net: e.Network, Addr: ln.Addr(), Err: err}
		}
	}
	return ln, nil
}

// ListenPacket opens a datagram socket bound to e: udp, udp4, udp6 or
// unixgram. As with Listen, a stale Unix socket file is replaced and the
// file is removed on Close.
func (e Endpoint) ListenPacket(ctx context.Context) (net.PacketConn, error) {
	if e.Type() != socket.Datagram {
		if e.IsICMP() {
			return nil, e.opError("listen", ErrICMP)
		}
		if e.Network == Stdio || e.Network == Exec {
			return nil, e.opError("listen", ErrNotSocket)
		}
		return nil, e.opError("listen", fmt.Errorf("%s is not a datagram network: use Listen", e.Network))
	}
	lc := e.listenConfig()
	pc, err := lc.ListenPacket(ctx, e.Network, e.Address)
	if err != nil && e.replaceStale(ctx, err) {
		pc, err = lc.ListenPacket(ctx, e.Network, e.Address)
	}
	if err != nil {
		return nil, err
	}
	if uc, ok := pc.(*net.UDPConn); ok && e.Options.multicastSet() {
		// The group is the address asked for: Go binds a multicast
		// address's socket to the wildcard, as the kernel delivers a
		// group's datagrams to the sockets bound to its port.
		group, err := net.ResolveUDPAddr(e.Network, e.Address)
		if err == nil {
			err = e.Options.setMulticast(uc, group.IP)
		}
		if err != nil {
			pc.Close()
			return nil, e.opError("listen", err)
		}
	}
	if e.IsUnix() && !e.IsAbstract() {
		return &unlinkingConn{UnixConn: pc.(*net.UnixConn), path: e.Address}, nil
	}
	return pc, nil
}

// Dial connects to e. A tls dial completes the handshake before it
// returns, and verifies the server's certificate and name unless
// Options.TLS says otherwise. For datagram networks it returns a connected socket:
// it sends only to e and receives only from e. A unixgram dial without a
// bind= option binds an autobound abstract name, so that the server has an
// address to reply to. ctx bounds the connect.
func (e Endpoint) Dial(ctx context.Context) (net.Conn, error) {
	if e.Type() == 0 {
		return nil, e.opError("dial", ErrNotSocket)
	}
	if e.IsICMP() {
		return nil, e.opError("dial", ErrICMP)
	}
	if e.IsTLS() {
		return e.dialTLS(ctx)
	}
	d := e.dialer()
	switch {
	case e.Options.Bind != "":
		laddr, err := LocalAddr(e.Network, e.Options.Bind)
		if err != nil {
			return nil, e.opError("dial", err)
		}
		d.LocalAddr = laddr
	case e.Network == "unixgram":
		d.Control = autobind(d.Control)
	}
	c, err := d.DialContext(ctx, e.Network, e.Address)
	if err != nil {
		return nil, err
	}
	if err := e.Options.ConfigureConn(c); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// DialVia connects to e as Dial does, but opens the TCP connection with
// via (proxy.Chain.DialContext: through proxies) in place of the dialer;
// a tls endpoint then does its handshake over it. The options that act
// before connect (bind, buffers, TOS) do not reach that socket; those
// that act on a connection (nodelay, quickack, cork, priority) do.
func (e Endpoint) DialVia(ctx context.Context, via func(ctx context.Context, network, addr string) (net.Conn, error)) (net.Conn, error) {
	tcp := e
	if e.IsTLS() {
		tcp = e.overTCP()
	}
	if tcp.Type() != socket.Stream || tcp.IsUnix() {
		return nil, e.opError("dial", fmt.Errorf("%s through a proxy: proxies carry TCP streams", e.Network))
	}
	c, err := via(ctx, tcp.Network, tcp.Address)
	if err != nil {
		return nil, err
	}
	if err := tcp.Options.ConfigureConn(c); err != nil {
		c.Close()
		return nil, err
	}
	if !e.IsTLS() {
		return c, nil
	}
	return e.handshakeTLS(ctx, c)
}

// listenConfig is the net.ListenConfig that applies e's options.
func (e Endpoint) listenConfig() net.ListenConfig {
	lc := net.ListenConfig{Control: e.control(false)}
	lc.KeepAlive, lc.KeepAliveConfig = e.Options.keepAlive()
	return lc
}

// dialer is the net.Dialer that applies e's options.
func (e Endpoint) dialer() net.Dialer {
	d := net.Dialer{Control: e.control(true)}
	d.KeepAlive, d.KeepAliveConfig = e.Options.keepAlive()
	return d
}

func (e Endpoint) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: e.Network, Addr: stringAddr{e.Network, e.Address}, Err: err}
}

// stringAddr is a net.Addr for errors about endpoints not yet resolved.
type stringAddr struct{ network, address string }

func (a stringAddr) Network() string { return a.network }
func (a stringAddr) String() string  { return a.address }

// control returns the net.ListenConfig or net.Dialer Control func that
// applies e's options before bind (dial: for a socket that will connect).
func (e Endpoint) control(dial bool) func(network, address string, c syscall.RawConn) error {
	l := e.Options.sockopts()
	if dial {
		l = e.Options.dialSockopts()
	}
	if !slices.ContainsFunc(l, func(s sockopt) bool { return !s.connected }) {
		return nil
	}
	return func(network, address string, c syscall.RawConn) error {
		var err error
		cerr := c.Control(func(fd uintptr) { err = applySockopts(fd, l, false) })
		return errors.Join(cerr, err)
	}
}

// ConfigureConn applies to c, a dialed or accepted connection, the options
// that act on a connected socket: nodelay, quickack, cork, and priority,
// which accepted sockets do not inherit from their listener. Go sets
// TCP_NODELAY on every accepted connection, so servers call this after
// Accept for nodelay=0 to take effect. Dial calls it itself.
func (o Options) ConfigureConn(c net.Conn) error {
	l := o.sockopts()
	if !slices.ContainsFunc(l, func(s sockopt) bool { return s.connected || s.again }) {
		return nil
	}
	sc, ok := ConnAs[syscall.Conn](c) // a TLS connection's socket, say
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = applySockopts(fd, l, true) }); err != nil {
		return err
	}
	if serr != nil {
		return &net.OpError{Op: "set", Net: c.LocalAddr().Network(), Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: serr}
	}
	return nil
}

// Apply sets every option o asks for on c, an open connection: those a
// socket takes before bind as well as ConfigureConn's. It is for sockets
// opened elsewhere (a server applying a client's parameters to the
// connections it accepted); a buffer size or congestion algorithm acts at
// once, a segment size only on what is sent later.
func (o Options) Apply(c net.Conn) error {
	sc, ok := ConnAs[syscall.Conn](c)
	if !ok {
		return fmt.Errorf("set options: %T has no socket", c)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	l := o.sockopts()
	var serr error
	if err := rc.Control(func(fd uintptr) {
		if serr = applySockopts(fd, l, false); serr == nil {
			serr = applySockopts(fd, l, true)
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return &net.OpError{Op: "set", Net: c.LocalAddr().Network(), Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: serr}
	}
	return nil
}

// autobind wraps a Control func so that the socket is bound to an abstract
// name the kernel picks before it connects.
func autobind(next func(string, string, syscall.RawConn) error) func(string, string, syscall.RawConn) error {
	return func(network, address string, c syscall.RawConn) error {
		if next != nil {
			if err := next(network, address, c); err != nil {
				return err
			}
		}
		var err error
		if cerr := c.Control(func(fd uintptr) { err = socket.AutobindFD(fd) }); cerr != nil {
			return cerr
		}
		return err
	}
}

// setBacklog gives a Go listener a real backlog: Go always listens with
// the kernel's ceiling, and Linux lets a second listen(2) on a listening
// socket change it.
func setBacklog(ln net.Listener, backlog int) error {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return fmt.Errorf("listener %T has no descriptor", ln)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) { lerr = socket.ListenFD(fd, backlog) }); err != nil {
		return err
	}
	return lerr
}

// replaceStale removes e's Unix socket file if err says it is in use and no
// server answers on it, and reports whether it did. A file that is not a
// socket, or one a live server holds, is left alone.
func (e Endpoint) replaceStale(ctx context.Context, err error) bool {
	if !e.IsUnix() || e.IsAbstract() || !errors.Is(err, syscall.EADDRINUSE) {
		return false
	}
	fi, serr := os.Lstat(e.Address)
	if serr != nil || fi.Mode().Type() != fs.ModeSocket {
		return false
	}
	// connect(2) to a socket file nobody has bound is refused whatever the
	// type; a live server of another type answers EPROTOTYPE instead.
	var d net.Dialer
	c, derr := d.DialContext(ctx, e.Network, e.Address)
	if derr == nil {
		c.Close()
		return false
	}
	if !errors.Is(derr, syscall.ECONNREFUSED) {
		return false
	}
	return os.Remove(e.Address) == nil
}

// unlinkingConn is a unixgram socket that removes its file on Close, as
// net.UnixListener does for stream sockets.
type unlinkingConn struct {
	*net.UnixConn
	path string
	once sync.Once
}

func (c *unlinkingConn) Close() error {
	err := c.UnixConn.Close()
	c.once.Do(func() {
		if rerr := os.Remove(c.path); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) && err == nil {
			err = rerr
		}
	})
	return err
}
