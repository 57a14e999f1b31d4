package scan

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// State is what a scan found a port to be.
type State string

const (
	Open     State = "open"     // the connect succeeded
	Closed   State = "closed"   // the host refused it
	Filtered State = "filtered" // no answer in time, or the host is unreachable
	Failed   State = "error"    // this machine could not try (out of ports or files, say)
)

// Result is one port's outcome.
type Result struct {
	Port  int           `json:"port"`
	State State         `json:"state"`
	Time  time.Duration `json:"time_ns"`          // how long the connect took to succeed or fail
	Why   string        `json:"reason,omitempty"` // for filtered and error: what the kernel said
}

// Config shapes a scan. The zero value is usable.
type Config struct {
	// Network is tcp (default), tcp4 or tcp6: which address family of the
	// host to use.
	Network string
	// Concurrency is how many connects are in flight at once. Default 100.
	Concurrency int
	// Timeout bounds each connect. Default 1 second.
	Timeout time.Duration
	// Progress, if set, is called with the count of ports done, from the
	// scanning goroutines, after each port.
	Progress func(done int)
}

func (c Config) withDefaults() Config {
	if c.Network == "" {
		c.Network = "tcp"
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 100
	}
	if c.Timeout <= 0 {
		c.Timeout = time.Second
	}
	return c
}

// Resolve finds the address a scan of host uses: the first the resolver
// gives for the config's network.
func Resolve(ctx context.Context, network, host string) (net.IP, error) {
	if network == "" {
		network = "tcp"
	}
	ipNet := map[string]string{"tcp": "ip", "tcp4": "ip4", "tcp6": "ip6"}[network]
	if ipNet == "" {
		return nil, fmt.Errorf("scan: network %q is not tcp, tcp4 or tcp6", network)
	}
	ips, err := net.DefaultResolver.LookupIP(ctx, ipNet, host)
	if err != nil {
		return nil, err
	}
	return ips[0], nil
}

// Scan tries each port of ip and returns the results in port order. It
// stops early, with what it has, when ctx ends.
func Scan(ctx context.Context, ip net.IP, ports []int, cfg Config) []Result {
	cfg = cfg.withDefaults()
	results := make([]Result, len(ports))
	next := make(chan int)
	var done atomic.Int64
	var wg sync.WaitGroup
	for range min(cfg.Concurrency, len(ports)) {
		wg.Go(func() {
			d := net.Dialer{Timeout: cfg.Timeout}
			for i := range next {
				results[i] = probe(ctx, &d, cfg.Network, ip, ports[i])
				if cfg.Progress != nil {
					cfg.Progress(int(done.Add(1)))
				}
			}
		})
	}
feed:
	for i := range ports {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	for i := range results {
		if results[i].State == "" { // never tried: the scan was stopped
			return results[:i]
		}
	}
	return results
}

// probe connects to one port and says what came of it.
func probe(ctx context.Context, d *net.Dialer, network string, ip net.IP, port int) Result {
	addr := net.JoinHostPort(ip.String(), fmt.Sprint(port))
	t0 := time.Now()
	c, err := d.DialContext(ctx, network, addr)
	r := Result{Port: port, Time: time.Since(t0)}
	switch {
	case err == nil:
		c.Close()
		r.State = Open
	case errors.Is(err, syscall.ECONNREFUSED):
		r.State = Closed
	case ctx.Err() != nil:
		r.State = "" // the scan was stopped: not a finding
	case isTimeout(err):
		r.State, r.Why = Filtered, "no answer"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		r.State, r.Why = Filtered, unwrapAll(err).Error()
	default:
		r.State, r.Why = Failed, unwrapAll(err).Error()
	}
	return r
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// unwrapAll is the innermost error: "connection refused", not the whole
// "dial tcp 1.2.3.4:5: connect: connection refused".
func unwrapAll(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}
