// Package agents implements `mesosctl agents`: the live agents of a
// cluster, from agentd's ZooKeeper registry and/or a Mesos master's /slaves.
package agents

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	gozk "github.com/go-zookeeper/zk"
	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/agentclient"
	"github.com/mesosctl/mesosctl/internal/build"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/inventory"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/parallel"
	"github.com/mesosctl/mesosctl/internal/render"
	"github.com/mesosctl/mesosctl/internal/zk"
)

// Options are the inputs of `mesosctl agents`.
type Options struct {
	IO     *iostreams.IOStreams
	Config func() (string, time.Duration, error) // zookeeper URL and timeout from the config file
	Fanout func() int                            // how many agents to ask at once (cmdutil.Fanout)
	// HasConfig reports whether a configuration file was found.
	HasConfig func() bool
	// Expected returns the nodes that should run an agent: NODESET
	// arguments, else every inventory node (none without an inventory).
	Expected func(args []string) ([]inventory.Node, error)
	NodeArgs []string
	ZK       string
	Master   string
	Timeout  time.Duration
	Output   render.Options
}

// Agent is one row of the output (its JSON form with -o json).
type Agent struct {
	ID       string `json:"id"`
	Hostname string `json:"hostname"`
	Address  string `json:"address"`
	Source   string `json:"source"` // zookeeper, master, or inventory (found by asking the node)
	// Status is up (the agent answers /state), unreachable (registered,
	// but /state fails) or down (an expected node whose agent is neither
	// registered nor answering).
	Status        string          `json:"status"`
	Resources     json.RawMessage `json:"resources"`
	UsedResources json.RawMessage `json:"used_resources"`
	Attributes    json.RawMessage `json:"attributes"`
	Tasks         *int            `json:"tasks"`
	Version       string          `json:"version,omitempty"`
	// AgentdVersion is the mesosctl version of an agentd ("" for a Mesos agent).
	AgentdVersion string `json:"agentd_version,omitempty"`
	Error         string `json:"error,omitempty"`
}

// NewCmdAgents builds the command; runF replaces the behaviour in tests.
func NewCmdAgents(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	opts.Config = func() (string, time.Duration, error) {
		if f.Config == nil {
			return "", 0, nil
		}
		cfg, err := f.Config()
		if err != nil {
			return "", 0, err
		}
		return cfg.Defaults.ZooKeeper, cfg.Defaults.ConnectTimeout, nil
	}
	opts.Fanout = func() int { return cmdutil.Fanout(f) }
	opts.HasConfig = func() bool { return cmdutil.HasConfig(f) }
	opts.Expected = func(args []string) ([]inventory.Node, error) {
		inv, err := f.Inventory()
		if err != nil {
			return nil, err
		}
		names := inv.Names()
		if len(args) > 0 {
			if names, err = cmdutil.ExpandNodeSet(f, args, nil); err != nil {
				return nil, err
			}
		}
		out := make([]inventory.Node, len(names))
		for i, n := range names {
			if out[i], err = inv.Node(n); err != nil {
				return nil, cmdutil.UsageError(err)
			}
		}
		return out, nil
	}
	cmd := &cobra.Command{
		Use:   "agents [NODESET]",
		Short: "List the agents (from ZooKeeper, a Mesos master, or the inventory), and those that are down",
		Long: `List the agents of a cluster, and the nodes whose agent is down.

Agents come from agentd's ZooKeeper registry (<path>/agents/<agent_id>) and,
when a Mesos master is leading (a json.info_* znode under the same path) or
--master is given, from the master's /slaves endpoint. The ZooKeeper URL is
--zk or defaults.zookeeper of the mesosctl config.

Every node of NODESET (default: every inventory node) is expected to run an
agent: a node no agent above runs on is asked directly (GET /state on its
agent_port); one that does not answer is listed with STATUS down and the
reason on stderr. A registered agent whose /state fails is unreachable.
Either makes the exit status 3.`,
		Example: `  $ mesosctl agents
  $ mesosctl agents --zk zk://127.0.0.1:2181/mesos
  $ mesosctl agents @mesos-agents --master 10.0.0.1:5050 -o json
  $ mesosctl agents --jq '.[] | select(.status != "up") | .hostname' -r`,
		GroupID: "agents",
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.NodeArgs = args
			if err := opts.Output.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.ZK, "zk", "", "ZooKeeper URL `zk://host:port[,host:port]/path` (default: defaults.zookeeper)")
	cmd.Flags().StringVar(&opts.Master, "master", "", "Mesos master `host:port` to read /slaves from")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 10*time.Second, "timeout for ZooKeeper and HTTP requests")
	render.AddOutputFlags(cmd, &opts.Output)
	return cmd
}

