// Package executor holds the hidden `mesosctl executor` command, agentd's
// command executor (see internal/agentd/executor).
package executor

import (
	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/agentd/executor"
	"github.com/mesosctl/mesosctl/internal/agentd/launcher"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
)

// NewCmdExecutor returns the hidden executor command.
func NewCmdExecutor(f *cmdutil.Factory) *cobra.Command {
	var info string
	cmd := &cobra.Command{
		Use:    "executor --launch_info=<file|json>",
		Short:  "Command executor used by agentd",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if info == "" {
				return cmdutil.FlagErrorf("--launch_info is required")
			}
			i, err := launcher.Load(info)
			if err != nil {
				return err
			}
			if code := executor.Run(i); code != 0 {
				return &cmdutil.ExitStatusError{Code: code}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&info, "launch_info", "", "Launch info: a JSON file path or inline JSON")
	return cmd
}
