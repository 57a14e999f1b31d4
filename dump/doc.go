// Package dump shows the bytes a connection carries, for people: each
// chunk read or written, with its direction, time, length and offset in
// the stream, as a hex dump in hexdump -C's layout or as text.
package dump
