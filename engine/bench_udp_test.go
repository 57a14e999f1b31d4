package engine

import (
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/ipv4"
)

// BenchmarkUDPEcho64 measures 64-byte datagrams echoed per second and the
// loss, with the same offered load for every engine: two clients, each
// sending a window of 32 datagrams in one sendmmsg and collecting the
// replies (recvmmsg) until all 32 are back or 20ms pass, then the next
// window. The clients batch so that they are not the bottleneck; the
// threaded engine's datagram loop is a plain ReadFrom/WriteTo loop, the
// evloop's uses recvmmsg/sendmmsg.
func BenchmarkUDPEcho64(b *testing.B) {
	const window = 32
	for _, engine := range []string{"threaded", "evloop"} {
		b.Run(engine, func(b *testing.B) {
			ep, pid := benchServer(b, engine, "udp4://127.0.0.1:0")
			server, err := net.ResolveUDPAddr("udp4", ep.Address)
			if err != nil {
				b.Fatal(err)
			}
			var left, received, lost atomic.Int64
			left.Store(int64(b.N))
			cpu0 := cpuNanos(b, pid)
			b.ResetTimer()
			var wg sync.WaitGroup
			for range 2 {
				uc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
				if err != nil {
					b.Fatal(err)
				}
				defer uc.Close()
				pc := ipv4.NewPacketConn(uc)
				wg.Go(func() {
					out := make([]ipv4.Message, window)
					in := make([]ipv4.Message, window)
					for i := range window {
						out[i] = ipv4.Message{Buffers: [][]byte{make([]byte, 64)}, Addr: server}
						in[i] = ipv4.Message{Buffers: [][]byte{make([]byte, 2048)}}
					}
					for left.Add(-window) > -window {
						if _, err := pc.WriteBatch(out, 0); err != nil {
							b.Error(err)
							return
						}
						got := 0
						uc.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
						for got < window {
							n, err := pc.ReadBatch(in[:window-got], 0)
							if errors.Is(err, os.ErrDeadlineExceeded) {
								break
							}
							if err != nil {
								b.Error(err)
								return
							}
							got += n
						}
						received.Add(int64(got))
						lost.Add(int64(window - got))
					}
				})
			}
			wg.Wait()
			secs := b.Elapsed().Seconds()
			sent := received.Load() + lost.Load()
			b.ReportMetric(float64(received.Load())/secs, "dgrams/s")
			b.ReportMetric(100*float64(lost.Load())/float64(max(sent, 1)), "%loss")
			b.ReportMetric(float64(cpuNanos(b, pid)-cpu0)/float64(max(received.Load(), 1)), "server-ns/dgram")
		})
	}
}
