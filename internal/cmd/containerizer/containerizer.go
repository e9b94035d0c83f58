// Package containerizer holds the hidden `mesosctl containerizer launch`
// command, agentd's container launcher (see internal/agentd/launcher), and
// the --launch_info plumbing it shares with `mesosctl executor`.
package containerizer

import (
	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/agentd/launcher"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
)

// NewCmdContainerizer returns the hidden containerizer command.
func NewCmdContainerizer(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "containerizer", Short: "Container launcher used by agentd", Hidden: true}
	cmd.AddCommand(NewLaunchInfoCmd("launch", "Enter the container's cgroups and start its executor", launcher.Run))
	return cmd
}

// NewLaunchInfoCmd builds a plumbing command `<use> --launch_info=<file|json>`
// that loads the launch info and hands it to run, whose result is the exit
// status.
func NewLaunchInfoCmd(use, short string, run func(*launcher.Info) int) *cobra.Command {
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
