package demo

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"

	"github.com/sockit/sockit/gateway"
)

// ListenerInterface is the name a Python listener lists in its
// Java.implements to be passed to CallMeBack.
const ListenerInterface = "demo.Listener"

// Listener is what CallMeBack calls: a Python object with a
// notify(str) -> str method.
type Listener interface {
	Notify(ctx context.Context, message string) (string, error)
}

// Adapters lets a gateway.Server turn Python listeners into Listeners.
func Adapters() map[string]func(*gateway.Proxy) any {
	return map[string]func(*gateway.Proxy) any{
		ListenerInterface: func(p *gateway.Proxy) any { return pythonListener{p} },
	}
}

type pythonListener struct{ p *gateway.Proxy }

func (l pythonListener) Notify(ctx context.Context, message string) (string, error) {
	v, err := l.p.Call(ctx, "notify", message)
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok && v != nil {
		return "", errors.New("notify returned a non-string")
	}
	return s, nil
}

// EntryPoint is the demo's entry point. Its zero value is ready.
type EntryPoint struct{}

// Addition returns a + b; a sum outside the 32-bit range is an error,
// as Java's int would overflow.
func (EntryPoint) Addition(a, b int32) (int32, error) {
	sum := int64(a) + int64(b)
	if sum > math.MaxInt32 || sum < math.MinInt32 {
		return 0, errors.New("addition: the sum overflows a 32-bit int")
	}
	return int32(sum), nil
}

// Concat returns a + b.
func (EntryPoint) Concat(a, b string) string { return a + b }

// Divide returns a / b, and an error for a division by zero.
func (EntryPoint) Divide(a, b float64) (float64, error) {
	if b == 0 {
		return 0, &gateway.Exception{Class: "java.lang.ArithmeticException", Message: "division by zero"}
	}
	return a / b, nil
}

// SumList adds a list of ints: a Python list (with auto_convert) or a
// java.util.ArrayList reference.
func (EntryPoint) SumList(xs []int64) (int64, error) {
	var sum int64
	for _, x := range xs {
		if (x > 0 && sum > math.MaxInt64-x) || (x < 0 && sum < math.MinInt64-x) {
			return 0, errors.New("sumList: the sum overflows a 64-bit int")
		}
		sum += x
	}
	return sum, nil
}

// EchoBytes returns b unchanged.
func (EntryPoint) EchoBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// GetStack returns a new, empty Stack.
func (EntryPoint) GetStack() *Stack { return &Stack{} }

// CallMeBack calls listener.notify(message) in Python and returns what it
// returned. The listener may call the gateway while it runs.
func (EntryPoint) CallMeBack(ctx context.Context, listener Listener, message string) (string, error) {
	if listener == nil {
		return "", errors.New("callMeBack: the listener is None")
	}
	return listener.Notify(ctx, message)
}

// Stack is a stack of strings, safe for concurrent use.
type Stack struct {
	mu    sync.Mutex
	items []string
}

// Push puts s on top.
func (s *Stack) Push(item string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.items = append(s.items, item)
}

// Pop removes and returns the top element; an empty stack is an error.
func (s *Stack) Pop() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.items) == 0 {
		return "", &gateway.Exception{Class: "java.util.EmptyStackException", Message: "pop from an empty stack"}
	}
	top := s.items[len(s.items)-1]
	s.items = s.items[:len(s.items)-1]
	return top, nil
}

// Size is the number of elements.
func (s *Stack) Size() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.items)
}

// GetInternalList returns the elements, bottom first, as a list (a copy).
func (s *Stack) GetInternalList() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.items...)
}

// String is what str(stack) shows in Python.
func (s *Stack) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return "Stack[" + strings.Join(s.items, ", ") + "]"
}
