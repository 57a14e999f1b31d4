package gateway

import (
	"strconv"
	"sync"
)

// registry maps the ids handed to Python to the Go values they stand for.
// It is server-wide: Python may use an id on any of its connections. Each
// hand-out gets a fresh id, even for a value handed out before, because
// the Python client releases each id it received once (protocol section 4).
type registry struct {
	mu      sync.Mutex
	objects map[string]any
	next    uint64
}

func newRegistry() *registry { return &registry{objects: make(map[string]any)} }

// put registers v under a fresh id.
func (r *registry) put(v any) string {
	r.mu.Lock()
	id := "o" + strconv.FormatUint(r.next, 10)
	r.next++
	r.objects[id] = v
	r.mu.Unlock()
	return id
}

// putAs registers v under a fixed id (the entry point, GATEWAY_SERVER).
func (r *registry) putAs(id string, v any) {
	r.mu.Lock()
	r.objects[id] = v
	r.mu.Unlock()
}

func (r *registry) get(id string) (any, bool) {
	r.mu.Lock()
	v, ok := r.objects[id]
	r.mu.Unlock()
	return v, ok
}

// release forgets id. The value lives on if Go still refers to it.
func (r *registry) release(id string) {
	r.mu.Lock()
	delete(r.objects, id)
	r.mu.Unlock()
}

// len is the number of ids held, for tests and the server's stats.
func (r *registry) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.objects)
}

// clear drops every id but the fixed ones, on shutdown.
func (r *registry) clear(keep ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	kept := make(map[string]any, len(keep))
	for _, id := range keep {
		if v, ok := r.objects[id]; ok {
			kept[id] = v
		}
	}
	r.objects = kept
}
