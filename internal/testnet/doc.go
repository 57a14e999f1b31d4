// Package testnet holds helpers for tests that use real sockets: a short
// temp directory for Unix socket paths, a bounded context, a check for
// IPv6 loopback, and networks of Linux network namespaces.
//
// [New] starts a [Net]; [Net.Host] adds a namespace (a host, or a router
// after [Host.Forward]) and [Net.Link] joins two with a veth pair, with
// addresses at both ends. [Host.Route] and [Host.Sysctl] configure a host,
// [Host.Command] runs a program inside it and [Host.Do] a function, for
// sockets opened in-process. Every namespace is deleted when the test
// ends. Tests that need namespaces are skipped, with the reason, where
// they cannot be made: not root, or no ip command.
//
// [NewRouted] builds the network the ping and trace tests run on: a
// client and a server two routers apart, with a second path through a
// third router.
package testnet
