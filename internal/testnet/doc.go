// Package testnet holds helpers for tests that use real sockets: a short
// temp directory for Unix socket paths, a bounded context, and a check for
// IPv6 loopback. Network-namespace topologies will live here too.
package testnet
