// Package task implements `mesosctl task kill|wait|logs ID`: one task,
// found by asking the candidate agents (--agent, --zk, or the inventory)
// which of them has it.
package task

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/agentclient"
	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/cmdutil/agentsel"
	"github.com/mesosctl/mesosctl/internal/cmdutil/orphaned"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/orphans"
	"github.com/mesosctl/mesosctl/internal/taskwatch"
)

// Options are the inputs of the task subcommands.
type Options struct {
	IO  *iostreams.IOStreams
	Sel agentsel.Options
	ID  string

	// kill
	Wait bool
	// Orphan finds and kills orphaned executors over SSH (kill only).
	Orphan orphaned.Options
	// logs
	Stderr bool
	Follow bool
	// PollInterval is how often logs -f re-reads the file when it has no
	// new data (250ms).
	PollInterval time.Duration
}

// NewCmdTask builds the `task` noun with its verbs.
func NewCmdTask(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "task <command>",
		Short:   "Kill, wait for, or read the logs of one task",
		Example: "  $ mesosctl task logs -f sleep.1a2b3c4d\n  $ mesosctl task kill sleep.1a2b3c4d\n  $ mesosctl task wait sleep.1a2b3c4d; echo $?",
		GroupID: "tasks",
	}
	cmd.AddCommand(NewCmdKill(f, nil), NewCmdWait(f, nil), NewCmdLogs(f, nil))
	return cmd
}