// Run lists the agents.
func Run(ctx context.Context, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	zkURL := opts.ZK
	if zkURL == "" && opts.Master == "" && opts.Config != nil {
		u, _, err := opts.Config()
		if err != nil {
			return err
		}
		zkURL = u
	}
	var expected []inventory.Node
	if opts.Expected != nil && (len(opts.NodeArgs) > 0 || opts.HasConfig == nil || opts.HasConfig()) {
		var err error
		if expected, err = opts.Expected(opts.NodeArgs); err != nil {
			return err
		}
	}
	if zkURL == "" && opts.Master == "" && len(expected) == 0 {
		if opts.HasConfig != nil && !opts.HasConfig() {
			return cmdutil.NoConfig("no cluster given (--zk zk://host:2181/mesos or --master host:5050)")
		}
		return cmdutil.FlagErrorf("no cluster given: use --zk zk://host:2181/mesos, --master host:5050, or set defaults.zookeeper in the config")
	}
	var agents []Agent
	master := opts.Master
	if zkURL != "" {
		u, err := zk.ParseURL(zkURL)
		if err != nil {
			return cmdutil.FlagErrorf("--zk: %v", err)
		}
		conn, _, err := zk.Connect(u, opts.Timeout, nil)
		if err != nil {
			return fmt.Errorf("cannot connect to ZooKeeper %s: %v", strings.Join(u.Servers, ","), err)
		}
		entries, err := zkAgents(ctx, conn, u.Path, opts.Timeout)
		if err == nil && master == "" {
			if mi, merr := zk.DetectMaster(conn, u.Path); merr == nil {
				master = mi.HostPort()
			}
		}
		conn.Close()
		if err != nil {
			return fmt.Errorf("ZooKeeper %s: %v", zkURL, err)
		}
		fanout := 0
		if opts.Fanout != nil {
			fanout = opts.Fanout()
		}
		agents = fillFromAgents(ctx, entries, opts.Timeout, fanout)
	}
	fanout := 0
	if opts.Fanout != nil {
		fanout = opts.Fanout()
	}
	if master != "" {
		fromMaster, err := masterAgents(ctx, master, opts.Timeout)
		if err != nil {
			return err
		}
		seen := map[string]int{}
		for i, a := range agents {
			seen[a.ID] = i
		}
		for _, a := range fromMaster {
			if i, ok := seen[a.ID]; ok {
				a.Tasks = agents[i].Tasks
				agents[i] = a
			} else {
				agents = append(agents, a)
			}
		}
	}
	agents = append(agents, missing(ctx, agents, expected, zkURL != "", opts.Timeout, fanout)...)
	sort.Slice(agents, func(i, j int) bool {
		if agents[i].Hostname != agents[j].Hostname {
			return agents[i].Hostname < agents[j].Hostname
		}
		return agents[i].ID < agents[j].ID
	})
	if agents == nil {
		agents = []Agent{}
	}
	if len(agents) == 0 && !opts.Output.IsStructured() {
		fmt.Fprintln(opts.IO.ErrOut, "no live agents found")
		return nil
	}
	if err := opts.Output.Print(opts.IO, agents, table(agents)); err != nil {
		return err
	}
	warnVersions(opts.IO.ErrOut, agents, build.Current().Version)
	failed := 0
	for _, a := range agents {
		if a.Error != "" {
			failed++
			fmt.Fprintf(opts.IO.ErrOut, "%s (%s): %s: %s\n", a.Hostname, a.Address, a.Status, a.Error)
		}
	}
	if failed > 0 {
		return &cmdutil.PartialError{Failed: failed, Total: len(agents)}
	}
	return nil
}

