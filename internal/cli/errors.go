package cli

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sockit/sockit/endpoint"
)

const (
	exitOK      = 0
	exitFailure = 1 // a network or runtime error
	exitUsage   = 2 // a bad flag, argument or address
)

// usageError marks an error as the user's input, for exit code 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// parseEndpoint parses a command-line address; a bad one is a usage error.
func parseEndpoint(s string) (endpoint.Endpoint, error) {
	ep, err := endpoint.Parse(s)
	if err != nil {
		return endpoint.Endpoint{}, &usageError{err}
	}
	return ep, nil
}

// argsBetween is cobra.RangeArgs whose errors are usage errors.
func argsBetween(lo, hi int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) >= lo && len(args) <= hi {
			return nil
		}
		want := fmt.Sprintf("%d to %d arguments", lo, hi)
		switch {
		case lo == hi && lo == 1:
			want = "1 argument"
		case lo == hi:
			want = fmt.Sprintf("%d arguments", lo)
		case lo == 0 && hi == 1:
			want = "at most 1 argument"
		}
		return usageErrorf("%s wants %s, got %d (see %s --help)", cmd.CommandPath(), want, len(args), cmd.CommandPath())
	}
}

// reportError prints err as one line on w and returns its exit code.
func reportError(w io.Writer, err error) int {
	fmt.Fprintf(w, "sockit: %s\n", errorLine(err))
	var uerr *usageError
	var perr *endpoint.ParseError
	if errors.As(err, &uerr) || errors.As(err, &perr) || isCobraUsage(err) {
		return exitUsage
	}
	return exitFailure
}

// isCobraUsage recognises the errors cobra returns for an unknown command.
func isCobraUsage(err error) bool {
	return strings.HasPrefix(err.Error(), "unknown command ") || strings.HasPrefix(err.Error(), "unknown flag") ||
		exclusiveFlagNames(err.Error()) != ""
}

// exclusiveFlagNames returns the flags named by cobra's error for flags
// marked mutually exclusive ("if any flags in the group [a b] are set none
// of the others can be; [a b] were all set"), "a b", which errorLine says
// in fewer words; "" for any other message.
func exclusiveFlagNames(msg string) string {
	rest, ok := strings.CutPrefix(msg, "if any flags in the group [")
	if !ok {
		return ""
	}
	rest, ok = strings.CutSuffix(rest, "] were all set")
	if !ok {
		return ""
	}
	_, names, ok := strings.Cut(rest, "] are set none of the others can be; [")
	if !ok {
		return ""
	}
	return names
}

// errorLine renders err on one line. The net package's errors name the
// system call ("listen tcp 127.0.0.1:7777: bind: address already in use");
// the line drops it, as the address and the reason say what happened.
func errorLine(err error) string {
	msg := err.Error()
	if names := exclusiveFlagNames(msg); names != "" {
		return "flags --" + strings.Join(strings.Fields(names), " and --") + " exclude each other"
	}
	var serr *os.SyscallError
	var oerr *net.OpError
	if errors.As(err, &oerr) && errors.As(oerr.Err, &serr) {
		msg = strings.Replace(msg, serr.Error(), serr.Err.Error(), 1)
	}
	return strings.ReplaceAll(msg, "\n", "; ")
}
