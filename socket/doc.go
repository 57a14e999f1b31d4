// Package socket is the Berkeley socket API on Linux, one method per system
// call, each call optionally reported to a [Tracer].
//
// [Socket] opens a descriptor and returns an [FD]. Its methods are the calls
// a textbook server or client makes, in the order it makes them:
// [FD.SetOption], [FD.Bind], [FD.Listen], [FD.Accept], [FD.Connect],
// [FD.Send] and [FD.Recv] (or [FD.SendTo] and [FD.RecvFrom] for datagrams),
// [FD.Shutdown] and [FD.Close]. [Gethostname] completes the set. A Tracer
// sees each call as a [Call], which prints the way strace does:
//
//	socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0) = 3
//	setsockopt(3, SOL_SOCKET, SO_REUSEADDR, 1) = 0
//	bind(3, 127.0.0.1:0) = 0
//	listen(3, 128) = 0
//	accept4(3, SOCK_NONBLOCK|SOCK_CLOEXEC) = 5 (peer 127.0.0.1:41234)
//	recv(5, 65536) = 5
//
// # Blocking
//
// Every descriptor is created with SOCK_NONBLOCK and SOCK_CLOEXEC and is
// registered with the Go runtime's network poller, so a call that would
// block parks its goroutine, not its thread. The methods that can block
// take a context: cancelling it wakes that call (by setting a past deadline
// on the descriptor, which the call clears again), and the call returns an
// error that satisfies errors.Is(err, ctx.Err()). [FD.Close] from another
// goroutine wakes every call blocked on the descriptor, and they return
// errors that satisfy errors.Is(err, [net.ErrClosed]).
//
// A Tracer sees only the final result of each call, not the EAGAIN retries
// before it, and [Call.Dur] includes the time spent parked. A call woken by
// Close or by its context is reported with the EAGAIN (for connect,
// EINPROGRESS) that the kernel last returned. Calls are reported as they
// return, so calls from different goroutines may reach the tracer in an
// order other than the one in which they took effect.
//
// # Errors
//
// Methods return an [*OpError] naming the system call and the address it
// was given, such as "connect 127.0.0.1:1: connection refused"; errors.Is
// sees through it to the [syscall.Errno]. A message longer than the buffer
// it is received into is [ErrTruncated].
//
// # Addresses
//
// Addresses are the net package's types. IPv4 and IPv6 sockets take and
// return [*net.TCPAddr] (stream), [*net.UDPAddr] (datagram) or
// [*net.IPAddr] (raw); an IPv4 address given to an INET6 socket is
// v4-mapped, and v4-mapped addresses the kernel returns stay IPv6. Unix
// sockets take and return [*net.UnixAddr]; a name that starts with '@' is
// in Linux's abstract namespace, and an unnamed socket's address has an
// empty Name (binding one autobinds an abstract name).
//
// # Raw descriptors
//
// [SetOptionFD], [OptionFD], [ListenFD] and [AutobindFD] act on a descriptor this package
// did not open, such as the one a [net.ListenConfig] or [net.Dialer]
// Control func receives, so that the rest of sockit need not import
// golang.org/x/sys/unix. They are not traced.
package socket
