package gateway

import (
	"context"
	"fmt"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// void is the result of a method with no return value: Python gets None
// through the v tag.
type void struct{}

// goMethod is an exported method of a Go type, ready to be called with
// Python's arguments.
type goMethod struct {
	name      string         // the Go name
	fn        reflect.Value  // the method expression: the receiver comes first
	takesCtx  bool           // the first parameter is a context.Context
	params    []reflect.Type // after the receiver and the context
	variadic  bool
	returnsV  bool // has a non-error result
	returnsEr bool // the last result is an error
}

var typeContext = reflect.TypeFor[context.Context]()

// methodsOf lists a type's callable methods by the name Python uses
// (Go's name with a lower-case first letter: GetStack is getStack).
// The table is built once per type and kept by the server.
func (s *Server) methodsOf(t reflect.Type) map[string]*goMethod {
	if m, ok := s.methodCache.Load(t); ok {
		return m.(map[string]*goMethod)
	}
	table := make(map[string]*goMethod)
	for i := range t.NumMethod() {
		m := t.Method(i)
		if !m.IsExported() {
			continue
		}
		mt := m.Type
		gm := &goMethod{name: m.Name, fn: m.Func, variadic: mt.IsVariadic()}
		first := 1 // the receiver
		if mt.NumIn() > 1 && mt.In(1) == typeContext {
			gm.takesCtx = true
			first = 2
		}
		for j := first; j < mt.NumIn(); j++ {
			gm.params = append(gm.params, mt.In(j))
		}
		switch mt.NumOut() {
		case 0:
		case 1:
			if mt.Out(0) == typeError {
				gm.returnsEr = true
			} else {
				gm.returnsV = true
			}
		case 2:
			if mt.Out(1) != typeError {
				continue // not callable from Python: two results that are not (T, error)
			}
			gm.returnsV, gm.returnsEr = true, true
		default:
			continue
		}
		table[pythonName(m.Name)] = gm
	}
	s.methodCache.Store(t, table)
	return table
}

// pythonName is the name Python calls a Go method by: GetStack -> getStack.
func pythonName(goName string) string {
	r, size := utf8.DecodeRuneInString(goName)
	return string(unicode.ToLower(r)) + goName[size:]
}

// callGo calls method on a Go value by reflection. The result is void{}
// for a method without results. An error the method returned, or a panic
// in it, comes back as the error; a dispatch problem as *dispatchError.
func (s *Server) callGo(ctx context.Context, target any, method string, args []any) (result any, err error) {
	rv := reflect.ValueOf(target)
	gm := s.methodsOf(rv.Type())[method]
	if gm == nil {
		if r, size := utf8.DecodeRuneInString(method); unicode.IsUpper(r) {
			gm = s.methodsOf(rv.Type())[string(unicode.ToLower(r))+method[size:]]
		}
	}
	if gm == nil {
		switch method {
		case "toString", "equals", "hashCode":
			return commonMethod(target, method, args)
		}
		return nil, &dispatchError{fmt.Sprintf("%s has no method %s (Go methods are called by their name with a lower-case first letter: %s)",
			rv.Type(), method, strings.Join(s.dirNames(target), ", "))}
	}
	in := make([]reflect.Value, 1, len(args)+2)
	in[0] = rv
	if gm.takesCtx {
		in = append(in, reflect.ValueOf(ctx))
	}
	nparams := len(gm.params)
	if (!gm.variadic && len(args) != nparams) || (gm.variadic && len(args) < nparams-1) {
		return nil, &dispatchError{fmt.Sprintf("%s.%s wants %s, got %d", rv.Type(), gm.name, countArgs(gm), len(args))}
	}
	for i, a := range args {
		pt := gm.params[min(i, nparams-1)]
		if gm.variadic && i >= nparams-1 {
			pt = pt.Elem()
		}
		v, err := s.convert(a, pt)
		if err != nil {
			return nil, &dispatchError{fmt.Sprintf("%s.%s argument %d: %v", rv.Type(), gm.name, i+1, err)}
		}
		in = append(in, v)
	}
	defer func() {
		if p := recover(); p != nil {
			result = nil
			err = &panicError{value: p, trace: string(debug.Stack())}
		}
	}()
	out := gm.fn.Call(in)
	if gm.returnsEr {
		if e := out[len(out)-1]; !e.IsNil() {
			return nil, e.Interface().(error)
		}
	}
	if !gm.returnsV {
		return void{}, nil
	}
	return out[0].Interface(), nil
}

func countArgs(gm *goMethod) string {
	n := len(gm.params)
	switch {
	case gm.variadic:
		return fmt.Sprintf("at least %d arguments", n-1)
	case n == 1:
		return "1 argument"
	}
	return fmt.Sprintf("%d arguments", n)
}

// panicError is a panic recovered in a method.
type panicError struct {
	value any
	trace string
}

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.value) }

// builtinNames are the methods dir() lists for the gateway's own objects.
var builtinNames = map[string][]string{
	"java.util.ArrayList":   {"add", "addAll", "clear", "contains", "containsAll", "equals", "get", "hashCode", "indexOf", "isEmpty", "iterator", "lastIndexOf", "listIterator", "remove", "set", "size", "subList", "toString"},
	"java.util.HashMap":     {"clear", "containsKey", "containsValue", "equals", "get", "getOrDefault", "hashCode", "isEmpty", "keySet", "put", "putAll", "remove", "size", "toString", "values"},
	"java.util.HashSet":     {"add", "addAll", "clear", "contains", "equals", "hashCode", "isEmpty", "iterator", "remove", "size", "toString"},
	"java.util.Iterator":    {"equals", "hashCode", "hasNext", "next", "toString"},
	"py4j.GatewayServer":    {"getCallbackClient", "getListeningPort", "getPythonAddress", "getPythonPort", "resetCallbackClient"},
	"py4j.CallbackClient":   {"getAddress", "getPort"},
	"java.lang.Class":       {"getName", "toString"},
	"py4j.reflection.Class": {"getName"},
}

// dirNames lists the methods Python may call on v, for dir() and errors.
func (s *Server) dirNames(v any) []string {
	if o, ok := v.(javaObject); ok {
		if names, ok := builtinNames[o.javaClass()]; ok {
			return names
		}
		if _, ok := o.(*errorObject); ok {
			return []string{"equals", "getCause", "getLocalizedMessage", "getMessage", "hashCode", "toString"}
		}
		return []string{"equals", "hashCode", "toString"}
	}
	names := []string{"equals", "hashCode", "toString"}
	for name := range s.methodsOf(reflect.TypeOf(v)) {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}
