package socket

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
)

// TestSendAll sends 4 MiB with SendAll while the peer reads it, then shuts
// down the write side: the peer must read every byte, then EOF, and still
// be able to answer over the half-closed connection.
func TestSendAll(t *testing.T) {
	const size = 4 << 20
	tests := []struct {
		name string
		d    Domain
		addr func(t *testing.T) net.Addr
	}{
		{"tcp4", INET, func(*testing.T) net.Addr { return loopback(INET, Stream) }},
		{"unix", UNIX, func(t *testing.T) net.Addr { return tempPath(t, Stream, "s.sock") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := testContext(t)
			var rec recorder
			cli, srv := pair(t, ctx, tt.d, Stream, tt.addr(t), rec.trace)
			data := make([]byte, size)
			rand.NewChaCha8([32]byte{1}).Read(data)

			var (
				wg       sync.WaitGroup
				received bytes.Buffer
			)
			defer wg.Wait()
			defer cancel()
			wg.Go(func() {
				buf := make([]byte, 64<<10)
				for {
					n, err := srv.Recv(ctx, buf)
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						t.Errorf("server recv after %d bytes: %v", received.Len(), err)
						return
					}
					received.Write(buf[:n])
				}
				if err := srv.SendAll(ctx, []byte("done")); err != nil {
					t.Errorf("server send: %v", err)
				}
				if err := srv.Close(); err != nil {
					t.Errorf("server close: %v", err)
				}
			})

			if err := cli.SendAll(ctx, data); err != nil {
				t.Fatal(err)
			}
			if err := cli.Shutdown(ShutWrite); err != nil {
				t.Fatal(err)
			}
			reply, err := readAll(t, cli)
			if err != nil {
				t.Fatal(err)
			}
			if string(reply) != "done" {
				t.Errorf("reply = %q, want %q", reply, "done")
			}
			wg.Wait()
			if !bytes.Equal(received.Bytes(), data) {
				t.Errorf("server received %d bytes, not the %d sent", received.Len(), len(data))
			}

			sent, sends := 0, 0
			for _, c := range rec.Calls() {
				if c.Op == "send" {
					sent += c.Ret
					sends++
				}
			}
			if sent != size {
				t.Errorf("traced sends total %d bytes in %d calls, want %d", sent, sends, size)
			}
			if c := rec.last(t); c.Op != "recv" || c.Ret != 0 || c.Err != nil {
				t.Errorf("last call %v, want recv = 0 (end of file)", c)
			}
		})
	}
}

// readAll receives from f until EOF.
func readAll(t *testing.T, f *FD) ([]byte, error) {
	t.Helper()
	ctx, _ := testContext(t)
	var all []byte
	buf := make([]byte, 1024)
	for {
		n, err := f.Recv(ctx, buf)
		all = append(all, buf[:n]...)
		if err == io.EOF {
			return all, nil
		}
		if err != nil {
			return all, err
		}
	}
}
