// Package cli wires sockit's commands to the library packages: each file
// holds one command, which turns flags into a library call and its result
// into output. Nothing outside cmd/sockit imports it.
package cli
