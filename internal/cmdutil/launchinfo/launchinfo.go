// Package launchinfo is the --launch_info plumbing of agentd's hidden
// process commands (`mesosctl containerizer launch`, `mesosctl executor`):
// a command that loads a launcher.Info from a file or inline JSON and runs
// one daemon entry point with it, and Direct, the same without the command
// tree, for the start of every task.
package launchinfo

import (
	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/agentd/launcher"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
)

// NewCmd builds a plumbing command `<use> --launch_info=<file|json>`
// that loads the launch info and hands it to run, whose result is the exit
// status.
func NewCmd(use, short string, run func(*launcher.Info) int) *cobra.Command {
	var info string
	cmd := &cobra.Command{
		Use:   use + " --launch_info=<file|json>",
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if info == "" {
				return cmdutil.FlagErrorf("--launch_info is required")
			}
			i, err := launcher.Load(info)
			if err != nil {
				return err
			}
			if code := run(i); code != 0 {
				return &cmdutil.ExitStatusError{Code: code}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&info, "launch_info", "", "Launch info: a JSON file path or inline JSON")
	return cmd
}
