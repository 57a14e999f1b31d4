package relay

import (
	"io"
	"sync"
)

// Hub copies what each member sends to other members: to every other
// member when it is a broker (a chat room), or between a center and the
// rest (a server's terminal and its clients) when it is not.
//
// Each member has its own writer and a queue of Queue chunks; a member
// whose queue is full holds up the sender until there is room, as a pipe
// does, so nothing is dropped.
type Hub struct {
	// Broker sends every member's chunks to every other member. Without
	// it, the center's chunks go to all the others and theirs only to the
	// center.
	Broker bool
	// Queue is how many chunks wait for a slow member; zero means 64.
	Queue int

	mu      sync.Mutex
	members map[*Member]struct{}
	center  *Member
	wg      sync.WaitGroup
}

// Member is one writer in a Hub.
type Member struct {
	hub   *Hub
	w     io.Writer
	out   chan item
	gone  chan struct{} // closed by Remove
	ended chan struct{} // closed when the writer has returned
	once  sync.Once
	onErr func(error)
}

// item is a chunk to write, or a function to run in its place.
type item struct {
	p    []byte
	then func()
}

// Add makes w a member. Chunks for it are written by a goroutine of its
// own; if a write fails, the member leaves the hub and onErr (if not nil)
// is called with the error. A center (at most one) exchanges chunks with
// every other member when the Hub is not a broker.
func (h *Hub) Add(w io.Writer, center bool, onErr func(error)) *Member {
	q := h.Queue
	if q <= 0 {
		q = 64
	}
	m := &Member{hub: h, w: w, out: make(chan item, q), gone: make(chan struct{}), ended: make(chan struct{}), onErr: onErr}
	h.mu.Lock()
	if h.members == nil {
		h.members = make(map[*Member]struct{})
	}
	h.members[m] = struct{}{}
	if center {
		h.center = m
	}
	h.wg.Add(1)
	h.mu.Unlock()
	go m.write()
	return m
}

func (m *Member) write() {
	defer m.hub.wg.Done()
	defer close(m.ended)
	for {
		select {
		case it := <-m.out:
			if it.then != nil {
				it.then()
				continue
			}
			if _, err := m.w.Write(it.p); err != nil {
				m.Remove()
				if m.onErr != nil {
					m.onErr(err)
				}
				return
			}
		case <-m.gone:
			return
		}
	}
}

// Send copies p to the members m sends to. It returns once every one of
// them has p in its queue or has left.
func (m *Member) Send(p []byte) {
	h := m.hub
	chunk := append([]byte(nil), p...)
	h.mu.Lock()
	var to []*Member
	for o := range h.members {
		if o != m && (h.Broker || m == h.center || o == h.center) {
			to = append(to, o)
		}
	}
	h.mu.Unlock()
	for _, o := range to {
		select {
		case o.out <- item{p: chunk}:
		case <-o.gone:
		}
	}
}

// Remove takes the member out of the hub; chunks still queued for it are
// dropped. It does not close the member's writer.
func (m *Member) Remove() {
	m.once.Do(func() {
		h := m.hub
		h.mu.Lock()
		delete(h.members, m)
		if h.center == m {
			h.center = nil
		}
		h.mu.Unlock()
		close(m.gone)
	})
}

// After runs f in m's writer once everything queued for m before it has
// been written; not at all if m leaves first. Shutting down a
// connection's write side after the last chunk for it is what it is for.
func (m *Member) After(f func()) {
	select {
	case m.out <- item{then: f}:
	case <-m.gone:
	}
}

// Done is closed when the member has left: removed, or its write failed.
func (m *Member) Done() <-chan struct{} { return m.gone }

// Flush waits until everything queued for m so far has been written, or m
// has left.
func (m *Member) Flush() {
	flushed := make(chan struct{})
	m.After(func() { close(flushed) })
	select {
	case <-flushed:
	case <-m.gone:
	}
}

// Leave removes the member and waits until its writer has returned: a
// write in progress has finished. Close the writer first if that write
// could wait for a peer that reads no more.
func (m *Member) Leave() {
	m.Remove()
	<-m.ended
}

// Close removes every member and waits for their writers to return.
func (h *Hub) Close() {
	h.mu.Lock()
	var all []*Member
	for m := range h.members {
		all = append(all, m)
	}
	h.mu.Unlock()
	for _, m := range all {
		m.Remove()
	}
	h.wg.Wait()
}
