package gateway

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// javaList is java.util.ArrayList for Python's JavaList wrapper: created
// by the ArrayList constructor, by the converters, or for a Go slice a
// method returned (a copy: changes through Python do not reach the slice).
type javaList struct {
	mu    sync.Mutex
	items []any
}

func (l *javaList) javaClass() string { return "java.util.ArrayList" }

func (l *javaList) snapshot() []any {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.items)
}

func (l *javaList) String() string { return javaString(l) }

// joinValues renders the elements of a collection, within the collections
// being rendered (see render).
func joinValues(vs []any, within []any) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = render(v, within)
	}
	return strings.Join(parts, ", ")
}

// listFromValue copies a Go slice or array into a new list.
func listFromValue(rv reflect.Value) *javaList {
	l := &javaList{items: make([]any, rv.Len())}
	for i := range l.items {
		l.items[i] = normalize(rv.Index(i))
	}
	return l
}

// normalize turns a Go element into the gateway's own value types (int,
// int64, *big.Int, float64, string, bool), so that contains() and equals()
// compare like with like. Other values are kept as they are.
func normalize(rv reflect.Value) any {
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n := rv.Int()
		if n >= math.MinInt && n <= math.MaxInt {
			return int(n)
		}
		return n
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u <= math.MaxInt64 {
			return int(u)
		}
		return new(big.Int).SetUint64(u)
	case reflect.Float32, reflect.Float64:
		return rv.Float()
	case reflect.String:
		return rv.String()
	case reflect.Bool:
		return rv.Bool()
	case reflect.Interface:
		if rv.IsNil() {
			return nil
		}
		return normalize(rv.Elem())
	case reflect.Invalid:
		return nil
	}
	return rv.Interface()
}

// index converts an index argument and checks it against n (inclusive
// when end is true, as for add(i, v)).
func index(arg any, n int, end bool) (int, error) {
	i, ok := arg.(int)
	if !ok {
		return 0, &dispatchError{fmt.Sprintf("index %s is not an int", describe(arg))}
	}
	if i < 0 || i > n || (i == n && !end) {
		return 0, &Exception{"java.lang.IndexOutOfBoundsException", fmt.Sprintf("Index %d out of bounds for length %d", i, n)}
	}
	return i, nil
}

