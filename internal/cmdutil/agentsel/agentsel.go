// Package agentsel is the agent-selection plumbing shared by the task
// commands (exec, tasks, task kill|wait|logs): the --agent, --zk and
// --master flags, the candidate agents they and the configuration give,
// and HTTP clients carrying the configured credentials.
package agentsel

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/agentclient"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/config"
	"github.com/mesosctl/mesosctl/internal/parallel"
	"github.com/mesosctl/mesosctl/internal/placement"
)

// Options are the selection flags and the injected configuration.
type Options struct {
	Agent   string // --agent NODESET
	ZK      string // --zk URL
	Master  string // --master host:port or zk://…
	Timeout time.Duration

	// User and Password are HTTP basic credentials for agent calls
	// (default: defaults.http_credentials of the config).
	User, Password string

	f *cmdutil.Factory
}

// Use gives o the factory's configuration and inventory without adding
// flags (a command that defines every flag itself).
func (o *Options) Use(f *cmdutil.Factory) { o.f = f }

// AddFlags registers --agent, --zk and --timeout (and --master unless the
// command defines its own).
func AddFlags(f *cmdutil.Factory, cmd *cobra.Command, o *Options, master bool) {
	o.f = f
	fs := cmd.Flags()
	fs.StringVar(&o.Agent, "agent", "", "only consider these nodes (a node set of the inventory, e.g. lxb00[1-4])")
	_ = cmd.RegisterFlagCompletionFunc("agent", cmdutil.NodeSetCompletion(f))
	fs.StringVar(&o.ZK, "zk", "", "ZooKeeper URL `zk://host:port/path` of agentd's registry (default: defaults.zookeeper)")
	if master {
		fs.StringVar(&o.Master, "master", "", "Mesos master `host:port` (its /slaves lists the agents) or zk://host:port/path")
	}
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Second, "timeout of each ZooKeeper and HTTP request")
}

func (o *Options) config() *config.Config {
	if o.f == nil || o.f.Config == nil {
		return nil
	}
	cfg, err := o.f.Config()
	if err != nil {
		return nil
	}
	return cfg
}

// Candidates returns the agents to consider: --agent NODESET; else --zk;
// else --master (a zk:// master is read as the registry); else
// defaults.zookeeper, defaults.master; else every inventory node.
func (o *Options) Candidates(ctx context.Context) ([]placement.Candidate, error) {
	s := placement.Sources{ZK: o.ZK, Timeout: o.Timeout}
	if o.f != nil {
		s.Inventory = o.f.Inventory
	}
	if o.Agent != "" {
		names, err := cmdutil.ExpandNodeSet(o.f, []string{o.Agent}, nil)
		if err != nil {
			return nil, err
		}
		s.Nodes = names
		return placement.Candidates(ctx, s)
	}
	master := o.Master
	if s.ZK == "" && strings.HasPrefix(master, "zk://") {
		s.ZK, master = master, ""
	}
	if s.ZK == "" && master == "" {
		if cfg := o.config(); cfg != nil {
			s.ZK, master = cfg.Defaults.ZooKeeper, cfg.Defaults.Master
		}
	}
	if s.ZK == "" {
		s.Master = master
	}
	if s.ZK == "" && s.Master == "" && !cmdutil.HasConfig(o.f) {
		return nil, cmdutil.NoConfig("no agents given (--agent NODESET, --zk zk://host:2181/mesos or --master host:5050)")
	}
	return placement.Candidates(ctx, s)
}

// Fanout is how many candidate agents to ask at once (cmdutil.Fanout).
func (o *Options) Fanout() int {
	if o.f == nil {
		return parallel.DefaultLimit
	}
	return cmdutil.Fanout(o.f)
}

// Client returns an HTTP client for a candidate agent.
func (o *Options) Client(c placement.Candidate) *agentclient.Client {
	cl := agentclient.New(c.Addr)
	cl.Timeout = o.Timeout
	user, pass := o.User, o.Password
	if user == "" {
		if cfg := o.config(); cfg != nil && cfg.Defaults.HTTPCredentials != "" {
			user, pass, _ = strings.Cut(cfg.Defaults.HTTPCredentials, ":")
		}
	}
	cl.User, cl.Password = user, pass
	return cl
}
