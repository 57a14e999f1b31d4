package icmp

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/sockit/sockit/socket"
)

// TraceConfig says how [Trace] probes the route to a host.
type TraceConfig struct {
	Dst netip.Addr // the host to trace the route to
	// UDP sends UDP datagrams to unlikely ports instead of ICMP echo
	// requests; the destination answers "port unreachable". It needs no
	// privilege: the ICMP errors come back on the UDP socket's error
	// queue.
	UDP bool
	// Port is the first destination port of UDP probes; each probe uses
	// the next one (traceroute's 33434 if 0).
	Port     int
	FirstTTL int           // the first TTL to probe with (1 if 0)
	MaxTTL   int           // the last (30 if 0)
	Probes   int           // probes per hop (3 if 0)
	Wait     time.Duration // how long to wait for a hop's answers (DefaultWait if 0)
	Size     int           // payload bytes of each probe
	Kind     Kind          // the ICMP socket for ICMP probes
	Tracer   socket.Tracer // if not nil, sees the sockets' system calls
}

// DefaultPort is the first UDP port a trace probes, as traceroute's.
const DefaultPort = 33434

// DefaultWait is how long a hop's probes are waited for: traceroute's
// default. It must outlast a last router's search for an absent host
// (three ARP or neighbour solicitations a second apart) before it answers
// "host unreachable": a shorter wait gives up on the hop just before that
// answer comes, and the next hop's probes, queued behind the same search,
// get the !H instead, one hop (with a 1 s wait, three) too far.
const DefaultWait = 5 * time.Second

func (c *TraceConfig) defaults() {
	if c.Port == 0 {
		c.Port = DefaultPort
	}
	if c.FirstTTL == 0 {
		c.FirstTTL = 1
	}
	if c.MaxTTL == 0 {
		c.MaxTTL = 30
	}
	if c.Probes == 0 {
		c.Probes = 3
	}
	if c.Wait == 0 {
		c.Wait = DefaultWait
	}
}

// Hop is what the probes sent with one TTL found.
type Hop struct {
	TTL    int
	Probes []Probe
}

// Probe is one probe's answer, or its silence.
type Probe struct {
	Answered bool          // false: nothing came back within the wait (traceroute's "*")
	From     netip.Addr    // who answered: a router, or the destination
	RTT      time.Duration // from sending the probe to the kernel receiving the answer
	Reached  bool          // the answer came from the destination: an echo reply, or port unreachable
	Message  Message       // the answer: time exceeded, echo reply, destination unreachable...
}

// Flag returns traceroute's annotation of the answer: "!H", "!N" and the
// like for an unreachable destination, "" otherwise.
func (p Probe) Flag() string {
	if !p.Answered || p.Reached {
		return ""
	}
	return p.Message.Flag()
}

// Reached reports whether a probe of h reached the destination.
func (h Hop) Reached() bool {
	for _, p := range h.Probes {
		if p.Reached {
			return true
		}
	}
	return false
}

// Stopped reports whether the trace ends at h: the destination answered,
// or a probe was told it is unreachable.
func (h Hop) Stopped() bool {
	for _, p := range h.Probes {
		if p.Reached || p.Flag() != "" {
			return true
		}
	}
	return false
}

// A prober sends probe number n (counted from 0) with a TTL, and receives
// the answers, each naming the probe it answers.
type prober interface {
	send(ctx context.Context, ttl, n int) (time.Time, error)
	receive(ctx context.Context) (answer, error)
	kind() string
	close() error
}

type answer struct {
	probe int
	from  netip.Addr
	at    time.Time
	msg   Message
	reach bool
}

// Tracer runs a trace; NewTracer opens its socket.
type Tracer struct {
	cfg TraceConfig
	pr  prober
}

// NewTracer opens the socket cfg's probes need.
func NewTracer(cfg TraceConfig) (*Tracer, error) {
	cfg.defaults()
	if !cfg.Dst.IsValid() {
		return nil, errors.New("trace: no destination address")
	}
	if cfg.FirstTTL < 1 || cfg.MaxTTL > 255 || cfg.FirstTTL > cfg.MaxTTL {
		return nil, fmt.Errorf("trace: TTLs %d to %d: want 1 <= first <= max <= 255", cfg.FirstTTL, cfg.MaxTTL)
	}
	var pr prober
	var err error
	if cfg.UDP {
		pr, err = newUDPProber(cfg)
	} else {
		pr, err = newICMPProber(cfg)
	}
	if err != nil {
		return nil, err
	}
	return &Tracer{cfg: cfg, pr: pr}, nil
}