func (l *javaList) invoke(_ context.Context, s *Server, method string, args []any) (any, error) {
	key := fmt.Sprintf("%s/%d", method, len(args))
	switch key {
	case "indexOf/1", "lastIndexOf/1", "contains/1", "containsAll/1", "toString/0", "equals/1", "hashCode/0":
		return l.inspect(key, args)
	case "remove/1":
		if _, isIndex := args[0].(int); !isIndex {
			return l.removeValue(args[0]), nil
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.items)
	switch key {
	case "size/0":
		return n, nil
	case "isEmpty/0":
		return n == 0, nil
	case "get/1":
		i, err := index(args[0], n, false)
		if err != nil {
			return nil, err
		}
		return l.items[i], nil
	case "set/2":
		i, err := index(args[0], n, false)
		if err != nil {
			return nil, err
		}
		old := l.items[i]
		l.items[i] = args[1]
		return old, nil
	case "add/1":
		l.items = append(l.items, args[0])
		return true, nil
	case "add/2":
		i, err := index(args[0], n, true)
		if err != nil {
			return nil, err
		}
		l.items = slices.Insert(l.items, i, args[1])
		return nil, nil
	case "addAll/1":
		more, err := elements(args[0])
		if err != nil {
			return nil, err
		}
		l.items = append(l.items, more...)
		return len(more) > 0, nil
	case "addAll/2":
		i, err := index(args[0], n, true)
		if err != nil {
			return nil, err
		}
		more, err := elements(args[1])
		if err != nil {
			return nil, err
		}
		l.items = slices.Insert(l.items, i, more...)
		return len(more) > 0, nil
	case "remove/1": // by index; by value is removeValue
		i, err := index(args[0], n, false)
		if err != nil {
			return nil, err
		}
		old := l.items[i]
		l.items = slices.Delete(l.items, i, i+1)
		return old, nil
	case "clear/0":
		l.items = nil
		return nil, nil
	case "iterator/0", "listIterator/0":
		return &javaIterator{items: slices.Clone(l.items)}, nil
	case "subList/2":
		a, err := index(args[0], n, true)
		if err != nil {
			return nil, err
		}
		b, err := index(args[1], n, true)
		if err != nil {
			return nil, err
		}
		if a > b {
			return nil, &Exception{"java.lang.IllegalArgumentException", fmt.Sprintf("fromIndex(%d) > toIndex(%d)", a, b)}
		}
		return &javaList{items: slices.Clone(l.items[a:b])}, nil
	}
	return nil, noMethod(l, method, args)
}

// inspect runs the methods that compare or render elements, on a copy and
// without the lock: an element may be this very list (Python's
// l.append(l)), or hold it.
func (l *javaList) inspect(key string, args []any) (any, error) {
	items := l.snapshot()
	switch key {
	case "indexOf/1":
		return findIn(items, args[0]), nil
	case "lastIndexOf/1":
		for i := len(items) - 1; i >= 0; i-- {
			if equalValues(items[i], args[0]) {
				return i, nil
			}
		}
		return -1, nil
	case "contains/1":
		return findIn(items, args[0]) >= 0, nil
	case "containsAll/1":
		want, err := elements(args[0])
		if err != nil {
			return nil, err
		}
		for _, w := range want {
			if findIn(items, w) < 0 {
				return false, nil
			}
		}
		return true, nil
	case "toString/0":
		return javaString(l), nil
	case "equals/1":
		return equalValues(l, args[0]), nil
	case "hashCode/0":
		h := int32(1)
		for _, v := range items {
			h = 31*h + hashCode(v)
		}
		return h, nil
	}
	method, _, _ := strings.Cut(key, "/")
	return nil, noMethod(l, method, args)
}

// removeValue removes the first element equal to v.
func (l *javaList) removeValue(v any) bool {
	i := findIn(l.snapshot(), v)
	if i < 0 {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if i >= len(l.items) {
		return false // shortened meanwhile
	}
	l.items = slices.Delete(l.items, i, i+1)
	return true
}

func findIn(items []any, v any) int {
	return slices.IndexFunc(items, func(e any) bool { return equalValues(e, v) })
}

// elements returns the contents of a collection argument.
func elements(v any) ([]any, error) {
	switch x := v.(type) {
	case *javaList:
		return x.snapshot(), nil
	case *javaSet:
		return x.snapshot(), nil
	}
	return nil, &dispatchError{fmt.Sprintf("%s is not a collection", describe(v))}
}

// listOperation runs the l command's sub-commands, which JavaList uses for
// Python's slice, +, *, *=, count, sort and reverse.
func (s *Server) listOperation(sub string, target any, args []string) (string, error) {
	l, ok := target.(*javaList)
	if !ok {
		return "", &dispatchError{fmt.Sprintf("%s is not a list", describe(target))}
	}
	var values []any
	if sub != "a" { // concatenation names the other list by its raw id
		var err error
		if values, err = s.decodeParts(args); err != nil {
			return "", err
		}
	}
	switch sub {
	case "l": // slice: explicit indices
		items := l.snapshot()
		out := make([]any, 0, len(values))
		for _, v := range values {
			i, err := index(v, len(items), false)
			if err != nil {
				return "", err
			}
			out = append(out, items[i])
		}
		return s.encodeValue(&javaList{items: out}), nil
	case "a": // concatenation; the other list comes as a raw id
		if len(args) != 1 {
			return "", &dispatchError{"list concatenation wants one list"}
		}
		other, ok := s.reg.get(args[0])
		if !ok {
			if v, err := s.decodePart(args[0]); err == nil {
				other = v
			} else {
				return "", &dispatchError{fmt.Sprintf("unknown object id %q", args[0])}
			}
		}
		more, err := elements(other)
		if err != nil {
			return "", err
		}
		return s.encodeValue(&javaList{items: append(l.snapshot(), more...)}), nil
	case "m", "i": // l * n, l *= n
		if len(values) != 1 {
			return "", &dispatchError{"list multiplication wants one int"}
		}
		times, ok := values[0].(int)
		if !ok {
			return "", &dispatchError{fmt.Sprintf("cannot multiply a list by %s", describe(values[0]))}
		}
		items := l.snapshot()
		if times < 0 {
			times = 0
		}
		if times > 0 && len(items) > (1<<24)/times {
			return "", &Exception{"java.lang.OutOfMemoryError", fmt.Sprintf("a list of %d × %d elements is too large", len(items), times)}
		}
		out := make([]any, 0, len(items)*times)
		for range times {
			out = append(out, items...)
		}
		if sub == "m" {
			return s.encodeValue(&javaList{items: out}), nil
		}
		l.mu.Lock()
		l.items = out
		l.mu.Unlock()
		return "v", nil
	case "f": // count
		if len(values) != 1 {
			return "", &dispatchError{"count wants one value"}
		}
		n := 0
		for _, e := range l.snapshot() {
			if equalValues(e, values[0]) {
				n++
			}
		}
		return encodeInt(int64(n)), nil
	case "s":
		l.mu.Lock()
		defer l.mu.Unlock()
		sorted := slices.Clone(l.items)
		var bad error
		slices.SortStableFunc(sorted, func(a, b any) int {
			c, err := compareValues(a, b)
			if err != nil && bad == nil {
				bad = err
			}
			return c
		})
		if bad != nil {
			return "", bad
		}
		l.items = sorted
		return "v", nil
	case "r":
		l.mu.Lock()
		slices.Reverse(l.items)
		l.mu.Unlock()
		return "v", nil
	case "x", "n": // max, min (Java has them; Python does not send them)
		items := l.snapshot()
		if len(items) == 0 {
			return "", &Exception{"java.util.NoSuchElementException", "empty list"}
		}
		best := items[0]
		for _, e := range items[1:] {
			c, err := compareValues(e, best)
			if err != nil {
				return "", err
			}
			if (sub == "x" && c > 0) || (sub == "n" && c < 0) {
				best = e
			}
		}
		return s.encodeValue(best), nil
	}
	return "", &dispatchError{fmt.Sprintf("unknown list operation %q", sub)}
}

// compareValues orders numbers, strings and booleans as Java's natural
// order does; anything else is a ClassCastException, as in Java.
func compareValues(a, b any) (int, error) {
	if na, ok := number(a); ok {
		if nb, ok := number(b); ok {
			return na.Cmp(nb), nil
		}
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return cmp.Compare(x, y), nil
		}
	case bool:
		if y, ok := b.(bool); ok {
			switch {
			case x == y:
				return 0, nil
			case !x:
				return -1, nil
			}
			return 1, nil
		}
	}
	return 0, &Exception{"java.lang.ClassCastException", fmt.Sprintf("cannot compare %s with %s", describe(a), describe(b))}
}

func number(v any) (*big.Float, bool) {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) {
			return nil, false
		}
		return big.NewFloat(x), true
	case *big.Rat:
		return new(big.Float).SetRat(x), true
	}
	if n, ok := integer(v); ok {
		return new(big.Float).SetInt(n), true
	}
	return nil, false
}

