// Package root assembles mesosctl's command tree: command groups, global
// flags, and the hooks that load configuration before a command runs.
package root

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mesosctl/mesosctl/internal/build"
	"github.com/mesosctl/mesosctl/internal/cmd/agent"
	agentdcmd "github.com/mesosctl/mesosctl/internal/cmd/agentd"
	agentscmd "github.com/mesosctl/mesosctl/internal/cmd/agents"
	"github.com/mesosctl/mesosctl/internal/cmd/completion"
	configcmd "github.com/mesosctl/mesosctl/internal/cmd/config"
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
	sshmuxcmd "github.com/mesosctl/mesosctl/internal/cmd/sshmux"
	"github.com/mesosctl/mesosctl/internal/cmd/task"
	taskscmd "github.com/mesosctl/mesosctl/internal/cmd/tasks"
	treecmd "github.com/mesosctl/mesosctl/internal/cmd/tree"
	"github.com/mesosctl/mesosctl/internal/cmd/version"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/config"
	"github.com/mesosctl/mesosctl/internal/suggest"
)

// Command groups, in the order help shows them.
const (
	GroupNodes  = "nodes"
	GroupAgents = "agents"
	GroupTasks  = "tasks"
	GroupDaemon = "daemon"
)

// NewCmdRoot builds the root command and every subcommand.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command { return newCmdRoot(f, nil) }

// NewCmdRootFor builds what running args (os.Args without the program name)
// needs: when args[0] names a subcommand, the root with only that one under
// it, otherwise the whole tree. Building the whole tree (every command's
// flags, agentd's Mesos flag table) was ≈ 10 % of a start's CPU; running a
// subcommand reads only its own branch and the root's persistent flags, so
// its behaviour, help and errors are the same (TestRootForMatchesFullTree).
// help, completion and cobra's __complete read the whole tree and get it.
func NewCmdRootFor(f *cmdutil.Factory, args []string) *cobra.Command {
	if len(args) > 0 {
		for _, sub := range subcommands {
			if sub.wholeTree {
				continue
			}
			for _, name := range sub.names {
				if args[0] == name {
					return newCmdRoot(f, sub)
				}
			}
		}
	}
	return newCmdRoot(f, nil)
}

// subcommand is one command under the root: the names it answers to (its
// Name and Aliases; TestSubcommandNames checks them against the built
// command) and how to build it.
type subcommand struct {
	names     []string
	wholeTree bool // it reads the whole tree (completion scripts)
	build     func(*cmdutil.Factory) *cobra.Command
}

// subcommands in the order they are added to the root.
var subcommands = []*subcommand{
	{names: []string{"version"}, build: func(f *cmdutil.Factory) *cobra.Command { return version.NewCmdVersion(f, nil) }},
	{names: []string{"agentd"}, build: func(f *cmdutil.Factory) *cobra.Command { return agentdcmd.NewCmdAgentd(f, nil) }},
	{names: []string{"agents"}, build: func(f *cmdutil.Factory) *cobra.Command { return agentscmd.NewCmdAgents(f, nil) }},
	{names: []string{"containerizer"}, build: containerizer.NewCmdContainerizer},
	{names: []string{"executor"}, build: executor.NewCmdExecutor},
	{names: []string{"docker-executor"}, build: dockerexecutor.NewCmdDockerExecutor},
	{names: []string{"nodeset"}, build: func(f *cmdutil.Factory) *cobra.Command { return nodesetcmd.NewCmdNodeset(f, nil) }},
	{names: []string{"nodes"}, build: func(f *cmdutil.Factory) *cobra.Command { return nodes.NewCmdNodes(f, nil) }},
	{names: []string{"ip"}, build: func(f *cmdutil.Factory) *cobra.Command { return ip.NewCmdIP(f, nil) }},
	{names: []string{"name"}, build: func(f *cmdutil.Factory) *cobra.Command { return ip.NewCmdName(f, nil) }},
	{names: []string{"completion"}, wholeTree: true, build: func(f *cmdutil.Factory) *cobra.Command { return completion.NewCmdCompletion(f, nil) }},
	{names: []string{"config"}, build: configcmd.NewCmdConfig},
	{names: []string{"ex"}, build: func(f *cmdutil.Factory) *cobra.Command { return ex.NewCmdEx(f, nil) }},
	{names: []string{"cp"}, build: func(f *cmdutil.Factory) *cobra.Command { return cp.NewCmdCp(f, nil) }},
	{names: []string{"rcp"}, build: func(f *cmdutil.Factory) *cobra.Command { return cp.NewCmdRcp(f, nil) }},
	{names: []string{"exec", "execute"}, build: func(f *cmdutil.Factory) *cobra.Command { return execcmd.NewCmdExec(f, nil) }},
	{names: []string{"mesos-execute"}, build: func(f *cmdutil.Factory) *cobra.Command { return execcmd.NewCmdMesosExecute(f, nil) }},
	{names: []string{"tasks"}, build: func(f *cmdutil.Factory) *cobra.Command { return taskscmd.NewCmdTasks(f, nil) }},
	{names: []string{"task"}, build: task.NewCmdTask},
	{names: []string{"tree"}, build: func(f *cmdutil.Factory) *cobra.Command { return treecmd.NewCmdTree(f, nil) }},
	{names: []string{"login"}, build: func(f *cmdutil.Factory) *cobra.Command { return login.NewCmdLogin(f, nil) }},
	{names: []string{"ssh-mux"}, build: sshmuxcmd.NewCmdSSHMux},
	{names: []string{"agent"}, build: agent.NewCmdAgent},
}

