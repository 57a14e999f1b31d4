package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Proxy is a Python object passed to the gateway (one whose class
// declares Java.implements). Call runs its methods in Python. When Go
// no longer refers to a Proxy, the gateway tells Python to release it.
type Proxy struct {
	// ID is the id Python's proxy pool gave the object ("p0").
	ID string
	// Interfaces are the names the object's Java.implements lists.
	Interfaces []string
	s          *Server
}

// PythonError is an exception raised in Python during a callback. Text is
// what Python sent: usually the whole traceback.
type PythonError struct {
	Method string
	Text   string
}

func (e *PythonError) Error() string {
	text := strings.TrimSpace(e.Text)
	if text == "" {
		text = "(no details)"
	}
	return fmt.Sprintf("Python raised an exception in %s: %s", e.Method, text)
}

// newProxy makes the Proxy for an f part: "p0;demo.Listener;...".
func (s *Server) newProxy(text string) (*Proxy, error) {
	fields := strings.Split(text, ";")
	if fields[0] == "" {
		return nil, &decodeError{fmt.Sprintf("Python object %q has no id", text)}
	}
	p := &Proxy{ID: fields[0], Interfaces: fields[1:], s: s}
	runtime.AddCleanup(p, s.queueRelease, p.ID)
	return p, nil
}

// adaptProxy turns p into a value of interface type t: through the
// adapter of one of its interfaces, or p itself when *Proxy fits t.
func (s *Server) adaptProxy(p *Proxy, t reflect.Type) (reflect.Value, error) {
	for _, name := range p.Interfaces {
		if adapt := s.Adapters[name]; adapt != nil {
			v := adapt(p)
			if v != nil && reflect.TypeOf(v).Implements(t) {
				return reflect.ValueOf(v), nil
			}
		}
	}
	if reflect.TypeOf(p).Implements(t) {
		return reflect.ValueOf(p), nil
	}
	return reflect.Value{}, &conversionError{fmt.Sprintf("a Python object implementing [%s] cannot be a %s: the gateway has no adapter for it",
		strings.Join(p.Interfaces, ", "), t)}
}

// Call runs method on the Python object with args and returns its result,
// converted as the gateway converts Python's arguments. A Python exception
// is a *PythonError. Pass the context the gateway gave the Go method: in
// ClientServer mode the callback then travels on the connection of the
// Python call in progress, as Py4J's Java side does; otherwise (and in
// classic mode) on a connection to Python's callback server.
func (p *Proxy) Call(ctx context.Context, method string, args ...any) (any, error) {
	s := p.s
	var b strings.Builder
	b.WriteString("c\n" + p.ID + "\n" + method + "\n")
	for _, a := range args {
		b.WriteString(s.encodeValue(a))
		b.WriteByte('\n')
	}
	b.WriteString("e\n")
	reply, err := s.pythonRoundTrip(ctx, b.String())
	if err != nil {
		return nil, fmt.Errorf("call %s.%s in Python: %w", p.ID, method, err)
	}
	return s.decodeReply(method, reply)
}

// decodeReply reads Python's answer to a callback (after the "!").
func (s *Server) decodeReply(method, reply string) (any, error) {
	if reply == "" {
		return nil, fmt.Errorf("python sent an empty reply to %s", method)
	}
	switch reply[0] {
	case 'y':
		if len(reply) == 1 {
			return nil, nil
		}
		return s.decodePart(reply[1:])
	case 'x':
		rest := reply[1:]
		switch {
		case strings.HasPrefix(rest, "s"):
			return nil, &PythonError{Method: method, Text: unescape(rest[1:])}
		case strings.HasPrefix(rest, "r"):
			// Python re-raised one of the gateway's own errors
			// (propagate_java_exceptions).
			if v, ok := s.reg.get(rest[1:]); ok {
				if e, ok := v.(*errorObject); ok {
					return nil, e.err
				}
			}
		}
		return nil, &PythonError{Method: method, Text: "Python answered " + strconv.Quote("!"+reply)}
	}
	return nil, fmt.Errorf("python's reply to %s is not a reply: %q", method, clip("!"+reply))
}

// pythonRoundTrip sends cmd to Python and returns its reply: on the
// connection of the call in progress (ClientServer mode, when ctx carries
// one), else on a pooled connection to Python's callback server.
func (s *Server) pythonRoundTrip(ctx context.Context, cmd string) (string, error) {
	if sc := scopeFrom(ctx); sc != nil && sc.c.s == s && s.Mode == ModeClientServer && !sc.c.dialled && !sc.done.Load() {
		return sc.c.roundTrip(ctx, sc, cmd)
	}
	if sc := scopeFrom(ctx); sc != nil && sc.c.s == s && sc.c.dialled && !sc.done.Load() {
		// A command Python sent on a connection the gateway opened: go
		// back out on the same one.
		return sc.c.roundTrip(ctx, sc, cmd)
	}
	c, err := s.callbackConn(ctx)
	if err != nil {
		return "", err
	}
	reply, err := c.roundTrip(ctx, nil, cmd)
	if err != nil || reply == "xsObject ID unknown" {
		// The connection may be out of step: Python stops reading a
		// command whose object it does not know.
		c.close()
		return reply, err
	}
	s.putCallbackConn(c)
	return reply, nil
}

// callbackConn takes a pooled connection to Python's callback server, or
// opens and authenticates a new one.
func (s *Server) callbackConn(ctx context.Context) (*conn, error) {
	s.init()
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil, ErrServerClosed
	}
	if n := len(s.idle); n > 0 {
		c := s.idle[n-1]
		s.idle = s.idle[:n-1]
		s.mu.Unlock()
		return c, nil
	}
	addr := s.callback
	s.mu.Unlock()
	d := net.Dialer{Timeout: 5 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("connect to Python's callback server at %s (is it running? JavaGateway needs callback_server_parameters, ClientServer a python_parameters port): %w", addr, err)
	}
	c := s.newConn(nc, "cb"+strconv.FormatUint(s.dialSeq.Add(1), 10), true)
	if s.AuthToken != "" {
		reply, err := c.roundTrip(ctx, nil, "A\n"+escape(s.AuthToken)+"\ne\n")
		if err != nil || reply != "yv" {
			nc.Close()
			if err == nil {
				err = fmt.Errorf("python's callback server refused the auth token (answered %q)", "!"+reply)
			}
			return nil, fmt.Errorf("authenticate to Python's callback server at %s: %w", addr, err)
		}
	}
	s.logger().Debug("gateway: callback connection opened", "conn", c.name, "addr", addr)
	return c, nil
}

func (s *Server) putCallbackConn(c *conn) {
	s.mu.Lock()
	if s.closing || len(s.idle) >= s.maxConns() {
		s.mu.Unlock()
		c.close()
		return
	}
	s.idle = append(s.idle, c)
	s.mu.Unlock()
}

// queueRelease is the Proxy's cleanup: Go dropped it, so Python may drop
// the object. It never blocks the garbage collector.
func (s *Server) queueRelease(id string) {
	select {
	case s.releases <- id:
	default:
	}
}

// releaseProxies sends Python a g command for each dropped proxy until the
// server stops.
func (s *Server) releaseProxies() {
	defer s.releaseWG.Done()
	for {
		select {
		case <-s.done:
			return
		case id := <-s.releases:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			go func() {
				select {
				case <-s.done:
					cancel()
				case <-ctx.Done():
				}
			}()
			_, err := s.pythonRoundTrip(ctx, "g\n"+id+"\ne\n")
			cancel()
			if err != nil && !errors.Is(err, ErrServerClosed) {
				s.logger().Debug("gateway: release of a Python object", "id", id, "err", err)
			}
		}
	}
}
