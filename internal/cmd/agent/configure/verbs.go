package configure

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/agentconfig"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/mesos"
	"github.com/mesosctl/mesosctl/internal/render"
)

const safetyHelp = `
Every node is planned first (current flag files over SSH, /state and
/version over HTTP), then changed, then checked:
  - values are validated with the Mesos grammar before anything is touched
    (a bad value exits 2 and changes nothing);
  - flag files are written atomically (temp file + mv) in the node's
    agent_config_dir (default /etc/mesos-slave), as root (sudo -n for
    non-root SSH users);
  - on agentd, an attribute-only change is applied live (no restart, same
    agent ID, tasks untouched) and the flag file is written so it persists;
  - otherwise the agent is restarted with the node's restart_command
    (default 'systemctl restart mesos-slave'); <work_dir>/meta/slaves/latest
    is cleared first only when the new values fail the node's
    --reconfiguration_policy check (that gives the agent a new ID). Clearing
    it while tasks run is refused, with the count, unless --drain (wait for
    them) or --force (orphan them);
  - the command waits for /health, reads /state and confirms the new values.
--dry-run prints the plan and changes nothing. --batch N restarts N nodes at
a time and stops after a batch with a failure. A per-node result table
follows; the exit status is 3 when any node failed.`

func changeCmd(f *cmdutil.Factory, o *Options, use, short, long, example string, args cobra.PositionalArgs,
	build func(args []string) error, runF func(*Options) error) *cobra.Command {
	cmd := &cobra.Command{
		Use: use, Short: short, Long: long, Example: example, Args: args,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Context = cmd.Context()
			if err := build(args); err != nil {
				return err
			}
			if err := o.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return o.run()
		},
		ValidArgsFunction: cmdutil.NodeSetCompletion(f),
	}
	addSSHFlags(f, cmd, o)
	return cmd
}

// NewCmdSetAttributes builds `agent set-attributes`.
func NewCmdSetAttributes(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := newOptions(f)
	var replace bool
	var remove []string
	cmd := changeCmd(f, o, "set-attributes NODESET [KEY:VALUE...]", "Change agent attributes on a node set (live on agentd)",
		`Set agent attributes on every node of NODESET.

KEY:VALUE pairs (or one 'k1:v1;k2:v2' argument) are merged into the
current attributes: a given key replaces that attribute, new keys are
added, the others stay. --replace makes the given pairs the whole set;
--remove KEY drops an attribute.
`+safetyHelp,
		`  $ mesosctl agent set-attributes 'lxb00[1-4]' os:centos7 rack:3
  $ mesosctl agent set-attributes lxb001 --remove rack --dry-run
  $ mesosctl agent set-attributes @mesos-agents --replace 'os:centos7;zone:b' --batch 2`,
		cmdutil.MinimumArgs(1, "give a NODESET and KEY:VALUE attributes"), func(args []string) error {
			o.NodeArgs = args[:1]
			text := strings.Join(args[1:], ";")
			set, err := mesos.ParseAttributes(text)
			if err != nil {
				return cmdutil.FlagErrorf("bad attributes %q: %v (write KEY:VALUE, e.g. os:centos7 rack:3)", text, err)
			}
			if len(set) == 0 && len(remove) == 0 && !replace {
				return cmdutil.FlagErrorf("nothing to change: give KEY:VALUE attributes or --remove KEY")
			}
			for _, k := range remove {
				if k == "" || strings.ContainsAny(k, ":; ") {
					return cmdutil.FlagErrorf("--remove takes an attribute name, not %q", k)
				}
			}
			e := agentconfig.Edit{Flag: "attributes"}
			if replace {
				if len(remove) > 0 {
					return cmdutil.FlagErrorf("--replace and --remove cannot be combined: --replace already drops every attribute not given")
				}
				e.Value = set.String()
			} else {
				e.Modify = func(old string) (string, error) { return agentconfig.MergeAttributes(old, set, remove) }
			}
			o.Request.Edits = []agentconfig.Edit{e}
			return nil
		}, runF)
	cmd.Flags().BoolVar(&replace, "replace", false, "make the given attributes the whole set")
	cmd.Flags().StringArrayVar(&remove, "remove", nil, "remove attribute `KEY` (repeatable)")
	cmd.Flags().BoolVar(&o.Request.NoLive, "restart", false, "restart even when agentd could take the change live")
	addChangeFlags(cmd, o)
	render.AddOutputFlags(cmd, &o.Output)
	return cmd
}

