package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is sockit's release; see CHANGELOG.md.
const version = "0.1.0"

func newVersionCmd(stdio IO) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print sockit's version and the Go toolchain that built it",
		Args:  argsBetween(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(stdio.Out, versionLine())
			return err
		},
	}
}

func versionLine() string {
	line := fmt.Sprintf("sockit %s (%s %s/%s", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				line += ", commit " + s.Value[:12]
			}
		}
	}
	return line + ")"
}
