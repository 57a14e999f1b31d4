// Package poll is an event loop's window on the kernel: an epoll instance
// with an eventfd to wake it, and the raw, non-blocking socket calls a loop
// makes on descriptors it owns. The evloop engine serves with it and the
// load generator's workers drive connections with it. Calls return the
// kernel's errno unwrapped (syscall.EAGAIN when a socket is not ready), as
// a loop checks them on every call.
package poll
