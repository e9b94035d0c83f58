// Package root assembles mesosctl's command tree: command groups, global
// flags, and the hooks that load configuration before a command runs.
package root

import (
	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/build"
	"github.com/mesosctl/mesosctl/internal/cmd/agent"
	agentdcmd "github.com/mesosctl/mesosctl/internal/cmd/agentd"
	agentscmd "github.com/mesosctl/mesosctl/internal/cmd/agents"
	"github.com/mesosctl/mesosctl/internal/cmd/completion"
	"github.com/mesosctl/mesosctl/internal/cmd/containerizer"
	"github.com/mesosctl/mesosctl/internal/cmd/cp"
	"github.com/mesosctl/mesosctl/internal/cmd/dockerexecutor"
	"github.com/mesosctl/mesosctl/internal/cmd/ex"
	execcmd "github.com/mesosctl/mesosctl/internal/cmd/exec"
	"github.com/mesosctl/mesosctl/internal/cmd/executor"
	"github.com/mesosctl/mesosctl/internal/cmd/ip"
	"github.com/mesosctl/mesosctl/internal/cmd/login"
	"github.com/mesosctl/mesosctl/internal/cmd/nodes"
	nodesetcmd "github.com/mesosctl/mesosctl/internal/cmd/nodeset"
	"github.com/mesosctl/mesosctl/internal/cmd/task"
	taskscmd "github.com/mesosctl/mesosctl/internal/cmd/tasks"
	treecmd "github.com/mesosctl/mesosctl/internal/cmd/tree"
	"github.com/mesosctl/mesosctl/internal/cmd/version"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/config"
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
		Example: `  $ mesosctl nodes
  $ NODES='lxb00[1-4]' mesosctl ip
  $ mesosctl nodeset -f lxb001 lxb002 lxb003`,
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
	cmd.PersistentFlags().String("config", "", "configuration file (default $XDG_CONFIG_HOME/mesosctl/config.yaml, or $MESOSCTL_CONFIG)")
	// Config is loaded lazily by the commands that need it; this hook only
	// records where it comes from and which flags override it. Subcommands
	// may add PersistentPreRunE hooks of their own: run the root's too.
	cobra.EnableTraverseRunHooks = true
	cmd.PersistentPreRunE = func(c *cobra.Command, args []string) error {
		path, _ := c.Flags().GetString("config")
		f.ConfigOptions = config.LoadOptions{Path: path, Flags: c.Flags()}
		return nil
	}
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return cmdutil.UsageError(err)
	})

	for _, sub := range []*cobra.Command{
		version.NewCmdVersion(f, nil),
		agentdcmd.NewCmdAgentd(f, nil),
		agentscmd.NewCmdAgents(f, nil),
		containerizer.NewCmdContainerizer(f),
		executor.NewCmdExecutor(f),
		dockerexecutor.NewCmdDockerExecutor(f),
		nodesetcmd.NewCmdNodeset(f, nil),
		nodes.NewCmdNodes(f, nil),
		ip.NewCmdIP(f, nil),
		ip.NewCmdName(f, nil),
		completion.NewCmdCompletion(f, nil),
		ex.NewCmdEx(f, nil),
		cp.NewCmdCp(f, nil),
		cp.NewCmdRcp(f, nil),
		execcmd.NewCmdExec(f, nil),
		taskscmd.NewCmdTasks(f, nil),
		task.NewCmdTask(f),
		treecmd.NewCmdTree(f, nil),
		login.NewCmdLogin(f, nil),
		agent.NewCmdAgent(f),
	} {
		cmd.AddCommand(sub)
	}
	UsageArgs(cmd)
	return cmd
}

// UsageArgs makes positional-argument errors of cmd and its subcommands
// (cobra.ExactArgs and friends) usage errors, so that they exit 2 like bad
// flags.
func UsageArgs(cmd *cobra.Command) {
	if orig := cmd.Args; orig != nil {
		cmd.Args = func(c *cobra.Command, args []string) error {
			return cmdutil.UsageError(orig(c, args))
		}
	}
	for _, sub := range cmd.Commands() {
		UsageArgs(sub)
	}
}