// Config returns the configuration with its defaults filled in.
func (t *Tracer) Config() TraceConfig { return t.cfg }

// Socket names the socket the probes go out on: "raw" or "datagram" for
// an ICMP socket, "udp" for UDP probes.
func (t *Tracer) Socket() string { return t.pr.kind() }

// Close closes the socket.
func (t *Tracer) Close() error { return t.pr.close() }

// Run probes hop after hop until the destination answers, a probe is
// told it is unreachable, MaxTTL is probed, or ctx ends; onHop, if not
// nil, sees each hop as it completes. An ended context is returned as its
// error, with the hops done.
func (t *Tracer) Run(ctx context.Context, onHop func(Hop)) ([]Hop, error) {
	answers, recvErr, stop := receiveLoop(ctx, t.pr.receive, 64)
	defer stop()

	var hops []Hop
	next := 0 // the next probe's number
	for ttl := t.cfg.FirstTTL; ttl <= t.cfg.MaxTTL; ttl++ {
		hop, err := t.hop(ctx, ttl, next, answers, recvErr)
		next += t.cfg.Probes
		if err != nil {
			return hops, err
		}
		hops = append(hops, hop)
		if onHop != nil {
			onHop(hop)
		}
		if hop.Stopped() {
			break
		}
	}
	return hops, nil
}

// hop sends a hop's probes, numbered first..first+Probes-1, and collects
// their answers until all came or the wait is over.
func (t *Tracer) hop(ctx context.Context, ttl, first int, answers <-chan answer, recvErr <-chan error) (Hop, error) {
	hop := Hop{TTL: ttl, Probes: make([]Probe, t.cfg.Probes)}
	sentAt := make([]time.Time, t.cfg.Probes)
	for i := range hop.Probes {
		at, err := t.pr.send(ctx, ttl, first+i)
		if err != nil {
			return hop, fmt.Errorf("probe with ttl %d: %w", ttl, err)
		}
		sentAt[i] = at
	}
	timer := time.NewTimer(t.cfg.Wait)
	defer timer.Stop()
	for pending := t.cfg.Probes; pending > 0; {
		select {
		case <-ctx.Done():
			return hop, ctx.Err()
		case err := <-recvErr:
			return hop, err
		case <-timer.C:
			return hop, nil
		case a := <-answers:
			i := a.probe - first
			if i < 0 || i >= len(hop.Probes) || hop.Probes[i].Answered {
				continue // a late answer to an earlier hop, or a duplicate
			}
			hop.Probes[i] = Probe{Answered: true, From: a.from, RTT: max(0, a.at.Sub(sentAt[i])), Reached: a.reach, Message: a.msg}
			pending--
		}
	}
	return hop, nil
}

// icmpProber sends echo requests; probe n has icmp_seq n+1.
type icmpProber struct {
	conn *Conn
	dst  netip.Addr
	data []byte
	ttl  int
}

func newICMPProber(cfg TraceConfig) (*icmpProber, error) {
	conn, err := Open(cfg.Dst.Is6() && !cfg.Dst.Is4In6(), cfg.Kind, cfg.Tracer)
	if err != nil {
		return nil, err
	}
	p := &icmpProber{conn: conn, dst: cfg.Dst.Unmap(), data: make([]byte, cfg.Size)}
	if _, err := rand.Read(p.data[:min(len(p.data), tokenLen)]); err != nil {
		conn.Close()
		return nil, err
	}
	return p, nil
}

func (p *icmpProber) kind() string { return p.conn.Kind().String() }
func (p *icmpProber) close() error { return p.conn.Close() }

func (p *icmpProber) send(ctx context.Context, ttl, n int) (time.Time, error) {
	if ttl != p.ttl {
		if err := p.conn.SetTTL(ttl); err != nil {
			return time.Time{}, err
		}
		p.ttl = ttl
	}
	return p.conn.SendEcho(ctx, p.dst, n+1, p.data)
}

