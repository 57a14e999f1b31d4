package gateway

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"
)

// decodePart turns one command part into a Go value:
//
//	n, v -> nil        b -> bool       i -> int        L -> int64 or *big.Int
//	d -> float64       D -> *big.Rat   s -> string     j -> []byte
//	r, l, a, h, t, g -> the registered value           f -> *Proxy
func (s *Server) decodePart(part string) (any, error) {
	if part == "" {
		return nil, &decodeError{"empty value"}
	}
	text := part[1:]
	switch part[0] {
	case tagNull, tagVoid:
		return nil, nil
	case tagBool:
		switch {
		case strings.EqualFold(text, "true"):
			return true, nil
		case strings.EqualFold(text, "false"):
			return false, nil
		}
		return nil, &decodeError{fmt.Sprintf("%q is not a boolean", text)}
	case tagInt:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return nil, &decodeError{fmt.Sprintf("%q is not an int", text)}
		}
		return int(n), nil
	case tagLong:
		v, err := parseLong(text)
		if err != nil {
			return nil, &decodeError{err.Error()}
		}
		return v, nil
	case tagDouble:
		f, err := parseDouble(text)
		if err != nil {
			return nil, &decodeError{err.Error()}
		}
		return f, nil
	case tagDecimal:
		r, err := parseDecimal(text)
		if err != nil {
			return nil, &decodeError{err.Error()}
		}
		return r, nil
	case tagString:
		return unescape(text), nil
	case tagBytes:
		p, err := decodeBytes(text)
		if err != nil {
			return nil, &decodeError{err.Error()}
		}
		return p, nil
	case tagReference, tagList, tagMap, tagSet, tagArray, tagIterator:
		v, ok := s.reg.get(text)
		if !ok {
			return nil, &decodeError{fmt.Sprintf("unknown object id %q", text)}
		}
		return v, nil
	case tagProxy:
		return s.newProxy(text)
	}
	return nil, &decodeError{fmt.Sprintf("unknown value type %q in %q", part[:1], clip(part))}
}

// decodeParts decodes a command's argument parts.
func (s *Server) decodeParts(parts []string) ([]any, error) {
	args := make([]any, len(parts))
	for i, p := range parts {
		v, err := s.decodePart(p)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	return args, nil
}

// clip shortens a wire line for an error message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

var (
	typeError  = reflect.TypeFor[error]()
	typeBytes  = reflect.TypeFor[[]byte]()
	typeBigInt = reflect.TypeFor[*big.Int]()
	typeBigRat = reflect.TypeFor[*big.Rat]()
	typeBigF   = reflect.TypeFor[*big.Float]()
)

// encodeValue turns a Go value into the part Python reads back:
// numbers, strings, bytes, booleans and nil by value; slices, arrays,
// maps and sets as list, map and set references; everything else
// (pointers, structs, functions, errors) as an object reference with a
// fresh id.
func (s *Server) encodeValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "n"
	case bool:
		if x {
			return "btrue"
		}
		return "bfalse"
	case int:
		return encodeInt(int64(x))
	case int64:
		return encodeInt(x)
	case int32:
		return encodeInt(int64(x))
	case float64:
		return "d" + formatDouble(x)
	case string:
		return "s" + escape(x)
	case []byte:
		return "j" + encodeBytes(x)
	case *big.Int:
		if x == nil {
			return "n"
		}
		if x.IsInt64() {
			return encodeInt(x.Int64())
		}
		return "L" + x.String()
	case *big.Rat:
		if x == nil {
			return "n"
		}
		return "D" + formatDecimal(x)
	case *big.Float:
		if x == nil {
			return "n"
		}
		return "D" + x.Text('g', -1)
	case *javaList:
		return "l" + s.reg.put(x)
	case *javaMap:
		return "a" + s.reg.put(x)
	case *javaSet:
		return "h" + s.reg.put(x)
	case *javaIterator:
		return "g" + s.reg.put(x)
	case javaObject, error, *Proxy:
		return "r" + s.reg.put(x)
	}
	return s.encodeReflect(reflect.ValueOf(v))
}

