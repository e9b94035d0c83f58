// Package tree implements `mesosctl tree NODESET [TASK]`: the process
// hierarchy of the agent on each node (agent → containerizer launch →
// executor → sh -c → command) as a tree, from agentd's
// /mesosctl/v1/processes, or, for a real Mesos agent (no such endpoint),
// from `ps` over SSH.
package tree

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	ltree "github.com/charmbracelet/lipgloss/tree"
	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/agentclient"
	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/cmdutil/fanout"
	"github.com/mesosctl/mesosctl/internal/parallel"
	"github.com/mesosctl/mesosctl/internal/remote"
	"github.com/mesosctl/mesosctl/internal/render"
	"github.com/mesosctl/mesosctl/internal/suggest"
)

// Options are the inputs of `mesosctl tree`.
type Options struct {
	fanout.Options
	Context  context.Context
	NodeArgs []string
	Task     string
	Output   render.Options
	Wide     bool
	// Source is auto (agentd's endpoint, else ps over SSH), agentd or ps.
	Source string
	// AgentURL and Credentials come from the inventory.
	AgentURL    func(node string) (string, error)
	Credentials func() string
}

// NodeTree is one node's result (the -o json element).
type NodeTree struct {
	Node      string        `json:"node"`
	Source    string        `json:"source"` // agentd (task API) or ps (over SSH)
	Agent     *api.Process  `json:"agent,omitempty"`
	Recovered []api.Process `json:"recovered"`
	Error     string        `json:"error,omitempty"`
}

