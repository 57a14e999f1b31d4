// Package bench is sockit's load generator: it drives a stream or datagram
// endpoint with many connections, checks every byte that comes back, and
// measures what it saw.
//
// Every connection sends a byte stream derived from its number (see
// Pattern), so each echoed byte is checked against the byte sent at the
// same offset: a server that corrupts, drops, duplicates or reorders one
// byte is caught, and a run with such an error reports it (Result.Failed)
// rather than a speed. Latency goes into HDR histograms
// (github.com/HdrHistogram/hdrhistogram-go) that survive a trip through
// JSON, so runs made on several machines can be merged (Merge).
//
// Four modes: Pingpong sends a message and waits for its echo (Pipeline
// keeps several in flight); Stream writes as fast as the connection takes
// and verifies the echo as it comes; Connect opens and closes connections;
// Datagram sends numbered datagrams and counts loss, reordering and
// duplicates. With Rate set, messages leave on a fixed schedule and latency
// is counted from each one's scheduled time, so a stalled server cannot
// hide its stall behind the messages it delayed (coordinated omission, as
// wrk2 corrects it).
package bench
