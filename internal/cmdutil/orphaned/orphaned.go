// Package orphaned is the plumbing of the commands that find and kill
// orphaned executors over SSH (tasks --orphans, task kill): which nodes to
// look at (--agent NODESET, else every inventory node: an orphan's node may
// have no agent answering at all), SSH as root on each, the scans in
// parallel, and the kill.
package orphaned

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/cmdutil/fanout"
	"github.com/mesosctl/mesosctl/internal/inventory"
	"github.com/mesosctl/mesosctl/internal/orphans"
	"github.com/mesosctl/mesosctl/internal/parallel"
	"github.com/mesosctl/mesosctl/internal/remote"
	"github.com/mesosctl/mesosctl/internal/shell"
)

// KillGrace is how long killed executors get between SIGTERM and SIGKILL
// (Mesos' --executor_shutdown_grace_period default).
const KillGrace = 5 * time.Second

// Options reach the nodes.
type Options struct {
	SSH fanout.Options
	// Nodes are the nodes to look at for a --agent NODESET ("": every
	// inventory node).
	Nodes func(nodeset string) ([]inventory.Node, error)
}

// Wire fills the dependencies from the factory.
func Wire(f *cmdutil.Factory, o *Options) {
	fanout.Wire(f, &o.SSH)
	o.SSH.Progress = "never"
	o.Nodes = func(set string) ([]inventory.Node, error) {
		inv, err := f.Inventory()
		if err != nil {
			return nil, err
		}
		names := inv.Names()
		if set != "" {
			if names, err = cmdutil.ExpandNodeSet(f, []string{set}, nil); err != nil {
				return nil, err
			}
		} else if len(names) == 0 {
			if !cmdutil.HasConfig(f) {
				return nil, cmdutil.NoConfig("orphaned executors are looked for on the inventory's nodes (or --agent NODESET)")
			}
			return nil, cmdutil.FlagErrorf("the inventory lists no nodes to look for orphaned executors on: give --agent NODESET")
		}
		out := make([]inventory.Node, len(names))
		for i, n := range names {
			if out[i], err = inv.Node(n); err != nil {
				return nil, cmdutil.UsageError(err)
			}
		}
		return out, nil
	}
}

// Session runs scripts as root on nodes over one run's SSH connections.
type Session struct {
	nodes   []inventory.Node
	targets []remote.Target
	runner  *remote.Runner
	close   func()
	limit   int
}

// Open resolves the nodes of set ("" for every inventory node) and opens an
// SSH runner; Close ends its connections.
func (o *Options) Open(set string) (*Session, error) {
	nodes, err := o.Nodes(set)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(nodes))
	for i, n := range nodes {
		names[i] = n.Name
	}
	targets, err := o.SSH.Resolve(names)
	if err != nil {
		return nil, err
	}
	r, closeFn, err := o.SSH.Runner()
	if err != nil {
		return nil, err
	}
	limit, _ := o.SSH.Limit()
	return &Session{nodes: nodes, targets: targets, runner: r, close: closeFn, limit: limit}, nil
}

// Close ends the SSH connections.
func (s *Session) Close() { s.close() }

// Nodes are the session's nodes.
func (s *Session) Nodes() []inventory.Node { return s.nodes }

// ssh is node i's orphans.SSH.
func (s *Session) ssh(i int) orphans.SSH {
	t := s.targets[i]
	return func(ctx context.Context, script string) ([]byte, error) {
		res := s.runner.RunOne(ctx, t, shell.AsRoot(script, t.User))
		switch {
		case res.Err != nil:
			return nil, res.Err
		case res.ExitCode != 0:
			msg := strings.TrimSpace(string(res.Stderr))
			return nil, fmt.Errorf("exit status %d: %s", res.ExitCode, msg)
		}
		return res.Stdout, nil
	}
}

// Scan looks for orphaned executors on every node, at most the fan-out
// limit at once. Scans and errors are in node order; a node's error leaves
// its scan nil.
func (s *Session) Scan(ctx context.Context) ([]*orphans.Scan, []error) {
	scans := make([]*orphans.Scan, len(s.nodes))
	errs := make([]error, len(s.nodes))
	if err := parallel.Each(ctx, s.limit, len(s.nodes), func(ctx context.Context, i int) {
		scans[i], errs[i] = orphans.Find(ctx, s.ssh(i), s.nodes[i].Name, s.nodes[i].AgentWorkDir)
	}); err != nil {
		for i := range errs {
			if scans[i] == nil && errs[i] == nil {
				errs[i] = err
			}
		}
	}
	return scans, errs
}

// Kill kills the executors (all of node's) and returns how many processes
// got a signal.
func (s *Session) Kill(ctx context.Context, node string, execs []orphans.Executor) (int, error) {
	for i, n := range s.nodes {
		if n.Name == node {
			return orphans.Kill(ctx, s.ssh(i), execs, KillGrace)
		}
	}
	return 0, fmt.Errorf("%s is not one of the nodes looked at", node)
}
