// Package tour is sockit's guided tour (sockit demo): a real echo round
// trip over every socket type Linux offers a user, and a TCP and a UDP
// exchange shown system call by system call.
package tour
