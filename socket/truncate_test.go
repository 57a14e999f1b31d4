package socket

import (
	"bytes"
	"errors"
	"net"
	"testing"
)

// TestTruncated checks that a message larger than the buffer fills it and
// returns ErrTruncated with both sizes, from Recv and RecvFrom, on every
// message socket.
func TestTruncated(t *testing.T) {
	tests := []struct {
		name string
		d    Domain
		t    Type
		addr func(t *testing.T) net.Addr
	}{
		{"udp4", INET, Datagram, func(*testing.T) net.Addr { return loopback(INET, Datagram) }},
		{"unixgram", UNIX, Datagram, func(t *testing.T) net.Addr { return tempPath(t, Datagram, "s.sock") }},
		{"unixpacket", UNIX, SeqPacket, func(t *testing.T) net.Addr { return tempPath(t, SeqPacket, "s.sock") }},
	}
	msg := bytes.Repeat([]byte("0123456789"), 200)
	const wantErr = "socket: message truncated: 2000-byte message, 1000-byte buffer"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, _ := testContext(t)
			cli, srv := pair(t, ctx, tt.d, tt.t, tt.addr(t), nil)
			var rec recorder
			srv.tr = rec.trace
			clocal, err := cli.LocalAddr()
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if n, err := cli.Send(ctx, msg); n != len(msg) || err != nil {
					t.Fatalf("send = %d, %v", n, err)
				}
			}
			buf := make([]byte, 1000)
			n, err := srv.Recv(ctx, buf)
			if n != len(buf) || !errors.Is(err, ErrTruncated) || err.Error() != wantErr || !bytes.Equal(buf, msg[:len(buf)]) {
				t.Errorf("recv = %d, %v; want %d, %q", n, err, len(buf), wantErr)
			}
			clear(buf)
			n, from, err := srv.RecvFrom(ctx, buf)
			if n != len(buf) || !errors.Is(err, ErrTruncated) || !bytes.Equal(buf, msg[:len(buf)]) {
				t.Errorf("recvfrom = %d, %v; want %d, %q", n, err, len(buf), wantErr)
			}
			if tt.t == Datagram && !sameAddr(from, clocal) {
				t.Errorf("recvfrom's address = %v, want %v", from, clocal)
			}
			for _, c := range rec.Calls() {
				if c.Ret != len(msg) || c.Args != "1000" {
					t.Errorf("traced %v, want the message's full length, %d", c, len(msg))
				}
			}
		})
	}
}
