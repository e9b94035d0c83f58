// Package containerizer holds the hidden `mesosctl containerizer launch`
// command, agentd's container launcher (see internal/agentd/launcher).
package containerizer

import (
	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/agentd/launcher"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/cmdutil/launchinfo"
)

// NewCmdContainerizer returns the hidden containerizer command.
func NewCmdContainerizer(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "containerizer", Short: "Container launcher used by agentd", Hidden: true}
	cmd.AddCommand(launchinfo.NewCmd("launch", "Enter the container's cgroups and start its executor", launcher.Run))
	return cmd
}
