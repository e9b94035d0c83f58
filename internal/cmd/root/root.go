// Package root assembles mesosctl's command tree: command groups, global
// flags, and the hooks that load configuration before a command runs.
package root

import (
	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/build"
	"github.com/mesosctl/mesosctl/internal/cmd/dev"
	"github.com/mesosctl/mesosctl/internal/cmd/version"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
)

// Command groups, in the order help shows them.
const (
	GroupNodes  = "nodes"
	GroupAgents = "agents"
	GroupTasks  = "tasks"
	GroupDaemon = "daemon"
)

// NewCmdRoot builds the root command and every subcommand.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mesosctl <command> [flags]",
		Short: "Operate Apache Mesos agents, and run one",
		Long: `mesosctl is a toolkit for people who run Apache Mesos-style clusters.

It reaches many nodes over SSH and HTTP (run commands on node sets like
lxb00[1-4], read agent state with jq filters, change attributes and resources
safely, submit and follow tasks), and it contains a Mesos-compatible agent
daemon, 'mesosctl agentd'.`,
		Version:       build.Current().Version,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	cmd.SetVersionTemplate(build.Current().String() + "\n")
	cmd.AddGroup(
		&cobra.Group{ID: GroupNodes, Title: "Node commands:"},
		&cobra.Group{ID: GroupAgents, Title: "Agent commands:"},
		&cobra.Group{ID: GroupTasks, Title: "Task commands:"},
		&cobra.Group{ID: GroupDaemon, Title: "Daemon:"},
	)
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return cmdutil.UsageError(err)
	})

	for _, sub := range []*cobra.Command{
		version.NewCmdVersion(f, nil),
		dev.NewCmdDev(f),
	} {
		cmd.AddCommand(sub)
	}
	return cmd
}
