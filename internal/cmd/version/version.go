// Package version implements `mesosctl version`.
package version

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/build"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
)

// Options are the inputs of `mesosctl version`.
type Options struct {
	IO   *iostreams.IOStreams
	JSON bool
}

// NewCmdVersion builds the command; runF replaces the behaviour in tests.
func NewCmdVersion(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:     "version",
		Short:   "Print the version, commit, build date and Go version",
		Example: "  $ mesosctl version\n  $ mesosctl version --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print as JSON")
	return cmd
}

// Run prints the version information.
func Run(opts *Options) error {
	info := build.Current()
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		return enc.Encode(info)
	}
	fmt.Fprintf(opts.IO.Out, "mesosctl version %s\ncommit: %s\nbuilt: %s\ngo: %s (%s)\n",
		info.Version, info.Commit, info.Date, info.GoVersion, info.Platform)
	return nil
}
