// Package configure implements the `mesosctl agent` verbs that change
// agents: set-attributes, set-resources, set-containerizers, config
// get|set|unset, restart and clear-latest. They share one plan → apply →
// verify engine (internal/agentconfig); this package turns flags into an
// agentconfig.Request, wires SSH and HTTP per node, and prints plans and
// per-node results.
package configure

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/agentconfig"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/cmdutil/agentnodes"
	"github.com/mesosctl/mesosctl/internal/cmdutil/fanout"
	"github.com/mesosctl/mesosctl/internal/cmdutil/where"
	"github.com/mesosctl/mesosctl/internal/inventory"
	"github.com/mesosctl/mesosctl/internal/render"
	"github.com/mesosctl/mesosctl/internal/shell"
)

// Options are the inputs shared by the changing verbs.
type Options struct {
	fanout.Options
	Context  context.Context
	NodeArgs []string
	// Lookup resolves a node's inventory entry (agent URL, paths, restart
	// command); Credentials returns defaults.http_credentials.
	Lookup      func(name string) (inventory.Node, error)
	Credentials func() (string, error)

	Request     agentconfig.Request
	DryRun      bool
	Batch       int
	HTTPTimeout time.Duration
	Output      render.Options
}

func newOptions(f *cmdutil.Factory) *Options {
	o := &Options{}
	fanout.Wire(f, &o.Options)
	var an agentnodes.Options
	agentnodes.Wire(f, &an)
	o.Lookup = an.Lookup
	o.Credentials = func() (string, error) {
		_, creds, err := an.Defaults()
		return creds, err
	}
	return o
}

// addSSHFlags registers the node-selection and SSH flags.
func addSSHFlags(f *cmdutil.Factory, cmd *cobra.Command, o *Options) {
	fs := cmd.Flags()
	fs.IntVar(&o.Fanout, "fanout", 0, "work on at most `N` nodes at once (default 64, or defaults.fanout)")
	fs.DurationVar(&o.Timeout, "timeout", 0, "time limit of each SSH command (default none, or defaults.command_timeout)")
	fs.DurationVar(&o.ConnectTimeout, "connect-timeout", 0, "SSH connect and handshake time limit (default 10s)")
	fs.DurationVar(&o.HTTPTimeout, "http-timeout", 10*time.Second, "time limit of each HTTP request to an agent")
	fs.BoolVar(&o.AcceptNewHostKeys, "accept-new-host-keys", false, "trust and record host keys not yet in known_hosts (changed keys are always refused)")
	cmdutil.AddExcludeFlag(f, cmd, &o.Exclude)
	where.AddFlag(cmd, &o.Where)
	o.Progress = "never"
}

// addChangeFlags registers the rollout and safety flags.
func addChangeFlags(cmd *cobra.Command, o *Options) {
	fs := cmd.Flags()
	fs.BoolVar(&o.DryRun, "dry-run", false, "print the plan per node (files, old → new, clear latest?, restart?) and change nothing")
	fs.IntVar(&o.Batch, "batch", 0, "restart at most `N` nodes at a time; stop after the first batch with a failure (default: all at once)")
	fs.BoolVar(&o.Request.Force, "force", false, "clear meta/slaves/latest even though tasks run there (they are orphaned)")
	fs.BoolVar(&o.Request.Drain, "drain", false, "before clearing meta/slaves/latest, wait until the node runs no task")
	fs.DurationVar(&o.Request.DrainTimeout, "drain-timeout", 10*time.Minute, "with --drain, give up (changing nothing) after this long")
	fs.DurationVar(&o.Request.HealthTimeout, "health-timeout", 60*time.Second, "wait this long for a restarted agent to answer /health")
}

func (o *Options) validate() error {
	if err := o.Options.Validate(); err != nil {
		return err
	}
	if err := o.Output.Validate(); err != nil {
		return err
	}
	if o.Batch < 0 {
		return cmdutil.FlagErrorf("--batch must be at least 1")
	}
	if o.Request.Force && o.Request.Drain {
		return cmdutil.FlagErrorf("--force and --drain contradict each other: --drain waits for the tasks, --force orphans them")
	}
	return nil
}

// targets resolves the node set (what --where selects of it) into engine
// targets. The returned close function ends the SSH connections; with
// nothing selected there are no targets and no close function.
func (o *Options) targets(ctx context.Context) ([]agentconfig.Target, *where.Selection, func(), error) {
	o.Where.Timeout = o.HTTPTimeout
	sel, sshTargets, err := o.Targets(ctx, o.NodeArgs)
	if err != nil || sel.Empty() {
		return nil, sel, nil, err
	}
	names := sel.Names
	creds := ""
	if o.Credentials != nil {
		if creds, err = o.Credentials(); err != nil {
			return nil, nil, nil, err
		}
	}
	if o.Fanout, err = o.Limit(); err != nil {
		return nil, nil, nil, err
	}
	r, closeSSH, err := o.Runner()
	if err != nil {
		return nil, nil, nil, err
	}
	out := make([]agentconfig.Target, len(names))
	for i, name := range names {
		node, err := o.Lookup(name)
		if err != nil {
			closeSSH()
			return nil, nil, nil, err
		}
		st := sshTargets[i]
		out[i] = agentconfig.Target{Name: name, Node: node, HTTP: agentnodes.Client(node, creds, o.HTTPTimeout),
			SSH: func(ctx context.Context, script string) ([]byte, error) {
				res := r.RunOne(ctx, st, shell.AsRoot(script, st.User))
				switch {
				case res.Err != nil:
					return nil, o.Explain(st.Name, res.Err)
				case res.ExitCode != 0:
					msg := strings.TrimSpace(string(res.Stderr))
					if msg == "" {
						msg = strings.TrimSpace(string(res.Stdout))
					}
					return nil, fmt.Errorf("exit status %d: %s", res.ExitCode, msg)
				}
				return res.Stdout, nil
			}}
	}
	return out, sel, closeSSH, nil
}

