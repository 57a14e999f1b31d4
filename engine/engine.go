package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/service"
	"github.com/sockit/sockit/socket"
)

// errIdle ends a connection that was quiet for Config.IdleTimeout.
var errIdle = errors.New("idle timeout")

// ErrServerClosed is returned by Server.Serve after Shutdown or Close, and
// when its context ends.
var ErrServerClosed = errors.New("sockit: server closed")

// Engine is one way of running servers: a concurrency model.
type Engine interface {
	// Name is the engine's name, as --engine takes it.
	Name() string
	// Bind opens ep for serving: a listener for stream and
	// sequenced-packet endpoints, a bound socket for datagram ones. The
	// returned Server has not started serving; its Addr is final.
	Bind(ctx context.Context, ep endpoint.Endpoint, cfg Config) (Server, error)
}

// Server is one bound endpoint that an engine serves.
type Server interface {
	// Addr is the address the socket is bound to, with the kernel's port
	// when the endpoint asked for port 0.
	Addr() net.Addr
	// Serve serves until ctx ends, Shutdown or Close; then it returns
	// ErrServerClosed. Any other error means the socket failed.
	Serve(ctx context.Context) error
	// Shutdown stops accepting new connections and datagrams, lets open
	// connections finish, and returns when they have. If ctx ends first it
	// closes them and returns ctx.Err(). A Unix socket file is removed.
	Shutdown(ctx context.Context) error
	// Close stops the server and closes every connection now.
	Close() error
	// Sockets are the bound sockets the server serves (a net.Listener, a
	// net.PacketConn or a *socket.FD; several with SO_REUSEPORT), for
	// reading their options back (endpoint.Options.ReadBack).
	Sockets() []any
}

// Config says what a server serves and how it reports. The zero value
// serves echo and logs nothing.
type Config struct {
	// Service is the protocol served. If nil, service.Echo.
	Service service.Service
	// Logger receives a record when a connection opens and closes, and
	// when a datagram peer first appears and when it goes quiet, with the
	// peer's Tuple, bytes each way and duration. If nil, nothing is logged.
	Logger *slog.Logger
	// PeerIdle is how long a datagram peer may be quiet before its session
	// is logged as done and forgotten. If zero, 30 seconds.
	PeerIdle time.Duration
	// Counters, if not nil, receive running totals of connections and
	// bytes; one Counters may serve several servers.
	Counters *Counters
	// MaxConns, if positive, bounds the connections a server has open: at
	// the limit it stops accepting (clients wait in the listen queue) until
	// one closes. The iterative engine has one at a time anyway.
	MaxConns int
	// IdleTimeout, if positive, closes a connection that has sent nothing
	// for that long. A chargen connection, which the server keeps busy,
	// is not idle.
	IdleTimeout time.Duration
	// Tracer, if not nil, receives every system call of an engine built on
	// package socket (the iterative engine). Others ignore it.
	Tracer socket.Tracer
}

func (c Config) service() service.Service {
	if c.Service == nil {
		return service.Echo{}
	}
	return c.Service
}

func (c Config) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

func (c Config) peerIdle() time.Duration {
	if c.PeerIdle <= 0 {
		return 30 * time.Second
	}
	return c.PeerIdle
}

// engines lists every engine, the default first.
var engines = []Engine{Threaded{}, Iterative{}, Evloop{}}

// ByName returns the engine called name.
func ByName(name string) (Engine, error) {
	for _, e := range engines {
		if e.Name() == name {
			return e, nil
		}
	}
	return nil, fmt.Errorf("unknown engine %q (want %s)", name, strings.Join(Names(), ", "))
}

// Names lists the engines' names, the default first.
func Names() []string {
	names := make([]string, len(engines))
	for i, e := range engines {
		names[i] = e.Name()
	}
	return names
}