func newCmdRoot(f *cmdutil.Factory, only *subcommand) *cobra.Command {
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
		return cmdutil.UsageError(flagHint(c, err))
	})

	for _, sub := range subcommands {
		if only == nil || sub == only {
			cmd.AddCommand(sub.build(f))
		}
	}
	cmd.SetHelpCommand(newCmdHelp())
	UsageArgs(cmd)
	Groups(cmd)
	return cmd
}

// newCmdHelp is cobra's `help [command]`, except that a topic that is not a
// command is an error (exit 2) rather than the root's help.
func newCmdHelp() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Long:  "Help provides help for any command in the application.\nSimply type mesosctl help [path to command] for full details.",
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			target, _, err := c.Root().Find(args)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []string
			for _, sub := range target.Commands() {
				if sub.IsAvailableCommand() && strings.HasPrefix(sub.Name(), toComplete) {
					out = append(out, sub.Name()+"\t"+sub.Short)
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := c.Root().Find(args)
			if err != nil || len(rest) > 0 {
				var names []string
				if target != nil {
					for _, sub := range target.Commands() {
						if sub.IsAvailableCommand() {
							names = append(names, sub.Name())
						}
					}
				}
				typed := args[len(args)-1]
				if len(rest) > 0 {
					typed = rest[0]
				}
				return cmdutil.FlagErrorf("unknown help topic %q%s", strings.Join(args, " "), didYouMean(suggest.Words(typed, names)))
			}
			return target.Help()
		},
	}
}

// Groups makes every command that only groups others (mesosctl itself,
// agent, agent config, task) refuse what is not one of its subcommands, as
// git does: `mesosctl agent bogus` is an unknown command (exit 2, with
// "Did you mean this?" when one is close), and a bare `mesosctl agent`
// prints its help on stderr and exits 2. `--help` prints it on stdout and
// exits 0.
func Groups(cmd *cobra.Command) {
	if cmd.HasSubCommands() && !cmd.Runnable() {
		cmd.Args = cobra.ArbitraryArgs
		cmd.RunE = runGroup
		cmd.SuggestionsMinimumDistance = suggest.MaxDistance
		// Runnable now, a group would show both its use line and
		// "<path> [command]": keep the latter only.
		cmd.SetUsageTemplate(strings.Replace(cmd.UsageTemplate(),
			"{{if .Runnable}}\n  {{.UseLine}}{{end}}", "{{if and .Runnable (not .HasAvailableSubCommands)}}\n  {{.UseLine}}{{end}}", 1))
	}
	for _, sub := range cmd.Commands() {
		Groups(sub)
	}
}

func runGroup(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return cmdutil.FlagErrorf("unknown command %q for %q%s", args[0], c.CommandPath(), didYouMean(c.SuggestionsFor(args[0])))
	}
	c.SetOut(c.ErrOrStderr())
	_ = c.Help()
	return cmdutil.ExitStatus(int(cmdutil.ExitUsage))
}

func didYouMean(words []string) string {
	if len(words) == 0 {
		return ""
	}
	return "\n\nDid you mean this?\n\t" + strings.Join(words, "\n\t") + "\n"
}

// flagHint adds "Did you mean this?" to an unknown flag error when one of
// the command's flags is close: "unknown flag: --stat" → --state.
func flagHint(c *cobra.Command, err error) error {
	msg := err.Error()
	name, ok := strings.CutPrefix(msg, "unknown flag: --")
	if !ok {
		return err
	}
	var names []string
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	})
	c.InheritedFlags().VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
	words := suggest.Words(name, names)
	for i := range words {
		words[i] = "--" + words[i]
	}
	if len(words) == 0 {
		return err
	}
	return fmt.Errorf("%s%s", msg, didYouMean(words))
}

// UsageArgs makes positional-argument errors of cmd and its subcommands
// (cobra.ExactArgs and friends) usage errors, so that they exit 2 like bad
// flags, and adds the command's usage line to them.
func UsageArgs(cmd *cobra.Command) {
	if orig := cmd.Args; orig != nil {
		cmd.Args = func(c *cobra.Command, args []string) error {
			if err := orig(c, args); err != nil {
				return &cmdutil.FlagError{Err: fmt.Errorf("%v\nUsage: %s", err, c.UseLine())}
			}
			return nil
		}
	}
	for _, sub := range cmd.Commands() {
		UsageArgs(sub)
	}
}
