package cli

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/sockit/sockit/dump"
)

// dumpFlags are -x and --text: dump the traffic on standard error.
type dumpFlags struct{ hex, text bool }

func (f *dumpFlags) add(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.BoolVarP(&f.hex, "hex", "x", false, "dump every chunk sent and received on standard error, in hex")
	fs.BoolVar(&f.text, "text", false, "dump every chunk sent and received on standard error, as text")
	cmd.MarkFlagsMutuallyExclusive("hex", "text")
}

// dumper is the Dumper the flags ask for, or nil.
func (f dumpFlags) dumper(w io.Writer) *dump.Dumper {
	switch {
	case f.hex:
		return dump.New(w, dump.Hex)
	case f.text:
		return dump.New(w, dump.Text)
	}
	return nil
}
