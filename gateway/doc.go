// Package gateway serves Go values to Python programs over the Py4J wire
// protocol, so that the unmodified Py4J client (JavaGateway, ClientServer)
// talks to a Go process as if it were a JVM, and Go calls back Python
// objects that implement Go interfaces.
//
// A Server is configured like net/http's: set the fields, then call
// ListenAndServe or Serve, and Shutdown to stop.
//
//	srv := &gateway.Server{
//		Addr:       gateway.DefaultAddr,
//		EntryPoint: myEntryPoint{},
//		AuthToken:  os.Getenv("SOCKIT_GATEWAY_TOKEN"),
//	}
//	err := srv.ListenAndServe(ctx)
//
// Python's camelCase method names map to exported Go methods (getStack ->
// GetStack). Arguments are converted by reflection; results are encoded
// back: scalars by value, slices, maps and sets as the list, map and set
// references Py4J's wrappers expect, everything else as an object
// reference with a fresh id per hand-out. A method that returns an error,
// or panics, makes Python raise Py4JJavaError with the error's text; an
// unknown method or arguments of the wrong type make it raise Py4JError.
//
// A Python object passed to Go arrives as a *Proxy. When the parameter's
// type is an interface, Server.Adapters turns the proxy into a Go value
// implementing it, so Go calls Python like any other value; Python's
// exceptions come back as *PythonError. In ModeGateway Go connects to
// Python's callback server; in ModeClientServer it calls back on the
// connection of the call in flight, dispatching Python's nested calls
// while it waits. No lock is held across a callback.
//
// The protocol is described in Py4J's documentation and, for what a
// non-JVM server must answer, in sockit's docs/gateway.md.
package gateway
