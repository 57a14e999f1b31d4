// Package demo is the entry point `sockit gateway --demo` serves: the
// contract a Python user (and sockit's acceptance runs) can rely on.
//
//	gateway.entry_point.addition(1, 2)            -> 3
//	gateway.entry_point.concat("a", "b")          -> "ab"
//	gateway.entry_point.divide(1.0, 4)            -> 0.25 (an error for 0)
//	gateway.entry_point.sumList([1, 2, 3])        -> 6
//	gateway.entry_point.echoBytes(b"\x00\xff")    -> b"\x00\xff"
//	stack = gateway.entry_point.getStack()        -> push, pop, size, getInternalList
//	gateway.entry_point.callMeBack(listener, "x") -> listener.notify("x")
package demo