func newVerb(f *cmdutil.Factory, use, short, long, example string, runF func(*Options) error, run func(context.Context, *Options) error) (*cobra.Command, *Options) {
	opts := &Options{IO: f.IOStreams, PollInterval: 250 * time.Millisecond}
	cmd := &cobra.Command{
		Use:     use,
		Short:   short,
		Long:    long,
		Example: example,
		Args:    cmdutil.MinimumArgs(1, "give the task ID (see 'mesosctl tasks')"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return cmdutil.FlagErrorf("give one task ID, got %d arguments", len(args))
			}
			opts.ID = args[0]
			if runF != nil {
				return runF(opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	agentsel.AddFlags(f, cmd, &opts.Sel, true)
	cmd.ValidArgsFunction = func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return CompleteIDs(c, f, &opts.Sel, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
	return cmd, opts
}

// CompleteIDs lists the task IDs (with name and state as description) of
// the candidate agents that start with prefix, bounded to 2 seconds.
func CompleteIDs(c *cobra.Command, f *cmdutil.Factory, sel *agentsel.Options, prefix string) []string {
	if f.ConfigOptions.Path == "" {
		// completion runs without the root's PersistentPreRunE
		if p, err := c.Flags().GetString("config"); err == nil {
			f.ConfigOptions.Path = p
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	sel.Timeout = 2 * time.Second
	cands, err := sel.Candidates(ctx)
	if err != nil {
		return nil
	}
	var out []string
	for _, cand := range cands {
		infos, err := sel.Client(cand).Tasks(ctx)
		if err != nil {
			continue
		}
		for _, ti := range infos {
			if strings.HasPrefix(ti.ID, prefix) {
				out = append(out, ti.ID+"\t"+ti.Name+" "+strings.TrimPrefix(ti.State, "TASK_")+" on "+cand.Name)
			}
		}
	}
	return out
}

// NewCmdKill builds `task kill`.
func NewCmdKill(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	cmd, opts := newVerb(f, "kill ID", "Kill a task (SIGTERM, grace period, SIGKILL), or an orphaned executor",
		`Ask the agent that runs the task to kill it: SIGTERM, then SIGKILL after the
agent's grace period. Prints "Asked to kill task '<id>' on agent '<agent id>'"
and returns; with --wait, follows the task until it is terminal and exits
as 'task wait' does.

When no agent knows ID, the orphaned executors (see 'mesosctl tasks
--orphans') of the --agent nodes, or of every inventory node, are looked
at over SSH: an executor whose ID or one of whose tasks is ID is killed with
its whole process tree and container cgroups (SIGTERM, SIGKILL after 5s).`,
		"  $ mesosctl task kill sleep.1a2b3c4d\n  $ mesosctl task kill --wait --agent lxb002 sleep.1a2b3c4d",
		runF, RunKill)
	cmd.Flags().BoolVar(&opts.Wait, "wait", false, "wait until the task is terminal")
	orphaned.Wire(f, &opts.Orphan)
	return cmd
}

// NewCmdWait builds `task wait`.
func NewCmdWait(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	cmd, _ := newVerb(f, "wait ID", "Wait for a task to end; exit with its outcome",
		`Follow a task until it is terminal, printing each new status update as
mesos-execute does, and exit as 'mesosctl exec' does: 0 TASK_FINISHED, the
command's exit status for TASK_FAILED (1 without one), 137 TASK_KILLED,
4 TASK_LOST/DROPPED/GONE, 1 TASK_ERROR. A task that already ended prints
its last update and exits at once.`,
		"  $ mesosctl task wait sleep.1a2b3c4d && echo done",
		runF, RunWait)
	return cmd
}

// NewCmdLogs builds `task logs`.
func NewCmdLogs(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	cmd, opts := newVerb(f, "logs ID", "Print a task's stdout (or stderr) from its sandbox",
		`Print the task's sandbox stdout (--stderr: stderr) through the agent's
/files/read. With -f, keep following the file until the task is terminal
and everything it wrote has been printed.`,
		"  $ mesosctl task logs sleep.1a2b3c4d\n  $ mesosctl task logs -f --stderr sleep.1a2b3c4d",
		runF, RunLogs)
	cmd.Flags().BoolVar(&opts.Stderr, "stderr", false, "print stderr instead of stdout")
	cmd.Flags().BoolVarP(&opts.Follow, "follow", "f", false, "follow until the task ends")
	return cmd
}

func locate(ctx context.Context, o *Options) (*taskwatch.Located, *agentclient.Client, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	cands, err := o.Sel.Candidates(ctx)
	if err != nil {
		return nil, nil, err
	}
	return taskwatch.Locate(ctx, cands, o.Sel.Client, o.Sel.Fanout(), o.ID)
}

// RunKill kills the task, or the orphaned executor of that ID.
func RunKill(ctx context.Context, o *Options) error {
	loc, cl, err := locate(ctx, o)
	var nf *taskwatch.NotFoundError
	if errors.As(err, &nf) && o.Orphan.Nodes != nil {
		return killOrphan(ctx, o, err)
	}
	if err != nil {
		return err
	}
	if taskwatch.Terminal(loc.Task.State) {
		return fmt.Errorf("task %s on %s already ended: %s", o.ID, loc.Agent.Name, loc.Task.State)
	}
	if loc.ViaState {
		return fmt.Errorf("task %s runs on %s, a Mesos agent without mesosctl's task API: kill it through its framework or the master (POST /api/v1 KILL)", o.ID, loc.Agent.Name)
	}
	if _, err := cl.KillTask(ctx, o.ID); err != nil {
		return err
	}
	fmt.Fprintf(o.IO.Out, "Asked to kill task '%s' on agent '%s'\n", o.ID, loc.Task.AgentID)
	if !o.Wait {
		return nil
	}
	return follow(ctx, o, loc, cl)
}

// killOrphan kills the orphaned executor named o.ID (its ID or a task's),
// or returns notFound with where else it looked.
func killOrphan(ctx context.Context, o *Options, notFound error) error {
	if ctx == nil {
		ctx = context.Background()
	}
	sess, err := o.Orphan.Open(o.Sel.Agent)
	if err != nil {
		return fmt.Errorf("%v; looking for an orphaned executor of that ID: %w", notFound, err)
	}
	defer sess.Close()
	scans, errs := sess.Scan(ctx)
	if ctx.Err() != nil {
		return cmdutil.CancelError
	}
	var failed []string
	for i, sc := range scans {
		if errs[i] != nil {
			failed = append(failed, fmt.Sprintf("%s (%v)", sess.Nodes()[i].Name, errs[i]))
			continue
		}
		var hits []orphans.Executor
		for _, e := range sc.Executors {
			if e.Names(o.ID) {
				hits = append(hits, e)
			}
		}
		if len(hits) == 0 {
			continue
		}
		n, err := sess.Kill(ctx, sc.Node, hits)
		for _, e := range hits {
			fmt.Fprintf(o.IO.Out, "Killed orphaned executor '%s' (tasks: %s) of agent '%s' on %s: %d process(es)\n",
				e.ExecutorID, strings.Join(e.Tasks, ", "), e.AgentID, sc.Node, n)
		}
		return err
	}
	msg := fmt.Sprintf("%v; no orphaned executor of that ID on %d node(s) either", notFound, len(scans))
	if len(failed) > 0 {
		msg += "; could not look on " + strings.Join(failed, ", ")
	}
	return errors.New(msg)
}

// RunWait waits for the task.
func RunWait(ctx context.Context, o *Options) error {
	loc, cl, err := locate(ctx, o)
	if err != nil {
		return err
	}
	return follow(ctx, o, loc, cl)
}

func follow(ctx context.Context, o *Options, loc *taskwatch.Located, cl *agentclient.Client) error {
	if ctx == nil {
		ctx = context.Background()
	}
	from := len(loc.Task.Statuses)
	if taskwatch.Terminal(loc.Task.State) && from > 0 {
		from-- // print the final update once
	}
	show := func(u api.TaskUpdate) {
		if taskwatch.Printable(u) {
			taskwatch.PrintUpdate(o.IO.Out, o.ID, u)
		}
	}
	var final *api.TaskInfo
	var err error
	if loc.ViaState {
		final, err = taskwatch.FollowState(ctx, cl, o.ID, from, show)
	} else {
		final, err = taskwatch.Follow(ctx, cl, o.ID, from, nil, show)
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return cmdutil.CancelError
		}
		return err
	}
	return cmdutil.ExitStatus(taskwatch.ExitCode(final))
}

// RunLogs prints (and follows) the sandbox file.
func RunLogs(ctx context.Context, o *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	loc, cl, err := locate(ctx, o)
	if err != nil {
		return err
	}
	if loc.Task.Sandbox == "" {
		return fmt.Errorf("task %s on %s has no sandbox directory", o.ID, loc.Agent.Name)
	}
	file := "stdout"
	if o.Stderr {
		file = "stderr"
	}
	p := path.Join(loc.Task.Sandbox, file)
	err = Tail(ctx, cl, p, o.IO.Out, o.Follow, o.PollInterval, func() (bool, error) {
		var ti *api.TaskInfo
		var err error
		if loc.ViaState {
			ti, err = taskwatch.FromState(ctx, cl, o.ID)
		} else {
			ti, err = cl.Task(ctx, o.ID)
		}
		if err != nil {
			return false, err
		}
		return taskwatch.Terminal(ti.State), nil
	})
	if errors.Is(err, context.Canceled) {
		return cmdutil.CancelError
	}
	return err
}

// chunk is how much one /files/read asks for.
const chunk = 1 << 20

// Tail copies the file at p on the agent to w from its start. Without
// follow it stops at the current end. With follow it keeps reading; when a
// read brings nothing new it asks ended() and stops once the task has
// ended and a read after that found the file drained.
func Tail(ctx context.Context, cl *agentclient.Client, p string, w io.Writer, follow bool, every time.Duration, ended func() (bool, error)) error {
	var off int64
	endedSeen := false
	for {
		fc, err := cl.ReadFile(ctx, p, off, chunk)
		if err != nil {
			if errors.Is(err, agentclient.ErrNotFound) && follow && !endedSeen {
				fc = &agentclient.FileChunk{} // not created yet
			} else {
				return err
			}
		}
		if len(fc.Data) > 0 {
			if _, err := io.WriteString(w, fc.Data); err != nil {
				return err
			}
			off += int64(len(fc.Data))
			continue
		}
		if !follow || endedSeen {
			return nil
		}
		done, err := ended()
		if err != nil {
			return err
		}
		if done {
			endedSeen = true // one more read drains what was written last
			continue
		}
		select {
		case <-time.After(every):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