func (p *icmpProber) ours(data []byte) bool {
	n := min(len(data), len(p.data), tokenLen)
	return string(data[:n]) == string(p.data[:n])
}

func (p *icmpProber) receive(ctx context.Context) (answer, error) {
	for {
		pkt, err := p.conn.Receive(ctx)
		if err != nil {
			return answer{}, err
		}
		m := pkt.ICMP
		a := answer{from: pkt.IP.Src, at: pkt.Time, msg: m}
		switch {
		case m.IsEchoReply() && m.ID == p.conn.ID() && p.ours(m.Data):
			a.probe, a.reach = m.Seq-1, true
		case m.Quoted != nil && m.Quoted.Echo && m.Quoted.ID == p.conn.ID() && p.ours(m.Quoted.Data):
			a.probe = m.Quoted.Seq - 1
		default:
			continue
		}
		return a, nil
	}
}

// udpProber sends UDP datagrams; probe n goes to port Port+n. The ICMP
// errors they cause come back on the socket's error queue.
type udpProber struct {
	fd   *socket.FD
	v6   bool
	dst  netip.Addr
	port int
	data []byte
	ttl  int
	buf  []byte
}

func newUDPProber(cfg TraceConfig) (*udpProber, error) {
	v6 := cfg.Dst.Is6() && !cfg.Dst.Is4In6()
	domain, recvErr := socket.INET, socket.RecvErr
	if v6 {
		domain, recvErr = socket.INET6, socket.RecvErr6
	}
	if cfg.Port < 1 || cfg.Port > 0xffff {
		return nil, fmt.Errorf("trace: port %d out of range 1-65535", cfg.Port)
	}
	fd, err := socket.Socket(domain, socket.Datagram, protoUDP, cfg.Tracer)
	if err != nil {
		return nil, err
	}
	for _, o := range []socket.Option{recvErr, socket.TimestampNS} {
		if err := fd.SetOption(o, 1); err != nil {
			fd.Close()
			return nil, err
		}
	}
	return &udpProber{fd: fd, v6: v6, dst: cfg.Dst.Unmap(), port: cfg.Port, data: make([]byte, cfg.Size), buf: make([]byte, 2048)}, nil
}

func (p *udpProber) kind() string { return "udp" }
func (p *udpProber) close() error { return p.fd.Close() }

func (p *udpProber) send(ctx context.Context, ttl, n int) (time.Time, error) {
	if ttl != p.ttl {
		o := socket.TTL
		if p.v6 {
			o = socket.HopLimit
		}
		if err := p.fd.SetOption(o, ttl); err != nil {
			return time.Time{}, err
		}
		p.ttl = ttl
	}
	// Ports past 65535 wrap around to the start of the range.
	port := p.port + n%(0x10000-p.port)
	to := &net.UDPAddr{IP: net.IP(p.dst.AsSlice()), Port: port, Zone: p.dst.Zone()}
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	var at time.Time
	err := retryPending(func() error {
		at = time.Now()
		_, err := p.fd.SendTo(context.Background(), p.data, to) // as Conn.SendEcho: no watch between timestamp and send
		return err
	})
	return at, err
}

func (p *udpProber) receive(ctx context.Context) (answer, error) {
	for {
		m, err := p.fd.RecvMsg(ctx, p.buf, true)
		if err != nil && isPending(err) && ctx.Err() == nil {
			continue // its error-queue entry, if any, comes next
		}
		if err != nil {
			return answer{}, err
		}
		ee := m.Err
		to, ok := m.From.(*net.UDPAddr)
		if ee == nil || !ok || (ee.Origin != socket.OriginICMP && ee.Origin != socket.OriginICMP6) {
			continue // a datagram from the destination, or a local error
		}
		msg := Message{V6: p.v6, Type: int(ee.Type), Code: int(ee.Code), MTU: int(ee.Info)}
		a := answer{probe: to.Port - p.port, from: addrOf(ee.Offender), at: m.Time, msg: msg}
		if a.at.IsZero() {
			a.at = time.Now()
		}
		a.reach = msg.IsPortUnreachable()
		return a, nil
	}
}