func encodeInt(n int64) string {
	if n >= math.MinInt32 && n <= math.MaxInt32 {
		return "i" + strconv.FormatInt(n, 10)
	}
	return "L" + strconv.FormatInt(n, 10)
}

func (s *Server) encodeReflect(rv reflect.Value) string {
	switch rv.Kind() {
	case reflect.Bool:
		return s.encodeValue(rv.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return encodeInt(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u <= math.MaxInt64 {
			return encodeInt(int64(u))
		}
		return "L" + strconv.FormatUint(u, 10)
	case reflect.Float32, reflect.Float64:
		return "d" + formatDouble(rv.Float())
	case reflect.String:
		return "s" + escape(rv.String())
	case reflect.Slice:
		if rv.IsNil() {
			return "n"
		}
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return "j" + encodeBytes(rv.Bytes())
		}
		return s.encodeValue(listFromValue(rv))
	case reflect.Array:
		return s.encodeValue(listFromValue(rv))
	case reflect.Map:
		if rv.IsNil() {
			return "n"
		}
		if isSetType(rv.Type()) {
			return s.encodeValue(setFromValue(rv))
		}
		return s.encodeValue(mapFromValue(rv))
	case reflect.Pointer, reflect.Interface, reflect.Func, reflect.Chan:
		if rv.IsNil() {
			return "n"
		}
	case reflect.Invalid:
		return "n"
	}
	return "r" + s.reg.put(rv.Interface())
}

// isSetType reports whether a map type is Go's idiom for a set:
// map[K]struct{} or map[K]bool.
func isSetType(t reflect.Type) bool {
	e := t.Elem()
	return e.Kind() == reflect.Bool || (e.Kind() == reflect.Struct && e.NumField() == 0)
}

// conversionError is an argument that does not fit its parameter: a
// dispatch error (Py4JError), not the method's own.
type conversionError struct{ msg string }

func (e *conversionError) Error() string { return e.msg }

// describe names a decoded value's type the way a Python user thinks of it.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int, int64, *big.Int:
		return "int"
	case float64:
		return "float"
	case *big.Rat:
		return "Decimal"
	case string:
		return "str"
	case []byte:
		return "bytes"
	case *Proxy:
		return "a Python object implementing " + strings.Join(x.Interfaces, ", ")
	case javaObject:
		return x.javaClass()
	}
	return fmt.Sprintf("%T", v)
}

