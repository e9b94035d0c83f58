package configure

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/agentconfig"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/parallel"
	"github.com/mesosctl/mesosctl/internal/render"
)

// NewCmdConfig builds `agent config get|set|unset`.
func NewCmdConfig(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config <command>",
		Short: "Read and change any agent flag file on a node set",
		Long: `Read and change the agent's flag files (one file per flag, named after the
flag, in the node's agent_config_dir, default /etc/mesos-slave: the
mesos-init-wrapper convention that agentd also reads).`,
		Example: `  $ mesosctl agent config get 'lxb00[1-4]' containerizers
  $ mesosctl agent config set lxb001 executor_registration_timeout=5mins --dry-run
  $ mesosctl agent config unset lxb001 containerizers`,
	}
	cmd.AddCommand(NewCmdConfigGet(f, nil), NewCmdConfigSet(f, nil), NewCmdConfigUnset(f, nil))
	return cmd
}

func flagNames(names []string) error {
	for _, n := range names {
		if err := agentconfig.ValidateFlag(n, ""); err != nil && strings.Contains(err.Error(), "not an agent flag name") {
			return cmdutil.FlagErrorf("%v", err)
		}
	}
	return nil
}

// NewCmdConfigSet builds `agent config set`.
func NewCmdConfigSet(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := newOptions(f)
	cmd := changeCmd(f, o, "set NODESET FLAG=VALUE...", "Write agent flag files, restart, verify",
		`Write FLAG=VALUE into the agent's flag files on every node of NODESET.
`+safetyHelp,
		`  $ mesosctl agent config set 'lxb00[1-4]' executor_registration_timeout=5mins
  $ mesosctl agent config set lxb001 reconfiguration_policy=additive --dry-run`,
		cmdutil.MinimumArgs(2, "give a NODESET and FLAG=VALUE pairs"), func(args []string) error {
			o.NodeArgs = args[:1]
			o.Request.Edits = nil
			seen := map[string]bool{}
			for _, a := range args[1:] {
				name, value, ok := strings.Cut(a, "=")
				name = strings.TrimPrefix(name, "--")
				if !ok {
					return cmdutil.FlagErrorf("%q: write FLAG=VALUE (use 'agent config unset' to remove a flag)", a)
				}
				if err := agentconfig.ValidateFlag(name, value); err != nil {
					return cmdutil.FlagErrorf("%v", err)
				}
				if seen[name] {
					return cmdutil.FlagErrorf("flag %s given twice", name)
				}
				seen[name] = true
				o.Request.Edits = append(o.Request.Edits, agentconfig.Edit{Flag: name, Value: value})
			}
			return nil
		}, runF)
	addChangeFlags(cmd, o)
	render.AddOutputFlags(cmd, &o.Output)
	return cmd
}

// NewCmdConfigUnset builds `agent config unset`.
func NewCmdConfigUnset(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := newOptions(f)
	cmd := changeCmd(f, o, "unset NODESET FLAG...", "Remove agent flag files (back to the default), restart, verify",
		`Remove the flag files of FLAG on every node of NODESET, so the agent's
default applies after the restart.
`+safetyHelp,
		`  $ mesosctl agent config unset lxb001 containerizers`,
		cmdutil.MinimumArgs(2, "give a NODESET and FLAG names"), func(args []string) error {
			o.NodeArgs = args[:1]
			o.Request.Edits = nil
			for _, n := range args[1:] {
				n = strings.TrimPrefix(n, "--")
				if err := flagNames([]string{n}); err != nil {
					return err
				}
				o.Request.Edits = append(o.Request.Edits, agentconfig.Edit{Flag: n, Unset: true})
			}
			return nil
		}, runF)
	addChangeFlags(cmd, o)
	render.AddOutputFlags(cmd, &o.Output)
	return cmd
}

// NewCmdConfigGet builds `agent config get`.
func NewCmdConfigGet(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := newOptions(f)
	var names []string
	cmd := changeCmd(f, o, "get NODESET FLAG...", "Show agent flag files and the running agent's values",
		`Show, per node and FLAG, the content of the flag file and the value the
running agent reports in /flags (they differ when the file was changed
without a restart, or when the command line or environment sets the flag).`,
		`  $ mesosctl agent config get 'lxb00[1-4]' attributes resources`,
		cmdutil.MinimumArgs(2, "give a NODESET and FLAG names"), func(args []string) error {
			o.NodeArgs = args[:1]
			names = nil
			for _, n := range args[1:] {
				names = append(names, strings.TrimPrefix(n, "--"))
			}
			return flagNames(names)
		}, func(o *Options) error {
			if runF != nil {
				return runF(o)
			}
			return runGet(o, names)
		})
	render.AddOutputFlags(cmd, &o.Output)
	return cmd
}

func runGet(o *Options, names []string) error {
	ctx := o.Context
	if ctx == nil {
		ctx = context.Background()
	}
	targets, sel, closeSSH, err := o.targets(ctx)
	if err != nil {
		return err
	}
	if sel.Empty() {
		return sel.Err(nil)
	}
	defer closeSSH()
	per := make([][]agentconfig.FlagValue, len(targets))
	errs := make([]error, len(targets))
	_ = parallel.Each(ctx, o.Fanout, len(targets), func(ctx context.Context, i int) {
		per[i], errs[i] = agentconfig.Get(ctx, targets[i], names)
	})
	all := []agentconfig.FlagValue{}
	t := &render.Table{Headers: []string{"node", "flag", "file", "running"}}
	for i := range targets {
		for _, v := range per[i] {
			all = append(all, v)
			file, run := v.File, v.Running
			if !v.FileExists {
				file = "(no file)"
			}
			if !v.RunningKnown {
				run = "(unset)"
			}
			t.AddRow(v.Node, v.Flag, file, run)
		}
	}
	if err := o.Output.Print(o.IO, all, t); err != nil {
		return err
	}
	failed := 0
	for i, err := range errs {
		if err != nil {
			failed++
			fmt.Fprintf(o.IO.ErrOut, "%s: %v\n", targets[i].Name, err)
		}
	}
	if failed > 0 {
		return sel.Err(&cmdutil.PartialError{Failed: failed, Total: len(targets)})
	}
	return sel.Err(nil)
}
