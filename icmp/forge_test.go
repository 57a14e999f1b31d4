package icmp

import (
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	xicmp "golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"

	"github.com/sockit/sockit/internal/testnet"
)

// forger answers echo requests itself, in the order it is told, from a
// raw socket in a namespace whose kernel ignores echo requests: the way to
// make duplicates and replies out of order on a real socket.
type forger struct {
	conn *net.IPConn
}

func newForger(t *testing.T, h *testnet.Host) *forger {
	t.Helper()
	h.Sysctl(t, "net.ipv4.icmp_echo_ignore_all", "1")
	var conn *net.IPConn
	if err := h.Do(func() error {
		pc, err := net.ListenPacket("ip4:icmp", "127.0.0.1")
		if err == nil {
			conn = pc.(*net.IPConn)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &forger{conn: conn}
}

// requests reads n echo requests, by sequence number.
func (f *forger) requests(n int) (map[int]*xicmp.Echo, error) {
	got := map[int]*xicmp.Echo{}
	buf := make([]byte, 1500)
	f.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for len(got) < n {
		k, _, err := f.conn.ReadFrom(buf)
		if err != nil {
			return got, fmt.Errorf("forger: %w (%d requests of %d)", err, len(got), n)
		}
		m, err := xicmp.ParseMessage(1, buf[:k])
		if err != nil || m.Type != ipv4.ICMPTypeEcho {
			continue // its own replies, looped back
		}
		e := m.Body.(*xicmp.Echo)
		got[e.Seq] = e
	}
	return got, nil
}

// answer reads n requests and replies to them in the order of seqs.
func (f *forger) answer(n int, seqs ...int) error {
	req, err := f.requests(n)
	if err != nil {
		return err
	}
	for _, seq := range seqs {
		b, err := (&xicmp.Message{Type: ipv4.ICMPTypeEchoReply, Body: req[seq]}).Marshal(nil)
		if err != nil {
			return err
		}
		if _, err := f.conn.WriteTo(b, &net.IPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
			return err
		}
	}
	return nil
}

// TestDuplicateAndLate answers request 2 first, then 1 twice, then 3: the
// pinger must call the first 1 out of order and the second a duplicate,
// on either kind of socket.
func TestDuplicateAndLate(t *testing.T) {
	n := testnet.New(t)
	h := n.Host("forge")
	h.Sysctl(t, "net.ipv4.ping_group_range", "0 2147483647")
	f := newForger(t, h)
	for _, kind := range []Kind{Raw, Datagram} {
		t.Run(kind.String(), func(t *testing.T) {
			var p *Pinger
			if err := h.Do(func() (err error) {
				p, err = NewPinger(Config{Dst: netip.MustParseAddr("127.0.0.1"), Count: 3, Size: 16, Kind: kind, Timeout: 10 * time.Second})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			var replies []Reply
			p.OnReply = func(r Reply) { replies = append(replies, r) }
			forged := make(chan error, 1)
			go func() { forged <- f.answer(3, 2, 1, 1, 3) }()
			sum, err := p.Run(testnet.Context(t))
			if ferr := <-forged; ferr != nil {
				t.Fatal(ferr)
			}
			if err != nil {
				t.Fatal(err)
			}
			if sum.Transmitted != 3 || sum.Received != 3 || sum.Duplicates != 1 {
				t.Errorf("summary %+v, want 3 sent, 3 received, 1 duplicate", sum)
			}
			want := []Reply{{Seq: 2}, {Seq: 1, Late: true}, {Seq: 1, Dup: true}, {Seq: 3}}
			if len(replies) != len(want) {
				t.Fatalf("replies %+v, want %+v", replies, want)
			}
			for i, r := range replies {
				if r.Seq != want[i].Seq || r.Late != want[i].Late || r.Dup != want[i].Dup || r.Bytes != 24 {
					t.Errorf("reply %d: %+v, want %+v", i, r, want[i])
				}
			}
		})
	}
}
