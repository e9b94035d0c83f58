// Package executor holds the hidden `mesosctl executor` command, agentd's
// command executor (see internal/agentd/executor).
package executor

import (
	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/agentd/executor"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/cmdutil/launchinfo"
)

// NewCmdExecutor returns the hidden executor command.
func NewCmdExecutor(f *cmdutil.Factory) *cobra.Command {
	cmd := launchinfo.NewCmd("executor", "Command executor used by agentd", executor.Run)
	cmd.Hidden = true
	return cmd
}