// NewCmdSetResources builds `agent set-resources`.
func NewCmdSetResources(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := newOptions(f)
	cmd := changeCmd(f, o, "set-resources NODESET RESOURCES", "Change the agent --resources on a node set",
		`Replace the agent --resources flag file on every node of NODESET with
RESOURCES (Mesos syntax: 'cpus:24;mem:122880;disk:409600;ports:[31000-32000]').
Resources not named keep their auto-detected values.
`+safetyHelp,
		`  $ mesosctl agent set-resources 'lxb00[1-4]' 'cpus:24;mem:122880'
  $ mesosctl agent set-resources lxb001 'cpus:8;mem(ads):1024' --dry-run`,
		cobra.ExactArgs(2), func(args []string) error {
			o.NodeArgs = args[:1]
			if err := agentconfig.ValidateFlag("resources", args[1]); err != nil {
				return cmdutil.FlagErrorf("%v", err)
			}
			o.Request.Edits = []agentconfig.Edit{{Flag: "resources", Value: args[1]}}
			return nil
		}, runF)
	addChangeFlags(cmd, o)
	render.AddOutputFlags(cmd, &o.Output)
	return cmd
}

// NewCmdSetContainerizers builds `agent set-containerizers`.
func NewCmdSetContainerizers(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := newOptions(f)
	cmd := changeCmd(f, o, "set-containerizers NODESET LIST", "Change the agent --containerizers on a node set",
		`Write the agent --containerizers flag file (a comma list of mesos, docker)
on every node of NODESET and restart the agents.
`+safetyHelp,
		`  $ mesosctl agent set-containerizers 'lxb00[1-4]' mesos,docker --batch 1`,
		cobra.ExactArgs(2), func(args []string) error {
			o.NodeArgs = args[:1]
			if err := agentconfig.ValidateFlag("containerizers", args[1]); err != nil {
				return cmdutil.FlagErrorf("%v", err)
			}
			o.Request.Edits = []agentconfig.Edit{{Flag: "containerizers", Value: args[1]}}
			return nil
		}, runF)
	addChangeFlags(cmd, o)
	render.AddOutputFlags(cmd, &o.Output)
	return cmd
}

// NewCmdRestart builds `agent restart`.
func NewCmdRestart(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := newOptions(f)
	cmd := changeCmd(f, o, "restart NODESET", "Restart the agents of a node set and wait until they are healthy",
		`Run each node's restart_command (default 'systemctl restart mesos-slave'),
wait for /health and for /state from the new agent process, and check
the agent kept its ID (its tasks are recovered). --batch N restarts N nodes
at a time and stops after a batch with a failure. An agent that is down is
started.`,
		`  $ mesosctl agent restart 'lxb00[1-4]' --batch 1`,
		cobra.ExactArgs(1), func(args []string) error {
			o.NodeArgs = args
			o.Request.Restart = true
			return nil
		}, runF)
	addChangeFlags(cmd, o)
	_ = cmd.Flags().MarkHidden("force")
	_ = cmd.Flags().MarkHidden("drain")
	_ = cmd.Flags().MarkHidden("drain-timeout")
	render.AddOutputFlags(cmd, &o.Output)
	return cmd
}

// NewCmdClearLatest builds `agent clear-latest`.
func NewCmdClearLatest(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := newOptions(f)
	cmd := changeCmd(f, o, "clear-latest NODESET", "Clear meta/slaves/latest and restart: the agents start with a new ID",
		`Remove <work_dir>/meta/slaves/latest on every node of NODESET and restart
the agent, which then registers with a new agent ID and no longer recovers
its old executors. Refused, with the count, on a node with running tasks
unless --drain (wait until they finish, at most --drain-timeout) or --force
(orphan them). Waits for /health and checks the agent ID changed.`,
		`  $ mesosctl agent clear-latest lxb001 --dry-run
  $ mesosctl agent clear-latest 'lxb00[1-4]' --drain --drain-timeout 30m --batch 1`,
		cobra.ExactArgs(1), func(args []string) error {
			o.NodeArgs = args
			o.Request.ClearLatest = true
			return nil
		}, runF)
	addChangeFlags(cmd, o)
	render.AddOutputFlags(cmd, &o.Output)
	return cmd
}