// mapKey makes a value usable as a Go map key with Java's equality:
// integers by value, bytes by content. Values Go cannot hash are refused.
func mapKey(v any) (any, error) {
	type bigKey struct{ s string }
	type bytesKey struct{ s string }
	type ratKey struct{ s string }
	switch x := v.(type) {
	case int64:
		if x >= math.MinInt && x <= math.MaxInt {
			return int(x), nil
		}
	case *big.Int:
		if x.IsInt64() {
			return mapKey(x.Int64())
		}
		return bigKey{x.String()}, nil
	case []byte:
		return bytesKey{string(x)}, nil
	case *big.Rat:
		return ratKey{x.RatString()}, nil
	case nil:
		return nil, nil
	}
	if !reflect.TypeOf(v).Comparable() {
		return nil, &dispatchError{fmt.Sprintf("%s cannot be a map key or set element", describe(v))}
	}
	return v, nil
}

type entry struct{ key, value any }

// javaMap is java.util.HashMap for Python's JavaMap wrapper. It keeps
// insertion order, so iteration is repeatable.
type javaMap struct {
	mu    sync.Mutex
	index map[any]int // mapKey -> position in items
	items []entry
}

func newJavaMap() *javaMap { return &javaMap{index: make(map[any]int)} }

func (m *javaMap) javaClass() string { return "java.util.HashMap" }

