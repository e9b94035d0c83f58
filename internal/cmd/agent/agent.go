// Package agent implements the `mesosctl agent` noun; each verb lives in
// its own package below this one.
package agent

import (
	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/cmd/agent/configure"
	"github.com/mesosctl/mesosctl/internal/cmd/agent/flags"
	"github.com/mesosctl/mesosctl/internal/cmd/agent/ps"
	"github.com/mesosctl/mesosctl/internal/cmd/agent/state"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
)

// NewCmdAgent builds `mesosctl agent` and its verbs.
func NewCmdAgent(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "agent <command>",
		Short:   "Inspect and change Mesos agents on a node set",
		GroupID: "agents",
		Example: `  $ mesosctl agent ps lxb00[1-4]
  $ NODES=@mesos-agents mesosctl agent ps
  $ mesosctl agent state lxb001 --jq '{resources,attributes}'
  $ mesosctl agent set-attributes 'lxb00[1-4]' os:centos7 rack:3 --dry-run`,
	}
	cmd.AddCommand(
		ps.NewCmdPs(f, nil),
		state.NewCmdState(f, nil),
		flags.NewCmdFlags(f, nil),
		configure.NewCmdSetAttributes(f, nil),
		configure.NewCmdSetResources(f, nil),
		configure.NewCmdSetContainerizers(f, nil),
		configure.NewCmdConfig(f),
		configure.NewCmdRestart(f, nil),
		configure.NewCmdClearLatest(f, nil),
	)
	return cmd
}
