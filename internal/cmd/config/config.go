// Package config implements `mesosctl config init`: write a first
// configuration file (the inventory) where mesosctl looks for it.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/config"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/nodeset"
)

// NewCmdConfig builds the `config` noun.
func NewCmdConfig(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "config <command>",
		Short:   "Create mesosctl's configuration file",
		Example: "  $ mesosctl config init 'lxb00[1-4]' --zookeeper zk://zk1:2181/mesos",
	}
	cmd.AddCommand(NewCmdInit(f, nil))
	return cmd
}

// InitOptions are the inputs of `config init`.
type InitOptions struct {
	IO *iostreams.IOStreams
	// Path is where to write: --config, else $MESOSCTL_CONFIG, else
	// config.DefaultPath().
	Path      string
	Nodes     []string
	Group     string
	ZooKeeper string
	SSHUser   string
	Force     bool
}

// NewCmdInit builds `config init`; runF replaces the behaviour in tests.
func NewCmdInit(f *cmdutil.Factory, runF func(*InitOptions) error) *cobra.Command {
	opts := &InitOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "init [NODESET...]",
		Short: "Write a first configuration file with the given nodes",
		Long: `Write a configuration file where mesosctl looks for it (--config, else
$MESOSCTL_CONFIG, else ~/.config/mesosctl/config.yaml), listing the nodes of
NODESET in the group --group (default mesos-agents), with commented examples
of the other settings. Addresses, users and keys come from ssh_config and DNS
until you write them in (see docs/configuration.md). An existing file is
kept unless --force.`,
		Example: `  $ mesosctl config init 'lxb00[1-4]' --zookeeper zk://zk1:2181/mesos
  $ mesosctl --config ./cluster.yaml config init 'web[01-10]' --group web --ssh-user admin`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Path, _ = cmd.Flags().GetString("config")
			if opts.Path == "" {
				opts.Path = os.Getenv(config.EnvConfig)
			}
			if opts.Path == "" {
				opts.Path = config.DefaultPath()
			}
			if len(args) > 0 {
				names, err := nodeset.Expand(strings.Join(args, ","), nil)
				if err != nil {
					return cmdutil.UsageError(err)
				}
				opts.Nodes = names
			}
			if !nodeset.ValidName(opts.Group) {
				return cmdutil.FlagErrorf("--group %q is not a valid group name", opts.Group)
			}
			if runF != nil {
				return runF(opts)
			}
			return RunInit(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Group, "group", "mesos-agents", "put the nodes in this `group`")
	cmd.Flags().StringVar(&opts.ZooKeeper, "zookeeper", "", "defaults.zookeeper: the `zk://host:2181/path` of the agents' registry or the masters")
	cmd.Flags().StringVar(&opts.SSHUser, "ssh-user", "", "defaults.ssh_user (default: ssh_config, then $USER)")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "replace an existing file")
	return cmd
}

// RunInit writes the file.
func RunInit(o *InitOptions) error {
	if _, err := os.Stat(o.Path); err == nil && !o.Force {
		return fmt.Errorf("%s already exists: edit it, or replace it with --force", o.Path)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(o.Path), 0o700); err != nil {
		return err
	}
	// Written beside, checked with the loader every command uses, then
	// moved into place.
	tmp := o.Path + ".new"
	if err := os.WriteFile(tmp, []byte(Render(o)), 0o600); err != nil {
		return err
	}
	if _, err := config.Load(config.LoadOptions{Path: tmp}); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("the configuration for these values does not load: %v", err)
	}
	if err := os.Rename(tmp, o.Path); err != nil {
		os.Remove(tmp)
		return err
	}
	fmt.Fprintf(o.IO.ErrOut, "Wrote %s with %d node(s) in @%s. Next: mesosctl nodes\n", o.Path, len(o.Nodes), o.Group)
	if o.Path != config.DefaultPath() && os.Getenv(config.EnvConfig) != o.Path {
		fmt.Fprintf(o.IO.ErrOut, "It is not where mesosctl looks by default: export %s=%s\n", config.EnvConfig, o.Path)
	}
	return nil
}

// Render is the file's text.
func Render(o *InitOptions) string {
	q := func(s string) string { // a YAML double-quoted scalar is a JSON string
		b, _ := json.Marshal(s)
		return string(b)
	}
	var b strings.Builder
	b.WriteString("# mesosctl configuration: the inventory and the defaults (docs/configuration.md).\n")
	b.WriteString("# Written by 'mesosctl config init'. Values not written here come from\n")
	b.WriteString("# ~/.ssh/config (HostName, User, Port, IdentityFile, ProxyJump) and DNS.\n")
	b.WriteString("defaults:\n")
	if o.ZooKeeper != "" {
		fmt.Fprintf(&b, "  zookeeper: %s\n", q(o.ZooKeeper))
	} else {
		b.WriteString("  # zookeeper: zk://zk1:2181/mesos   # where agents register (mesosctl agents, tasks, exec)\n")
	}
	if o.SSHUser != "" {
		fmt.Fprintf(&b, "  ssh_user: %s\n", q(o.SSHUser))
	} else {
		b.WriteString("  # ssh_user: root\n")
	}
	b.WriteString("  # agent_port: 5051\n")
	b.WriteString("  # restart_command: systemctl restart mesos-slave\n")
	if len(o.Nodes) == 0 {
		b.WriteString("nodes: []\n")
		b.WriteString("  # - {name: lxb001, address: 10.0.0.1}\n")
	} else {
		b.WriteString("nodes:\n")
		for i, n := range o.Nodes {
			name := n
			if !nodeset.ValidName(n) {
				name = q(n)
			}
			fmt.Fprintf(&b, "  - name: %s\n", name)
			if i == 0 {
				b.WriteString("    # address: 10.0.0.1   # default: ssh_config HostName, then DNS\n")
			}
		}
	}
	b.WriteString("groups:\n")
	if len(o.Nodes) > 0 {
		fmt.Fprintf(&b, "  %s: [%s]\n", o.Group, q(nodeset.Fold(o.Nodes)))
	} else {
		fmt.Fprintf(&b, "  %s: []\n", o.Group)
	}
	return b.String()
}