// run plans, applies and prints.
func (o *Options) run() error {
	if err := o.validate(); err != nil {
		return err
	}
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
	ro := agentconfig.Options{DryRun: o.DryRun, Batch: o.Batch, Fanout: o.Fanout}
	if o.IO.StderrTTY && !o.DryRun {
		// Restarts take a while: show each node as it finishes.
		var mu sync.Mutex
		ro.OnResult = func(r agentconfig.Result) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(o.IO.ErrOut, "%s: %s %s\n", r.Node, r.Action, r.Result)
		}
	}
	plans, results := agentconfig.Rollout(ctx, targets, o.Request, ro)
	if o.DryRun {
		if o.Output.IsStructured() {
			if err := o.Output.Print(o.IO, plans, nil); err != nil {
				return err
			}
		} else {
			PrintPlans(o.IO.Out, plans)
		}
	} else if err := o.Output.Print(o.IO, results, resultTable(results)); err != nil {
		return err
	} else if !o.Output.IsStructured() {
		PrintOrphaned(o.IO.Out, results)
	}
	failed := 0
	for _, r := range results {
		if r.Failed() {
			failed++
			if !o.DryRun { // a dry run shows the errors in the plans
				fmt.Fprintf(o.IO.ErrOut, "%s: %s\n", r.Node, r.Error)
			}
		}
	}
	if ctx.Err() != nil {
		return cmdutil.CancelError
	}
	if failed > 0 {
		return sel.Err(&cmdutil.PartialError{Failed: failed, Total: len(results)})
	}
	return sel.Err(nil)
}

// PrintOrphaned says, per node, what a forced clear-latest orphaned and
// whether it still runs.
func PrintOrphaned(w io.Writer, results []agentconfig.Result) {
	for _, r := range results {
		o := r.Orphaned
		if o == nil {
			continue
		}
		fmt.Fprintf(w, "%s: orphaned %s (%s) and %s (%s) of agent %s\n", r.Node,
			count(len(o.Tasks), "task"), strings.Join(o.Tasks, ", "), count(len(o.Executors), "executor"), strings.Join(o.Executors, ", "), o.AgentID)
		switch {
		case o.ScanError != "":
			fmt.Fprintf(w, "  could not check whether they still run: %s\n", o.ScanError)
		case len(o.Running) == 0:
			fmt.Fprintf(w, "  none still runs: the agent destroyed them when it started\n")
		default:
			fmt.Fprintf(w, "  still running without an agent: %s; list them with 'mesosctl tasks --orphans --agent %s', kill them with 'mesosctl task kill ID'\n",
				strings.Join(o.Running, ", "), r.Node)
		}
	}
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func resultTable(results []agentconfig.Result) *render.Table {
	t := &render.Table{Headers: []string{"node", "change", "action", "result", "agent id"}}
	for _, r := range results {
		t.AddRow(r.Node, r.Change, string(r.Action), r.Result, r.AgentID)
	}
	return t
}

// PrintPlans writes the human form of the plans.
func PrintPlans(w io.Writer, plans []*agentconfig.Plan) {
	for _, p := range plans {
		kind := "Mesos agent"
		if p.Agentd {
			kind = "agentd"
		}
		switch {
		case !p.Reachable:
			fmt.Fprintf(w, "%s: agent %s not answering\n", p.Node, p.AgentURL)
		default:
			fmt.Fprintf(w, "%s: %s %s, %d running task(s), --reconfiguration_policy=%s\n", p.Node, kind, p.AgentID, p.RunningTasks, p.Policy)
		}
		for _, f := range p.Files {
			old := quoteOr(f.Old, f.OldExists)
			if f.Remove {
				fmt.Fprintf(w, "  remove %s (was %s)\n", f.Path, old)
			} else {
				fmt.Fprintf(w, "  write  %s: %s → %q\n", f.Path, old, f.New)
			}
		}
		for _, warn := range p.Warnings {
			fmt.Fprintf(w, "  warning: %s\n", warn)
		}
		if p.Error != "" {
			fmt.Fprintf(w, "  error: %s\n", p.Error)
			continue
		}
		switch p.Action {
		case agentconfig.ActionNone:
			fmt.Fprintf(w, "  nothing to do\n")
		case agentconfig.ActionLive:
			how := "then the flag file over SSH"
			if p.ViaAgent {
				how = "agentd writes the flag file"
			}
			fmt.Fprintf(w, "  live: POST /mesosctl/v1/attributes, %s (no restart, agent ID and tasks kept)\n", how)
		case agentconfig.ActionClear:
			fmt.Fprintf(w, "  clear  %s/meta/slaves/latest → new agent ID (%s)\n", p.WorkDir, p.ClearReason)
			if p.RunningTasks > 0 {
				fmt.Fprintf(w, "         %d running task(s) first (%s): drained (--drain) or orphaned (--force)\n", p.RunningTasks, p.RunningIDs())
			}
			fallthrough
		case agentconfig.ActionRestart:
			if p.Action == agentconfig.ActionRestart {
				fmt.Fprintf(w, "  keep   agent ID (the change passes --reconfiguration_policy=%s)\n", p.Policy)
			}
			fmt.Fprintf(w, "  restart: %s, wait for /health, check /state\n", p.RestartCommand)
		}
	}
}

func quoteOr(s string, exists bool) string {
	if !exists {
		return "(no file)"
	}
	b, _ := json.Marshal(s)
	return string(b)
}