// convert fits a decoded argument to a Go parameter type, the way Java's
// gateway widens: ints to larger ints and to floats, a list reference to a
// slice, a map reference to a map, a Python proxy to an interface through
// the server's adapters.
func (s *Server) convert(v any, t reflect.Type) (reflect.Value, error) {
	if v == nil {
		switch t.Kind() {
		case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map, reflect.Func, reflect.Chan:
			return reflect.Zero(t), nil
		}
		return reflect.Value{}, &conversionError{fmt.Sprintf("None cannot be a %s", t)}
	}
	rv := reflect.ValueOf(v)
	if p, ok := v.(*Proxy); ok && t.Kind() == reflect.Interface {
		return s.adaptProxy(p, t)
	}
	if rv.Type().AssignableTo(t) {
		return rv, nil
	}
	bad := func() (reflect.Value, error) {
		return reflect.Value{}, &conversionError{fmt.Sprintf("%s cannot be a %s", describe(v), t)}
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if i, ok := v.(int); ok { // the common case, without a big.Int
			out := reflect.New(t).Elem()
			if !out.OverflowInt(int64(i)) {
				out.SetInt(int64(i))
				return out, nil
			}
		}
		n, ok := integer(v)
		if !ok {
			return bad()
		}
		out := reflect.New(t).Elem()
		if !n.IsInt64() || out.OverflowInt(n.Int64()) {
			return reflect.Value{}, &conversionError{fmt.Sprintf("%s is out of range for a %s", n, t)}
		}
		out.SetInt(n.Int64())
		return out, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n, ok := integer(v)
		if !ok {
			return bad()
		}
		out := reflect.New(t).Elem()
		if n.Sign() < 0 || !n.IsUint64() || out.OverflowUint(n.Uint64()) {
			return reflect.Value{}, &conversionError{fmt.Sprintf("%s is out of range for a %s", n, t)}
		}
		out.SetUint(n.Uint64())
		return out, nil
	case reflect.Float32, reflect.Float64:
		var f float64
		switch x := v.(type) {
		case float64:
			f = x
		case int:
			f = float64(x)
		case *big.Rat:
			f, _ = x.Float64()
		default:
			n, ok := integer(v)
			if !ok {
				return bad()
			}
			f, _ = new(big.Float).SetInt(n).Float64()
		}
		out := reflect.New(t).Elem()
		out.SetFloat(f)
		return out, nil
	case reflect.Slice, reflect.Array:
		var elems []any
		switch x := v.(type) {
		case *javaList:
			elems = x.snapshot()
		case *javaSet:
			elems = x.snapshot()
		default:
			return bad()
		}
		if t.Kind() == reflect.Array && len(elems) != t.Len() {
			return reflect.Value{}, &conversionError{fmt.Sprintf("a list of %d cannot be a %s", len(elems), t)}
		}
		out := reflect.New(t).Elem()
		if t.Kind() == reflect.Slice {
			out = reflect.MakeSlice(t, len(elems), len(elems))
		}
		for i, e := range elems {
			ev, err := s.convert(e, t.Elem())
			if err != nil {
				return reflect.Value{}, &conversionError{fmt.Sprintf("element %d: %v", i, err)}
			}
			out.Index(i).Set(ev)
		}
		return out, nil
	case reflect.Map:
		out := reflect.MakeMap(t)
		switch x := v.(type) {
		case *javaMap:
			for _, e := range x.entries() {
				kv, err := s.convert(e.key, t.Key())
				if err != nil {
					return reflect.Value{}, &conversionError{fmt.Sprintf("key %v: %v", e.key, err)}
				}
				vv, err := s.convert(e.value, t.Elem())
				if err != nil {
					return reflect.Value{}, &conversionError{fmt.Sprintf("value of %v: %v", e.key, err)}
				}
				out.SetMapIndex(kv, vv)
			}
		case *javaSet:
			if !isSetType(t) {
				return bad()
			}
			present := reflect.New(t.Elem()).Elem()
			if t.Elem().Kind() == reflect.Bool {
				present.SetBool(true)
			}
			for _, e := range x.snapshot() {
				kv, err := s.convert(e, t.Key())
				if err != nil {
					return reflect.Value{}, &conversionError{fmt.Sprintf("element %v: %v", e, err)}
				}
				out.SetMapIndex(kv, present)
			}
		default:
			return bad()
		}
		return out, nil
	case reflect.Pointer:
		switch t {
		case typeBigInt:
			if n, ok := integer(v); ok {
				return reflect.ValueOf(n), nil
			}
		case typeBigRat:
			switch x := v.(type) {
			case float64:
				if r := new(big.Rat).SetFloat64(x); r != nil {
					return reflect.ValueOf(r), nil
				}
			default:
				if n, ok := integer(v); ok {
					return reflect.ValueOf(new(big.Rat).SetInt(n)), nil
				}
			}
		}
	}
	return bad()
}

// integer returns an integral argument as a big.Int.
func integer(v any) (*big.Int, bool) {
	switch x := v.(type) {
	case int:
		return big.NewInt(int64(x)), true
	case int64:
		return big.NewInt(x), true
	case *big.Int:
		return x, true
	}
	return nil, false
}

// errUnsupported marks an operation the gateway does not offer.
var errUnsupported = errors.New("not supported by sockit's gateway")