// NewCmdTree builds the command; runF replaces the behaviour in tests.
func NewCmdTree(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{}
	fanout.Wire(f, &opts.Options)
	opts.AgentURL = func(node string) (string, error) {
		inv, err := f.Inventory()
		if err != nil {
			return "", err
		}
		n, err := inv.Node(node)
		if err != nil {
			return "", cmdutil.UsageError(err)
		}
		return n.AgentURL(), nil
	}
	opts.Credentials = func() string {
		if f.Config == nil {
			return ""
		}
		cfg, err := f.Config()
		if err != nil {
			return ""
		}
		return cfg.Defaults.HTTPCredentials
	}
	cmd := &cobra.Command{
		Use:   "tree NODESET [TASK]",
		Short: "Show the agent's process tree: agent → containerizer → executor → sh -c → command",
		Long: `Show the process hierarchy below the Mesos agent on each node, with pids,
users and command lines:

  agent → containerizer launch → executor → sh -c '…' → command

A task of the Docker containerizer shows agent → containerizer launch →
mesos-docker-executor → docker run, and then its container's processes:
they are not descendants of the executor (docker run is a client of the
engine) but of containerd's shim; agentd finds them through the engine
(docker inspect) and the tree says so.

From agentd's /mesosctl/v1/processes, which also names each container's task
(name, ID, state) and its cgroup limits; for a real Mesos agent (no such
endpoint) from 'ps -eo pid,ppid,user,args' over SSH. Containers that
outlived an agent restart are shown under "recovered".

TASK (an ID or a name) keeps only the branches that lead to that task.
-o json gives the trees as data. Command lines are cut to the terminal width
on a terminal (--wide: never).`,
		Example: `  $ mesosctl tree lxb001
  $ mesosctl tree 'lxb00[1-4]' sleep
  $ mesosctl tree lxb002 -o json --jq '.[0].agent.children[].task'`,
		GroupID: "tasks",
		Args:    cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.Validate(); err != nil {
				return err
			}
			opts.Context = cmd.Context()
			opts.NodeArgs = args[:1]
			if len(args) == 2 {
				opts.Task = args[1]
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return cmdutil.NodeSetCompletion(f)(cmd, args, toComplete)
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
	}
	cmd.Flags().BoolVarP(&opts.Wide, "wide", "w", false, "never cut command lines")
	cmd.Flags().StringVar(&opts.Source, "source", "auto", "where the tree comes from: auto (agentd, else ps over SSH), agentd, or ps")
	suggest.MarkEnum(cmd.Flags(), "source", Sources)
	fanout.AddFlags(f, cmd, &opts.Options)
	render.AddOutputFlags(cmd, &opts.Output)
	return cmd
}

// Sources are the values of --source.
var Sources = []string{"auto", "agentd", "ps"}

// Run builds and prints the trees.
func Run(o *Options) error {
	if err := o.Validate(); err != nil {
		return err
	}
	if o.Source == "" {
		o.Source = "auto"
	}
	src, err := suggest.Enum("source", o.Source, Sources)
	if err != nil {
		return cmdutil.UsageError(err)
	}
	o.Source = src
	ctx := o.Context
	if ctx == nil {
		ctx = context.Background()
	}
	if o.ConnectTimeout > 0 {
		o.Where.Timeout = o.ConnectTimeout
	}
	sel, err := o.Select(ctx, o.NodeArgs)
	if err != nil {
		return err
	}
	if sel.Empty() {
		return sel.Err(nil)
	}
	names := sel.Names
	trees := make([]NodeTree, len(names))
	var viaSSH []int
	creds := ""
	if o.Credentials != nil {
		creds = o.Credentials()
	}
	// Ask the agents (at most --fanout at once), then ps over SSH where needed.
	urls := make([]string, len(names))
	for i, n := range names {
		trees[i] = NodeTree{Node: n, Recovered: []api.Process{}}
		if o.Source == "ps" {
			continue
		}
		if urls[i], err = o.AgentURL(n); err != nil {
			return err
		}
	}
	needSSH := make([]bool, len(names))
	limit, err := o.Limit()
	if err != nil {
		return err
	}
	if o.Source == "ps" {
		for i := range needSSH {
			needSSH[i] = true
		}
	} else if err := parallel.Each(ctx, limit, len(names), func(ctx context.Context, i int) {
		cl := agentclient.New(urls[i])
		if o.ConnectTimeout > 0 {
			cl.Timeout = o.ConnectTimeout
		}
		cl.User, cl.Password, _ = strings.Cut(creds, ":")
		pt, err := cl.Processes(ctx)
		switch {
		case err != nil && o.Source == "agentd":
			trees[i].Source, trees[i].Error = "agentd", err.Error()
		case err != nil:
			needSSH[i] = true // a real Mesos agent (404), or no agent answering: ask ps
		default:
			trees[i].Source = "agentd"
			trees[i].Agent, trees[i].Recovered = &pt.Agent, orEmpty(pt.Recovered)
		}
	}); err != nil {
		return cmdutil.CancelError
	}
	for i, need := range needSSH {
		if need {
			viaSSH = append(viaSSH, i)
		}
	}
	if len(viaSSH) > 0 {
		sub := make([]string, len(viaSSH))
		for j, i := range viaSSH {
			sub[j] = names[i]
		}
		targets, err := o.Resolve(sub)
		if err != nil {
			return err
		}
		results, runErr := o.Options.Run(ctx, fanout.Job{Targets: targets, Command: func(remote.Target) string { return PSCommand }})
		if runErr != nil {
			return runErr
		}
		for j, i := range viaSSH {
			r := results[j]
			trees[i].Source = "ps"
			switch {
			case r.Err != nil:
				trees[i].Error = r.Err.Error()
			case r.ExitCode != 0:
				trees[i].Error = fmt.Sprintf("ps exited with status %d: %s", r.ExitCode, strings.TrimSpace(string(r.Stderr)))
			default:
				procs, err := ParsePS(r.Stdout)
				if err == nil {
					var pt api.ProcessTree
					pt, err = BuildFromPS(procs)
					trees[i].Agent, trees[i].Recovered = &pt.Agent, orEmpty(pt.Recovered)
				}
				if err != nil {
					trees[i].Agent = nil
					trees[i].Error = err.Error()
				}
			}
		}
	}
	if o.Task != "" {
		found := false
		for i := range trees {
			if Filter(&trees[i], o.Task) {
				found = true
			}
		}
		if !found {
			return fmt.Errorf("no process of task %q on %s", o.Task, strings.Join(names, ","))
		}
	}
	failed := 0
	for _, t := range trees {
		if t.Error != "" {
			failed++
		}
	}
	if o.Output.IsStructured() {
		if err := o.Output.Print(o.IO, trees, nil); err != nil {
			return err
		}
	} else {
		st := Style{Color: o.IO.ColorEnabled()}
		if o.IO.StdoutTTY && !o.Wide {
			st.Width = o.IO.TerminalWidth()
		}
		for _, t := range trees {
			if t.Error != "" {
				fmt.Fprintf(o.IO.ErrOut, "%s: %s\n", t.Node, t.Error)
				continue
			}
			if o.Task != "" && t.Agent == nil && len(t.Recovered) == 0 {
				continue
			}
			fmt.Fprintln(o.IO.Out, st.Render(t))
		}
	}
	if failed > 0 {
		return sel.Err(&cmdutil.PartialError{Failed: failed, Total: len(trees)})
	}
	return sel.Err(nil)
}

func orEmpty(p []api.Process) []api.Process {
	if p == nil {
		return []api.Process{}
	}
	return p
}

// matches reports whether a process belongs to task (ID or name): its
// task annotation says so, or (ps trees) its command line mentions it.
func matches(p *api.Process, task string) bool {
	if p.Task != nil {
		return p.Task.ID == task || p.Task.Name == task
	}
	return strings.Contains(p.Command, task)
}

// prune keeps the branches of p leading to task; a matching process keeps
// its whole subtree. It reports whether anything was kept.
func prune(p *api.Process, task string) bool {
	if matches(p, task) {
		return true
	}
	var kept []api.Process
	for i := range p.Children {
		if prune(&p.Children[i], task) {
			kept = append(kept, p.Children[i])
		}
	}
	p.Children = kept
	return len(kept) > 0
}

// Filter reduces t to the branches leading to task and reports whether
// the task was found there.
func Filter(t *NodeTree, task string) bool {
	found := false
	if t.Agent != nil {
		if prune(t.Agent, task) {
			found = true
		} else {
			t.Agent = nil
		}
	}
	var rec []api.Process
	for i := range t.Recovered {
		if prune(&t.Recovered[i], task) {
			rec = append(rec, t.Recovered[i])
		}
	}
	t.Recovered = orEmpty(rec)
	return found || len(rec) > 0
}

// The styles are built on use, not at every start of the binary.
func pidStyle() lipgloss.Style  { return lipgloss.NewStyle().Bold(true) }
func taskStyle() lipgloss.Style { return lipgloss.NewStyle().Foreground(lipgloss.Color("6")) }
func userStyle() lipgloss.Style { return lipgloss.NewStyle().Faint(true) }

// Style says how to draw: Width > 0 cuts command lines to fit; Color
// styles pids, users and task notes.
type Style struct {
	Width int
	Color bool
}

func (s Style) paint(st lipgloss.Style, txt string) string {
	if !s.Color {
		return txt
	}
	return st.Render(txt)
}

// Label is one process line: "PID USER COMMAND  [task …]".
func (s Style) Label(p api.Process, depth int) string {
	cmd := p.Command
	if cmd == "" {
		cmd = "?"
	}
	ann := ""
	if p.Task != nil {
		ann = "  " + s.paint(taskStyle(), TaskNote(p.Task))
	}
	head := s.paint(pidStyle(), strconv.Itoa(p.PID)) + " " + s.paint(userStyle(), p.User) + " "
	if s.Width > 0 {
		room := s.Width - 4*(depth+1) - lipgloss.Width(head) - lipgloss.Width(ann)
		if room < 20 {
			room = 20
		}
		if r := []rune(cmd); len(r) > room {
			cmd = string(r[:room-1]) + "…"
		}
	}
	return head + cmd + ann
}

// TaskNote describes a container's task and limits:
// "[task sleep (sleep.1a2b) TASK_RUNNING · cpu.shares 1126 · mem 160MB · pids 100]".
func TaskNote(t *api.ProcessTask) string {
	parts := []string{fmt.Sprintf("task %s (%s) %s", t.Name, t.ID, t.State)}
	if t.CPUShares > 0 {
		parts = append(parts, fmt.Sprintf("cpu.shares %d", t.CPUShares))
	}
	if t.CPUQuota > 0 {
		parts = append(parts, "cpu quota "+strconv.FormatFloat(t.CPUQuota, 'f', -1, 64))
	}
	if t.MemLimitMB > 0 {
		parts = append(parts, "mem "+strconv.FormatFloat(t.MemLimitMB, 'f', -1, 64)+"MB")
	}
	if t.PidsMax > 0 {
		parts = append(parts, fmt.Sprintf("pids %d", t.PidsMax))
	}
	switch {
	case t.Docker != nil:
		parts = append(parts, "docker "+t.Docker.Image+", limits set by docker run")
	case t.CPUShares == 0 && t.CPUQuota == 0 && t.MemLimitMB == 0 && t.PidsMax == 0:
		parts = append(parts, "no cgroup limits")
	}
	return "[" + strings.Join(parts, " · ") + "]"
}

func (s Style) node(p api.Process, depth int) *ltree.Tree {
	t := ltree.Root(s.Label(p, depth))
	for _, c := range p.Children {
		if len(c.Children) == 0 {
			t.Child(s.Label(c, depth+1))
		} else {
			t.Child(s.node(c, depth+1))
		}
	}
	if p.Task != nil && p.Task.Docker != nil {
		t.Child(s.docker(p.Task.Docker, depth+1))
	}
	return t
}

// DockerNote says where a Docker task's container processes really live:
// not below its executor (docker run is only a client of the engine) but
// below containerd's shim, found through the engine.
func DockerNote(d *api.ProcessDocker) string {
	if d.Error != "" {
		return fmt.Sprintf("container %s: %s", d.Container, d.Error)
	}
	shim := "containerd's shim"
	if d.ShimPID > 0 {
		name := "?"
		if f := strings.Fields(d.ShimCommand); len(f) > 0 {
			name = f[0]
			if i := strings.LastIndexByte(name, '/'); i >= 0 {
				name = name[i+1:]
			}
		}
		shim = fmt.Sprintf("%s (pid %d)", name, d.ShimPID)
	}
	return fmt.Sprintf("container %s: its processes are children of %s, not of the executor; joined through docker inspect (pid %d)",
		d.Container, shim, d.Pid)
}

func (s Style) docker(d *api.ProcessDocker, depth int) *ltree.Tree {
	t := ltree.Root(s.paint(taskStyle(), "["+DockerNote(d)+"]"))
	for _, p := range d.Processes {
		if len(p.Children) == 0 {
			t.Child(s.Label(p, depth+1))
		} else {
			t.Child(s.node(p, depth+1))
		}
	}
	return t
}

// Render draws one node's tree: the node name, the agent's tree, and the
// recovered containers under their own heading.
func (s Style) Render(t NodeTree) string {
	root := ltree.Root(t.Node + " (" + t.Source + ")")
	if t.Agent != nil {
		root.Child(s.node(*t.Agent, 1))
	}
	if len(t.Recovered) > 0 {
		rec := ltree.Root("recovered (outlived an agent restart)")
		for _, p := range t.Recovered {
			rec.Child(s.node(p, 2))
		}
		root.Child(rec)
	}
	return root.String()
}