// zkAgents lists registry entries, bounded by timeout (the ZooKeeper
// client queues requests while it is still connecting).
func zkAgents(ctx context.Context, conn *gozk.Conn, path string, timeout time.Duration) ([]zk.AgentEntry, error) {
	type result struct {
		e   []zk.AgentEntry
		err error
	}
	ch := make(chan result, 1)
	go func() {
		e, err := zk.ListAgents(conn, path)
		ch <- result{e, err}
	}()
	select {
	case r := <-ch:
		return r.e, r.err
	case <-time.After(timeout):
		return nil, fmt.Errorf("no answer within %s (is ZooKeeper up?)", timeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// fillFromAgents turns registry entries into rows, asking every agent's
// /state (at most fanout at once) for used resources and task counts.
func fillFromAgents(ctx context.Context, entries []zk.AgentEntry, timeout time.Duration, fanout int) []Agent {
	out := make([]Agent, len(entries))
	for i, e := range entries {
		addr := e.Address.IP
		if addr == "" {
			addr = e.Hostname
		}
		out[i] = Agent{ID: e.ID, Hostname: e.Hostname, Address: addr + ":" + strconv.Itoa(e.Port),
			Source: "zookeeper", Resources: e.Resources, Attributes: e.Attributes, Version: e.Version}
	}
	_ = parallel.Each(ctx, fanout, len(out), func(ctx context.Context, i int) {
		a := &out[i]
		c := agentclient.New(a.Address)
		c.Timeout = timeout
		st, err := c.StateTyped(ctx)
		if err != nil {
			a.Status, a.Error = "unreachable", err.Error()
			return
		}
		a.Status = "up"
		a.UsedResources = st.UnreservedResourcesAllocated
		n := 0
		for _, f := range st.Frameworks {
			for _, ex := range f.Executors {
				n += len(ex.Tasks)
			}
		}
		a.Tasks = &n
		if v, err := c.Version(ctx); err == nil {
			a.AgentdVersion = agentclient.AgentdVersion(v)
		}
	})
	return out
}

// masterAgents reads a Mesos master's /slaves.
func masterAgents(ctx context.Context, master string, timeout time.Duration) ([]Agent, error) {
	c := agentclient.New(master)
	c.Timeout = timeout
	slaves, err := c.Slaves(ctx)
	if err != nil {
		return nil, fmt.Errorf("master %s: %v", master, err)
	}
	var out []Agent
	for _, s := range slaves {
		out = append(out, Agent{ID: s.ID, Hostname: s.Hostname, Address: s.Addr(), Source: "master", Status: "up",
			Resources: s.Resources, UsedResources: s.UsedResources, Attributes: s.Attributes, Version: s.Version})
	}
	return out, nil
}

func scalar(raw json.RawMessage, name string) (float64, bool) {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return 0, false
	}
	v, ok := m[name].(float64)
	return v, ok
}

func usedTotal(a Agent, name string) string {
	total, ok := scalar(a.Resources, name)
	if !ok {
		return "-"
	}
	used, uok := scalar(a.UsedResources, name)
	u := "-"
	if uok {
		u = strconv.FormatFloat(used, 'f', -1, 64)
	}
	return u + "/" + strconv.FormatFloat(total, 'f', -1, 64)
}

func attributes(raw json.RawMessage) string {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil || len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s:%v", k, m[k])
	}
	return strings.Join(parts, ";")
}

func table(agents []Agent) *render.Table {
	t := &render.Table{Headers: []string{"id", "hostname", "address", "status", "cpus", "mem", "disk", "attributes", "tasks"}}
	for _, a := range agents {
		tasks := "-"
		if a.Tasks != nil {
			tasks = strconv.Itoa(*a.Tasks)
		}
		id := a.ID
		if id == "" {
			id = "-"
		}
		t.AddRow(id, a.Hostname, a.Address, a.Status, usedTotal(a, "cpus"), usedTotal(a, "mem"),
			usedTotal(a, "disk"), attributes(a.Attributes), tasks)
	}
	return t
}

// warnVersions prints one stderr line per distinct agentd version that
// differs from the CLI's own, naming the agents that run it.
func warnVersions(w io.Writer, agents []Agent, cli string) {
	byVersion := map[string][]string{}
	var versions []string
	for _, a := range agents {
		v := a.AgentdVersion
		if v == "" || v == cli {
			continue
		}
		if _, ok := byVersion[v]; !ok {
			versions = append(versions, v)
		}
		byVersion[v] = append(byVersion[v], a.Hostname)
	}
	sort.Strings(versions)
	for _, v := range versions {
		hosts := byVersion[v]
		fmt.Fprintf(w, "warning: %d agent(s) run agentd %s, this mesosctl is %s (%s): upgrade them or use a matching mesosctl\n",
			len(hosts), v, cli, strings.Join(hosts, ", "))
	}
}

// missing returns a row for every expected node that no agent of agents
// runs on (matched by host name, short or not, or agent address): the node's agent is asked
// for /state directly; when it answers it is listed (source inventory),
// else it is down, with the reason.
func missing(ctx context.Context, agents []Agent, expected []inventory.Node, registry bool, timeout time.Duration, fanout int) []Agent {
	known := map[string]bool{}
	for _, a := range agents {
		short, _, _ := strings.Cut(a.Hostname, ".")
		known[a.Hostname], known[short], known[a.Address] = true, true, true
	}
	var nodes []inventory.Node
	for _, n := range expected {
		if !known[n.Name] && !known[net.JoinHostPort(n.Address, strconv.Itoa(n.AgentPort))] {
			nodes = append(nodes, n)
		}
	}
	out := make([]Agent, len(nodes))
	_ = parallel.Each(ctx, fanout, len(nodes), func(ctx context.Context, i int) {
		n := nodes[i]
		a := &out[i]
		*a = Agent{Hostname: n.Name, Address: net.JoinHostPort(n.Address, strconv.Itoa(n.AgentPort)), Source: "inventory"}
		c := agentclient.New(n.AgentURL())
		c.Timeout = timeout
		st, err := c.StateTyped(ctx)
		if err != nil {
			why := "no agent answers"
			if registry {
				why = "not in ZooKeeper's registry, and no agent answers"
			}
			a.Status, a.Error = "down", fmt.Sprintf("%s: %v", why, err)
			return
		}
		a.Status, a.ID, a.Resources, a.UsedResources, a.Attributes = "up", st.ID, st.Resources, st.UnreservedResourcesAllocated, st.Attributes
		a.Version = st.Version
		tasks := 0
		for _, f := range st.Frameworks {
			for _, ex := range f.Executors {
				tasks += len(ex.Tasks)
			}
		}
		a.Tasks = &tasks
		if v, err := c.Version(ctx); err == nil {
			a.AgentdVersion = agentclient.AgentdVersion(v)
		}
	})
	return out
}
