package tour

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/engine"
	"github.com/sockit/sockit/host"
	"github.com/sockit/sockit/socket"
)

// Row is the result of one round trip.
type Row struct {
	Name     string        `json:"name"`   // tcp4, tcp6, udp4, udp6, unix, unixgram, unixpacket, abstract
	Socket   string        `json:"socket"` // SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET
	Family   string        `json:"family"` // AF_INET, AF_INET6, AF_UNIX
	Proto    string        `json:"proto"`  // tcp, udp, unix, unixgram, unixpacket
	Server   string        `json:"server"` // the address the server bound
	Client   string        `json:"client"` // the client's address: the kernel's ephemeral port
	Bytes    int           `json:"bytes"`  // bytes sent, and received back
	RTT      time.Duration `json:"rtt_ns"`
	Verified bool          `json:"verified"`          // the echo matched byte for byte
	Skipped  string        `json:"skipped,omitempty"` // why the type was not tried here
	Err      string        `json:"error,omitempty"`
}

// Case is one socket type the tour tries.
type Case struct {
	Name   string
	Family socket.Domain
	Addr   string // the server's address; "%s" stands for a temp directory
}

// Cases lists the socket types in the order the tour shows them.
func Cases() []Case {
	return []Case{
		{"tcp4", socket.INET, "tcp4://127.0.0.1:0"},
		{"tcp6", socket.INET6, "tcp6://[::1]:0"},
		{"udp4", socket.INET, "udp4://127.0.0.1:0"},
		{"udp6", socket.INET6, "udp6://[::1]:0"},
		{"unix", socket.UNIX, "unix:%s/stream.sock"},
		{"unixgram", socket.UNIX, "unixgram:%s/dgram.sock"},
		{"unixpacket", socket.UNIX, "unixpacket:%s/seqpacket.sock"},
		{"abstract", socket.UNIX, "unix:@sockit-demo-%s"},
	}
}

// Run tries every case: it starts an echo server on an ephemeral port or a
// temp path, connects a client, sends a message and checks the echo. A case
// that fails is reported in its row; Run's error is for the tour itself.
func Run(ctx context.Context, eng engine.Engine) ([]Row, error) {
	dir, err := os.MkdirTemp("", "sockit-demo-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var nonce [4]byte
	rand.Read(nonce[:])
	ipv6 := host.IPv6().OK
	var rows []Row
	for _, c := range Cases() {
		fill := dir
		if c.Name == "abstract" {
			fill = hex.EncodeToString(nonce[:])
		}
		addr := c.Addr
		if strings.Contains(addr, "%s") {
			addr = fmt.Sprintf(addr, fill)
		}
		row := Row{Name: c.Name, Family: c.Family.String()}
		if c.Family == socket.INET6 && !ipv6 {
			row.Skipped = "no IPv6 on this host"
			rows = append(rows, row)
			continue
		}
		roundTrip(ctx, eng, endpoint.MustParse(addr), &row)
		rows = append(rows, row)
	}
	return rows, nil
}

// roundTrip serves echo on ep, sends one message and fills row.
func roundTrip(ctx context.Context, eng engine.Engine, ep endpoint.Endpoint, row *Row) {
	row.Socket = ep.Type().String()
	fail := func(err error) { row.Err = err.Error() }
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	srv, err := eng.Bind(ctx, ep, engine.Config{})
	if err != nil {
		fail(err)
		return
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	defer func() {
		srv.Close()
		<-served
	}()
	row.Server = endpoint.AddrString(srv.Addr())
	dial := endpoint.FromAddr(ep.Network, srv.Addr())
	c, err := dial.Dial(ctx)
	if err != nil {
		fail(err)
		return
	}
	defer c.Close()
	if d, ok := ctx.Deadline(); ok {
		c.SetDeadline(d)
	}
	row.Proto = c.LocalAddr().Network()
	row.Client = endpoint.AddrString(c.LocalAddr())
	msg := []byte("hello from sockit over " + row.Name + "\n")
	start := time.Now()
	if _, err := c.Write(msg); err != nil {
		fail(err)
		return
	}
	got := make([]byte, len(msg))
	if ep.Type() == socket.Stream {
		_, err = io.ReadFull(c, got)
	} else {
		var n int
		n, err = c.Read(got)
		got = got[:n]
	}
	row.RTT = time.Since(start)
	if err != nil {
		fail(err)
		return
	}
	row.Bytes = len(msg)
	row.Verified = bytes.Equal(got, msg)
	if !row.Verified {
		fail(fmt.Errorf("echo differs: sent %q, got %q", msg, got))
	}
	if err := c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		fail(err)
	}
}