func (m *javaMap) entries() []entry {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.items)
}

func (m *javaMap) String() string { return javaString(m) }

// equal compares two maps' entries, depth collections deep already.
func (m *javaMap) equal(o *javaMap, depth int) bool {
	a, b := m.entries(), o.entries()
	if len(a) != len(b) {
		return false
	}
	for _, e := range a {
		v, ok, _ := o.get(e.key)
		if !ok || !equalAt(v, e.value, depth+1) {
			return false
		}
	}
	return true
}

func (m *javaMap) get(k any) (any, bool, error) {
	key, err := mapKey(k)
	if err != nil {
		return nil, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if i, ok := m.index[key]; ok {
		return m.items[i].value, true, nil
	}
	return nil, false, nil
}

func (m *javaMap) put(k, v any) (any, error) {
	key, err := mapKey(k)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if i, ok := m.index[key]; ok {
		old := m.items[i].value
		m.items[i].value = v
		return old, nil
	}
	m.index[key] = len(m.items)
	m.items = append(m.items, entry{k, v})
	return nil, nil
}

func (m *javaMap) remove(k any) (any, error) {
	key, err := mapKey(k)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.index[key]
	if !ok {
		return nil, nil
	}
	old := m.items[i].value
	m.items = slices.Delete(m.items, i, i+1)
	delete(m.index, key)
	for j := i; j < len(m.items); j++ {
		kk, _ := mapKey(m.items[j].key)
		m.index[kk] = j
	}
	return old, nil
}

func mapFromValue(rv reflect.Value) *javaMap {
	m := newJavaMap()
	iter := rv.MapRange()
	var keys []reflect.Value
	for iter.Next() {
		keys = append(keys, iter.Key())
	}
	// Go's map order is random; a sorted copy makes the reference repeatable.
	slices.SortFunc(keys, func(a, b reflect.Value) int {
		c, err := compareValues(normalize(a), normalize(b))
		if err != nil {
			return cmp.Compare(fmt.Sprint(a), fmt.Sprint(b))
		}
		return c
	})
	for _, k := range keys {
		if _, err := m.put(normalize(k), normalize(rv.MapIndex(k))); err != nil {
			continue // a Go key the map cannot hold: not possible for Go map keys
		}
	}
	return m
}

func (m *javaMap) invoke(_ context.Context, s *Server, method string, args []any) (any, error) {
	switch fmt.Sprintf("%s/%d", method, len(args)) {
	case "size/0":
		m.mu.Lock()
		defer m.mu.Unlock()
		return len(m.items), nil
	case "isEmpty/0":
		m.mu.Lock()
		defer m.mu.Unlock()
		return len(m.items) == 0, nil
	case "get/1":
		v, _, err := m.get(args[0])
		return v, err
	case "getOrDefault/2":
		v, ok, err := m.get(args[0])
		if !ok {
			v = args[1]
		}
		return v, err
	case "containsKey/1":
		_, ok, err := m.get(args[0])
		return ok, err
	case "containsValue/1":
		for _, e := range m.entries() {
			if equalValues(e.value, args[0]) {
				return true, nil
			}
		}
		return false, nil
	case "put/2":
		return m.put(args[0], args[1])
	case "putAll/1":
		o, ok := args[0].(*javaMap)
		if !ok {
			return nil, &dispatchError{fmt.Sprintf("putAll wants a map, not %s", describe(args[0]))}
		}
		for _, e := range o.entries() {
			if _, err := m.put(e.key, e.value); err != nil {
				return nil, err
			}
		}
		return nil, nil
	case "remove/1":
		return m.remove(args[0])
	case "clear/0":
		m.mu.Lock()
		m.items, m.index = nil, make(map[any]int)
		m.mu.Unlock()
		return nil, nil
	case "keySet/0":
		set := newJavaSet()
		for _, e := range m.entries() {
			_, _ = set.add(e.key)
		}
		return set, nil
	case "values/0":
		es := m.entries()
		vs := make([]any, len(es))
		for i, e := range es {
			vs[i] = e.value
		}
		return &javaList{items: vs}, nil
	case "toString/0":
		return m.String(), nil
	case "equals/1":
		o, ok := args[0].(*javaMap)
		return ok && equalValues(m, o), nil
	}
	return commonMethod(m, method, args)
}

// javaSet is java.util.HashSet for Python's JavaSet wrapper, in insertion
// order.
type javaSet struct{ m *javaMap }

func newJavaSet() *javaSet { return &javaSet{m: newJavaMap()} }

func (st *javaSet) javaClass() string { return "java.util.HashSet" }

func (st *javaSet) snapshot() []any {
	es := st.m.entries()
	out := make([]any, len(es))
	for i, e := range es {
		out[i] = e.key
	}
	return out
}

func (st *javaSet) String() string { return javaString(st) }

func (st *javaSet) equal(o *javaSet) bool {
	a, b := st.snapshot(), o.snapshot()
	if len(a) != len(b) {
		return false
	}
	for _, v := range b {
		if _, ok, _ := st.m.get(v); !ok {
			return false
		}
	}
	return true
}

func (st *javaSet) add(v any) (bool, error) {
	_, present, err := st.m.get(v)
	if err != nil || present {
		return false, err
	}
	_, err = st.m.put(v, nil)
	return err == nil, err
}

func setFromValue(rv reflect.Value) *javaSet {
	st := newJavaSet()
	for _, e := range mapFromValue(rv).entries() {
		_, _ = st.add(e.key)
	}
	return st
}

func (st *javaSet) invoke(ctx context.Context, s *Server, method string, args []any) (any, error) {
	switch fmt.Sprintf("%s/%d", method, len(args)) {
	case "add/1":
		return st.add(args[0])
	case "addAll/1":
		more, err := elements(args[0])
		if err != nil {
			return nil, err
		}
		changed := false
		for _, v := range more {
			added, err := st.add(v)
			if err != nil {
				return nil, err
			}
			changed = changed || added
		}
		return changed, nil
	case "remove/1":
		_, present, err := st.m.get(args[0])
		if err != nil || !present {
			return false, err
		}
		_, err = st.m.remove(args[0])
		return err == nil, err
	case "contains/1":
		_, present, err := st.m.get(args[0])
		return present, err
	case "iterator/0":
		return &javaIterator{items: st.snapshot()}, nil
	case "toString/0":
		return st.String(), nil
	case "equals/1":
		o, ok := args[0].(*javaSet)
		return ok && equalValues(st, o), nil
	case "size/0", "isEmpty/0", "clear/0":
		return st.m.invoke(ctx, s, method, args)
	}
	return commonMethod(st, method, args)
}

// javaIterator is java.util.Iterator for Python's JavaIterator: next()
// past the end raises java.util.NoSuchElementException, which is how
// Python learns the iteration is over.
type javaIterator struct {
	mu    sync.Mutex
	items []any
	next  int
}

func (it *javaIterator) javaClass() string { return "java.util.Iterator" }

func (it *javaIterator) invoke(_ context.Context, _ *Server, method string, args []any) (any, error) {
	it.mu.Lock()
	defer it.mu.Unlock()
	switch fmt.Sprintf("%s/%d", method, len(args)) {
	case "hasNext/0":
		return it.next < len(it.items), nil
	case "next/0":
		if it.next >= len(it.items) {
			return nil, &Exception{"java.util.NoSuchElementException", "no more elements"}
		}
		v := it.items[it.next]
		it.items[it.next] = nil
		it.next++
		return v, nil
	}
	return commonMethod(it, method, args)
}
