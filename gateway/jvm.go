package gateway

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A class is a name gateway.jvm can reach: the few JVM classes Py4J's
// Python client itself relies on.
type class struct {
	construct func(args []any) (any, error)
	statics   map[string]func(args []any) (any, error)
}

// jvmClasses are the only classes a Go gateway offers: the collections
// Python's converters and auto_convert build, java.lang.System for the
// client's eager_load probe, and TypeUtil for iteration on newer clients.
func jvmClasses() map[string]class {
	collection := func(name string, fill func(any) (any, error), empty func() any) func([]any) (any, error) {
		return func(args []any) (any, error) {
			switch {
			case len(args) == 0:
				return empty(), nil
			case len(args) == 1:
				if _, capacity := args[0].(int); capacity {
					return empty(), nil
				}
				return fill(args[0])
			}
			return nil, &dispatchError{fmt.Sprintf("%s(%d arguments): no such constructor", name, len(args))}
		}
	}
	return map[string]class{
		"java.util.ArrayList": {construct: collection("java.util.ArrayList",
			func(v any) (any, error) {
				items, err := elements(v)
				return &javaList{items: items}, err
			},
			func() any { return &javaList{} })},
		"java.util.HashSet": {construct: collection("java.util.HashSet",
			func(v any) (any, error) {
				items, err := elements(v)
				if err != nil {
					return nil, err
				}
				st := newJavaSet()
				for _, e := range items {
					if _, err := st.add(e); err != nil {
						return nil, err
					}
				}
				return st, nil
			},
			func() any { return newJavaSet() })},
		"java.util.HashMap": {construct: collection("java.util.HashMap",
			func(v any) (any, error) {
				src, ok := v.(*javaMap)
				if !ok {
					return nil, &dispatchError{fmt.Sprintf("java.util.HashMap(%s): no such constructor", describe(v))}
				}
				m := newJavaMap()
				for _, e := range src.entries() {
					_, _ = m.put(e.key, e.value)
				}
				return m, nil
			},
			func() any { return newJavaMap() })},
		"java.lang.System": {statics: map[string]func([]any) (any, error){
			"currentTimeMillis": func([]any) (any, error) { return time.Now().UnixMilli(), nil },
			"nanoTime":          func([]any) (any, error) { return time.Now().UnixNano(), nil },
		}},
		"py4j.reflection.TypeUtil": {statics: map[string]func([]any) (any, error){
			"isInstanceOf": func(args []any) (any, error) {
				if len(args) != 2 {
					return nil, &dispatchError{"isInstanceOf wants a class name and an object"}
				}
				name, ok := args[0].(string)
				if !ok {
					return nil, &dispatchError{"isInstanceOf wants a class name first"}
				}
				return instanceOf(args[1], name), nil
			},
		}},
	}
}

// resolveClass answers the reflection command "r u": is name (possibly a
// simple name, resolved through java.lang and the imports) a class or a
// package of this gateway?
func (s *Server) resolveClass(name string) (kind byte, fqn string) {
	candidates := []string{name, "java.lang." + name}
	s.importsMu.Lock()
	for _, imp := range s.imports {
		if pkg, ok := strings.CutSuffix(imp, ".*"); ok {
			candidates = append(candidates, pkg+"."+name)
		} else if strings.HasSuffix(imp, "."+name) {
			candidates = append(candidates, imp)
		}
	}
	s.importsMu.Unlock()
	for _, c := range candidates {
		if _, ok := s.classes[c]; ok {
			return 'c', c
		}
	}
	for c := range s.classes {
		if strings.HasPrefix(c, name+".") {
			return 'p', name
		}
	}
	return 0, ""
}

// classNames lists the gateway's classes, for error messages.
func (s *Server) classNames() string {
	var names []string
	for c := range s.classes {
		names = append(names, c)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// gatewayServer is the object Python reaches as GATEWAY_SERVER
// (gateway.java_gateway_server): ports, and resetCallbackClient, which is
// how a Python callback server on port 0 tells the gateway its port.
type gatewayServer struct{ s *Server }

func (g *gatewayServer) javaClass() string { return "py4j.GatewayServer" }

func (g *gatewayServer) invoke(_ context.Context, _ *Server, method string, args []any) (any, error) {
	s := g.s
	switch fmt.Sprintf("%s/%d", method, len(args)) {
	case "getListeningPort/0", "getPort/0":
		return s.listeningPort(), nil
	case "getPythonPort/0":
		_, port := s.callbackAddress()
		return port, nil
	case "getPythonAddress/0", "getAddress/0":
		host, _ := s.callbackAddress()
		return &inetAddress{host}, nil
	case "getCallbackClient/0":
		return &callbackClient{s}, nil
	case "resetCallbackClient/2":
		host := ""
		switch a := args[0].(type) {
		case *inetAddress:
			host = a.host
		case string:
			host = a
		case nil:
		default:
			return nil, &dispatchError{fmt.Sprintf("resetCallbackClient wants an address, not %s", describe(a))}
		}
		port, ok := args[1].(int)
		if !ok || port < 0 || port > 65535 {
			return nil, &dispatchError{fmt.Sprintf("resetCallbackClient wants a port, not %s", describe(args[1]))}
		}
		if host == "" {
			host, _ = s.callbackAddress()
		}
		s.resetCallback(net.JoinHostPort(host, strconv.Itoa(port)))
		return void{}, nil
	}
	return commonMethod(g, method, args)
}

// callbackClient is GATEWAY_SERVER.getCallbackClient().
type callbackClient struct{ s *Server }

func (c *callbackClient) javaClass() string { return "py4j.CallbackClient" }

func (c *callbackClient) invoke(_ context.Context, _ *Server, method string, args []any) (any, error) {
	host, port := c.s.callbackAddress()
	switch fmt.Sprintf("%s/%d", method, len(args)) {
	case "getAddress/0":
		return &inetAddress{host}, nil
	case "getPort/0":
		return port, nil
	}
	return commonMethod(c, method, args)
}

// inetAddress stands for java.net.InetAddress.
type inetAddress struct{ host string }

func (a *inetAddress) javaClass() string { return "java.net.InetAddress" }
func (a *inetAddress) String() string    { return "/" + a.host }

func (a *inetAddress) invoke(_ context.Context, _ *Server, method string, args []any) (any, error) {
	switch method {
	case "getHostAddress", "getHostName":
		return a.host, nil
	}
	return commonMethod(a, method, args)
}
