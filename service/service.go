package service

import (
	"fmt"
	"strings"
)

// Service is a protocol an engine serves.
type Service interface {
	// Name is the service's name, as --service takes it.
	Name() string
	// NewStream returns the state for one new stream or sequenced-packet
	// connection.
	NewStream() Stream
	// Datagram answers one datagram p. It returns the reply, built by
	// appending to dst, and false when the service sends none. The reply
	// may alias p; the engine sends it before it reuses p.
	Datagram(dst, p []byte) (reply []byte, ok bool)
}

// Stream is a service's side of one connection. An engine calls it from one
// goroutine at a time. When the peer shuts down its write side, the engine
// sends what Input returned so far, then shuts down its own write side.
type Stream interface {
	// Input takes bytes read from the peer and returns the bytes to send
	// back, built by appending to dst. On a sequenced-packet connection p
	// is one whole record and the reply is sent as one record. The reply
	// may alias p; the engine sends it before it reads into p again.
	Input(dst, p []byte) []byte
}

// Greeter is implemented by a Stream that speaks first, as daytime does:
// engines send its greeting as soon as the connection opens and, when
// thenClose is true, close the connection once the greeting is sent.
type Greeter interface {
	Greeting(dst []byte) (greeting []byte, thenClose bool)
}

// Source is implemented by a Stream that sends without being asked, as
// chargen does: engines ask Fill for more whenever the peer can take it,
// and read and discard what the peer sends (Input is not called). The
// connection lasts until the peer closes it.
type Source interface {
	Fill(dst []byte) []byte
}

// services lists every service by name, in the order Names reports them.
var services = []Service{Echo{}, Discard{}, Chargen{}, Daytime{}}

// ByName returns the service called name.
func ByName(name string) (Service, error) {
	for _, s := range services {
		if s.Name() == name {
			return s, nil
		}
	}
	return nil, fmt.Errorf("unknown service %q (want %s)", name, strings.Join(Names(), ", "))
}

// Names lists the services' names.
func Names() []string {
	names := make([]string, len(services))
	for i, s := range services {
		names[i] = s.Name()
	}
	return names
}
