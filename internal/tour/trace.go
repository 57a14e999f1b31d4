package tour

import (
	"context"
	"fmt"
	"io"
	"net"

	"github.com/sockit/sockit/socket"
)

// Trace runs one TCP and one UDP echo exchange through the socket package
// and writes every system call, with its real descriptors, addresses and
// results, to w.
//
// Client and server take turns in one goroutine, so the calls print in the
// order a tutorial teaches them; the kernel makes that possible, since it
// completes the TCP handshake into the listen queue before accept, and
// queues data until the other side reads.
func Trace(ctx context.Context, w io.Writer) error {
	p := &printer{w: w}
	if _, err := socket.Gethostname(p.tracer("host")); err != nil {
		return err
	}
	if err := traceTCP(ctx, p); err != nil {
		return fmt.Errorf("tcp exchange: %w", err)
	}
	if err := traceUDP(ctx, p); err != nil {
		return fmt.Errorf("udp exchange: %w", err)
	}
	return p.err
}

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) tracer(role string) socket.Tracer {
	return func(c socket.Call) { p.printf("%-6s %s\n", role, c) }
}

func (p *printer) note(s string) { p.printf("\n# %s\n", s) }

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

var loopback4 = net.IPv4(127, 0, 0, 1)

func traceTCP(ctx context.Context, p *printer) error {
	server, client := p.tracer("server"), p.tracer("client")
	msg := []byte("hello over tcp\n")

	p.note("sockit's sockets are non-blocking: a call that would wait parks its goroutine until\n" +
		"# the kernel says the socket is ready, and each line below is a call's final result")
	p.note("TCP: the server creates a socket, binds port 0 (the kernel picks one) and listens")
	ln, err := socket.Socket(socket.INET, socket.Stream, 0, server)
	if err != nil {
		return err
	}
	defer ln.Close()
	if err := ln.SetOption(socket.ReuseAddr, 1); err != nil {
		return err
	}
	if err := ln.Bind(&net.TCPAddr{IP: loopback4}); err != nil {
		return err
	}
	if err := ln.Listen(16); err != nil {
		return err
	}
	addr, err := ln.LocalAddr()
	if err != nil {
		return err
	}

	p.note("the client connects; the kernel completes the handshake and queues it for accept")
	c, err := socket.Socket(socket.INET, socket.Stream, 0, client)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Connect(ctx, addr); err != nil {
		return err
	}
	if _, err := c.LocalAddr(); err != nil { // the ephemeral port
		return err
	}

	p.note("accept returns a new descriptor for this connection; the listener keeps listening")
	conn, _, err := ln.Accept(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()

	p.note("the client sends all of its message; the server reads it and sends it back")
	if err := c.SendAll(ctx, msg); err != nil {
		return err
	}
	if err := echoOnce(ctx, conn, len(msg)); err != nil {
		return err
	}
	if err := recvExactly(ctx, c, msg); err != nil {
		return err
	}

	p.note("the client shuts down its write side: the server reads end-of-file (0 bytes) and closes")
	if err := c.Shutdown(socket.ShutWrite); err != nil {
		return err
	}
	buf := make([]byte, 64)
	if n, err := conn.Recv(ctx, buf); err != io.EOF {
		return fmt.Errorf("server read %d bytes, %v after the client's shutdown; want end-of-file", n, err)
	}
	if err := conn.Close(); err != nil {
		return err
	}
	if n, err := c.Recv(ctx, buf); err != io.EOF {
		return fmt.Errorf("client read %d bytes, %v after the server closed; want end-of-file", n, err)
	}
	if err := c.Close(); err != nil {
		return err
	}
	return ln.Close()
}

// echoOnce reads n bytes on conn and sends them back.
func echoOnce(ctx context.Context, conn *socket.FD, n int) error {
	buf := make([]byte, n)
	for got := 0; got < n; {
		m, err := conn.Recv(ctx, buf[got:])
		if err != nil {
			return err
		}
		got += m
	}
	return conn.SendAll(ctx, buf)
}

func recvExactly(ctx context.Context, c *socket.FD, want []byte) error {
	buf := make([]byte, len(want))
	for got := 0; got < len(want); {
		m, err := c.Recv(ctx, buf[got:])
		if err != nil {
			return err
		}
		got += m
	}
	if string(buf) != string(want) {
		return fmt.Errorf("echo differs: sent %q, got %q", want, buf)
	}
	return nil
}

func traceUDP(ctx context.Context, p *printer) error {
	server, client := p.tracer("server"), p.tracer("client")
	msg := []byte("hello over udp\n")

	p.note("UDP: the server binds a datagram socket; there is no listen and no accept")
	srv, err := socket.Socket(socket.INET, socket.Datagram, 0, server)
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := srv.Bind(&net.UDPAddr{IP: loopback4}); err != nil {
		return err
	}
	addr, err := srv.LocalAddr()
	if err != nil {
		return err
	}

	p.note("the client sends without bind or connect: the kernel binds it to an ephemeral port on the way")
	c, err := socket.Socket(socket.INET, socket.Datagram, 0, client)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.SendTo(ctx, msg, addr); err != nil {
		return err
	}
	if _, err := c.LocalAddr(); err != nil {
		return err
	}

	p.note("recvfrom tells the server who sent the datagram, and the reply goes to that sender")
	buf := make([]byte, 64<<10)
	n, from, err := srv.RecvFrom(ctx, buf)
	if err != nil {
		return err
	}
	if _, err := srv.SendTo(ctx, buf[:n], from); err != nil {
		return err
	}
	n, _, err = c.RecvFrom(ctx, buf)
	if err != nil {
		return err
	}
	if string(buf[:n]) != string(msg) {
		return fmt.Errorf("echo differs: sent %q, got %q", msg, buf[:n])
	}
	if err := c.Close(); err != nil {
		return err
	}
	return srv.Close()
}
