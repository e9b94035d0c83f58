// Package containerizer holds the hidden `mesosctl containerizer launch`
// command, the first process of every agentd container (see
// internal/agentd/launcher).
package containerizer

import (
	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/agentd/launcher"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
)

// NewCmdContainerizer returns the hidden containerizer command group.
func NewCmdContainerizer(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "containerizer", Short: "Container launcher used by agentd", Hidden: true}
	var info string
	launch := &cobra.Command{
		Use:   "launch --launch_info=<file|json>",
		Short: "Enter the container's cgroups and start its executor",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if info == "" {
				return cmdutil.FlagErrorf("--launch_info is required")
			}
			i, err := launcher.Load(info)
			if err != nil {
				return err
			}
			if code := launcher.Run(i); code != 0 {
				return &cmdutil.ExitStatusError{Code: code}
			}
			return nil
		},
	}
	launch.Flags().StringVar(&info, "launch_info", "", "Launch info: a JSON file path or inline JSON")
	cmd.AddCommand(launch)
	return cmd
}
