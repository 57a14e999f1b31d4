package gateway

import (
	"context"
	"fmt"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// A javaObject is a value the gateway itself implements with Java's method
// names: collections, iterators, error objects and the JVM stand-ins.
// Everything else is called by reflection.
type javaObject interface {
	// javaClass is the Java class name the object stands for.
	javaClass() string
	// invoke calls a method. It returns a *dispatchError when there is no
	// such method or the arguments do not fit, and any other error when
	// the method itself failed.
	invoke(ctx context.Context, s *Server, method string, args []any) (any, error)
}

// dispatchError is a call that could not be made (unknown object, no such
// method, arguments that do not fit): Python raises a plain Py4JError.
type dispatchError struct{ msg string }

func (e *dispatchError) Error() string { return e.msg }

func noMethod(o javaObject, method string, args []any) error {
	kinds := make([]string, len(args))
	for i, a := range args {
		kinds[i] = describe(a)
	}
	return &dispatchError{fmt.Sprintf("%s has no method %s(%s)", o.javaClass(), method, strings.Join(kinds, ", "))}
}

// Exception is an error with a Java class name. Python sees it as a
// Py4JJavaError whose java_exception answers getMessage() with Message
// and whose text starts with Class; py4j.reflection.TypeUtil.isInstanceOf
// matches Class. Methods exposed through the gateway may return one to
// choose the class Python sees (plain Go errors are "error").
type Exception struct {
	Class   string
	Message string
}

func (e *Exception) Error() string { return e.Message }

// errorObject is what an id in an !xr reply stands for: an error a method
// returned, or a recovered panic.
type errorObject struct {
	class string
	err   error
	trace string // the goroutine's stack, for panics
}

func newErrorObject(err error) *errorObject {
	class := "error"
	if e, ok := err.(*Exception); ok && e.Class != "" {
		class = e.Class
	}
	return &errorObject{class: class, err: err}
}

func (e *errorObject) javaClass() string { return e.class }

// text is the answer to the p command: what str(Py4JJavaError) shows.
func (e *errorObject) text() string {
	t := e.class + ": " + e.err.Error()
	if e.trace != "" {
		t += "\n" + e.trace
	}
	return t
}

func (e *errorObject) invoke(_ context.Context, _ *Server, method string, args []any) (any, error) {
	switch {
	case method == "getMessage" || method == "getLocalizedMessage":
		return e.err.Error(), nil
	case method == "toString" && len(args) == 0:
		return e.class + ": " + e.err.Error(), nil
	case method == "getCause":
		return nil, nil
	}
	return commonMethod(e, method, args)
}

// commonMethod answers the methods Python calls on any object:
// toString() for str(), equals() for ==, hashCode() for hash().
func commonMethod(o any, method string, args []any) (any, error) {
	switch {
	case method == "toString" && len(args) == 0:
		return javaString(o), nil
	case method == "equals" && len(args) == 1:
		return equalValues(o, args[0]), nil
	case method == "hashCode" && len(args) == 0:
		return hashCode(o), nil
	}
	if jo, ok := o.(javaObject); ok {
		return nil, noMethod(jo, method, args)
	}
	return nil, &dispatchError{fmt.Sprintf("%T has no method %s", o, method)}
}

// javaString renders a value as Java's String.valueOf would.
func javaString(v any) string { return render(v, nil) }

// render is javaString within the collections being rendered, so that a
// collection inside itself prints as Java prints it, "(this Collection)",
// instead of recursing without end.
func render(v any, within []any) string {
	switch x := v.(type) {
	case *javaList, *javaSet, *javaMap:
		if slices.Contains(within, v) {
			if _, isMap := x.(*javaMap); isMap {
				return "(this Map)"
			}
			return "(this Collection)"
		}
		within = append(within, v)
	}
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		s := formatDouble(x)
		if !strings.ContainsAny(s, ".eEIN") {
			s += ".0"
		}
		return s
	case *big.Rat:
		return formatDecimal(x)
	case []byte:
		return fmt.Sprintf("[B@%p", x)
	case *javaList:
		return "[" + joinValues(x.snapshot(), within) + "]"
	case *javaSet:
		return "[" + joinValues(x.snapshot(), within) + "]"
	case *javaMap:
		es := x.entries()
		parts := make([]string, len(es))
		for i, e := range es {
			parts[i] = render(e.key, within) + "=" + render(e.value, within)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case *errorObject:
		return x.class + ": " + x.err.Error()
	case fmt.Stringer:
		return x.String()
	case error:
		return x.Error()
	}
	return fmt.Sprint(v)
}

// equalValues is Java's equals for the gateway's values: integers equal by
// value whatever their width, collections by content, objects by identity.
func equalValues(a, b any) bool { return equalAt(a, b, 0) }

// maxEqualDepth bounds how deep equals follows collections within
// collections. Only collections that contain each other get there (Java
// overflows its stack); they compare unequal.
const maxEqualDepth = 256

func equalAt(a, b any, depth int) bool {
	if na, ok := integer(a); ok {
		nb, ok := integer(b)
		return ok && na.Cmp(nb) == 0
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case []byte:
		y, ok := b.([]byte)
		return ok && string(x) == string(y)
	case *big.Rat:
		y, ok := b.(*big.Rat)
		return ok && x.Cmp(y) == 0
	case *javaList:
		y, ok := b.(*javaList)
		return ok && (x == y || depth < maxEqualDepth && equalSlices(x.snapshot(), y.snapshot(), depth+1))
	case *javaSet:
		y, ok := b.(*javaSet)
		return ok && (x == y || x.equal(y))
	case *javaMap:
		y, ok := b.(*javaMap)
		return ok && (x == y || depth < maxEqualDepth && x.equal(y, depth))
	}
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	if ta != tb || !ta.Comparable() {
		return false
	}
	return a == b
}

func equalSlices(a, b []any, depth int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !equalAt(a[i], b[i], depth) {
			return false
		}
	}
	return true
}

// hashCode is consistent with equalValues: Java's String.hashCode of the
// value's text, and for objects of their identity.
func hashCode(v any) int32 {
	s := javaString(v)
	switch v.(type) {
	case nil, bool, int, int64, *big.Int, float64, *big.Rat, string, *javaList, *javaSet, *javaMap:
	default:
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer {
			s = fmt.Sprintf("%p", v)
		}
	}
	var h int32
	for _, r := range s {
		h = 31*h + int32(r)
	}
	return h
}

// instanceOf answers py4j.reflection.TypeUtil.isInstanceOf(class, obj).
func instanceOf(v any, class string) bool {
	switch class {
	case "java.lang.Object":
		return v != nil
	case "java.lang.Throwable", "java.lang.Exception", "java.lang.RuntimeException":
		_, ok := v.(*errorObject)
		return ok
	case "java.util.Collection", "java.lang.Iterable":
		switch v.(type) {
		case *javaList, *javaSet:
			return true
		}
	case "java.util.List":
		_, ok := v.(*javaList)
		return ok
	case "java.util.Set":
		_, ok := v.(*javaSet)
		return ok
	case "java.util.Map":
		_, ok := v.(*javaMap)
		return ok
	case "java.util.Iterator":
		_, ok := v.(*javaIterator)
		return ok
	case "java.lang.String":
		_, ok := v.(string)
		return ok
	}
	if o, ok := v.(javaObject); ok {
		return o.javaClass() == class
	}
	return v != nil && reflect.TypeOf(v).String() == class
}
