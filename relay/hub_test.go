package relay

import (
	"bytes"
	"errors"
	"io"
	"net"
	"slices"
	"testing"
	"time"
)

// readUntil reads c until it has n bytes or ends, within the test's bounds.
func readUntil(t *testing.T, c Conn, n int) string {
	t.Helper()
	c.(net.Conn).SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, n)
	got, err := io.ReadFull(c, buf)
	if err != nil {
		t.Fatalf("read %d of %d bytes: %v (%q)", got, n, err, buf[:got])
	}
	return string(buf)
}

func TestHubBroker(t *testing.T) {
	h := &Hub{Broker: true}
	defer h.Close()
	var clients []Conn
	var members []*Member
	for range 3 {
		client, server := pair(t, "tcp")
		clients = append(clients, client)
		members = append(members, h.Add(server, false, nil))
	}
	for i, m := range members {
		m.Send([]byte{'A' + byte(i)})
	}
	for i, c := range clients {
		got := []byte(readUntil(t, c, 2))
		slices.Sort(got)
		var want []byte
		for j := range clients {
			if j != i {
				want = append(want, 'A'+byte(j))
			}
		}
		if !bytes.Equal(got, want) {
			t.Errorf("client %d got %q, want %q (every other member's, not its own)", i, got, want)
		}
	}
}

func TestHubCenter(t *testing.T) {
	h := &Hub{}
	defer h.Close()
	centerEnd, centerConn := pair(t, "tcp")
	center := h.Add(centerConn, true, nil)
	var clients []Conn
	var members []*Member
	for range 2 {
		client, server := pair(t, "tcp")
		clients = append(clients, client)
		members = append(members, h.Add(server, false, nil))
	}
	center.Send([]byte("all"))
	members[0].Send([]byte("0"))
	members[1].Send([]byte("1"))
	got := []byte(readUntil(t, centerEnd, 2))
	slices.Sort(got)
	if string(got) != "01" {
		t.Errorf("center got %q, want both clients' bytes", got)
	}
	// Whatever a client gets after "all" must be nothing of the other
	// client's: check with a marker sent after their chunks.
	center.Send([]byte("!"))
	for i, c := range clients {
		if got := readUntil(t, c, 4); got != "all!" {
			t.Errorf("client %d got %q, want only the center's bytes", i, got)
		}
	}
	// After runs once what was queued before it is written: here, the
	// end of the stream after the last chunk.
	center.Send([]byte("bye"))
	for i, m := range members {
		conn := m.w.(Conn)
		m.After(func() { conn.CloseWrite() })
		if got, err := io.ReadAll(clients[i]); err != nil || string(got) != "bye" {
			t.Errorf("client %d read %q, %v; want \"bye\" then end-of-file", i, got, err)
		}
	}
}

func TestHubWriteError(t *testing.T) {
	h := &Hub{Broker: true}
	defer h.Close()
	client, server := pair(t, "tcp")
	server.Close() // writes to it fail
	failed := make(chan error, 1)
	h.Add(server, false, func(err error) { failed <- err })
	_, other := pair(t, "tcp")
	sender := h.Add(other, false, nil)
	sender.Send([]byte("x"))
	if err := <-failed; !errors.Is(err, net.ErrClosed) {
		t.Errorf("onErr got %v, want the write's error", err)
	}
	// The failed member has left: sending again does not wait for it.
	for range 200 { // more than its queue
		sender.Send([]byte("y"))
	}
	client.Close()
}

func TestCloseWhenIdle(t *testing.T) {
	client, server := pair(t, "tcp")
	ic := CloseWhenIdle(server.(net.Conn), 50*time.Millisecond)
	client.Write([]byte("ping"))
	if got := readUntil(t, ic, 4); got != "ping" {
		t.Fatalf("read %q", got)
	}
	// Nothing moves now: the connection is closed and a waiting Read fails.
	_, err := ic.Read(make([]byte, 1))
	if !errors.Is(err, net.ErrClosed) || !ic.Idled() {
		t.Errorf("Read on an idle connection = %v, Idled() = %v; want net.ErrClosed, true", err, ic.Idled())
	}
	if got, err := io.ReadAll(client); err != nil || len(got) != 0 {
		t.Errorf("peer read %q, %v; want end-of-file", got, err)
	}
}

func TestCloseWhenIdleNotWhileBusy(t *testing.T) {
	client, server := pair(t, "tcp")
	ic := CloseWhenIdle(server.(net.Conn), 500*time.Millisecond)
	defer ic.Close()
	// Bytes keep moving for more than the timeout: the connection stays
	// open. The gaps are a fiftieth of the timeout, so a busy machine does
	// not make this fail.
	deadline := time.Now().Add(1200 * time.Millisecond)
	for i := 0; time.Now().Before(deadline); i++ {
		if _, err := client.Write([]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		readUntil(t, ic, 1)
		time.Sleep(10 * time.Millisecond) // pacing, not synchronisation
	}
	if ic.Idled() {
		t.Error("a connection with traffic every 10ms was closed as idle for 500ms")
	}
}
