// Package tasks implements `mesosctl tasks`: the tasks of every candidate
// agent in one table (or JSON/YAML/jq). agentd agents answer through the
// task API; real Mesos agents through /state (frameworks → executors →
// tasks and completed_tasks).
package tasks

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
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
	"github.com/mesosctl/mesosctl/internal/parallel"
	"github.com/mesosctl/mesosctl/internal/placement"
	"github.com/mesosctl/mesosctl/internal/render"
	"github.com/mesosctl/mesosctl/internal/suggest"
	"github.com/mesosctl/mesosctl/internal/taskwatch"
)

// Options are the inputs of `mesosctl tasks`.
type Options struct {
	IO     *iostreams.IOStreams
	Sel    agentsel.Options
	State  string
	Output render.Options
	// Orphans lists orphaned executors (over SSH) instead of tasks.
	Orphans bool
	Orphan  orphaned.Options
	// Now is the clock for the AGE column (tests fix it).
	Now func() time.Time
}

// Task is one row (its JSON form with -o json).
type Task struct {
	ID            string         `json:"id"`
	Name          string         `json:"name"`
	State         string         `json:"state"`
	Node          string         `json:"node"`
	AgentID       string         `json:"agent_id"`
	FrameworkID   string         `json:"framework_id"`
	FrameworkName string         `json:"framework_name,omitempty"`
	Resources     map[string]any `json:"resources"`
	ExitStatus    *int           `json:"exit_status,omitempty"`
	Started       float64        `json:"started,omitempty"` // first status timestamp
	Updated       float64        `json:"updated,omitempty"` // last status timestamp
	Sandbox       string         `json:"sandbox,omitempty"`
	// Image is the Docker image of a task of the Docker containerizer.
	Image string `json:"image,omitempty"`
}

// NewCmdTasks builds the command; runF replaces the behaviour in tests.
func NewCmdTasks(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Now: time.Now}
	orphaned.Wire(f, &opts.Orphan)
	cmd := &cobra.Command{
		Use:   "tasks [--agent NODESET] [--state STATE]",
		Short: "List tasks across agents",
		Long: `List the tasks of every candidate agent: --agent NODESET, else the
ZooKeeper registry (--zk or defaults.zookeeper), else every inventory node.
agentd answers through its task API; a real Mesos agent through /state.

--state filters by state, with or without the TASK_ prefix, any case
(running, TASK_FINISHED, …). An agent that cannot be read is reported on
stderr and the command exits 3.

--orphans lists, instead, the executors that run on a node although no
agent knows them (after meta/slaves/latest was cleared with tasks running):
it looks over SSH, as root, on the --agent nodes or every inventory node,
in the agent's work_dir (runs of an old agent ID whose forked pid lives)
and in /proc (processes whose MESOS_EXECUTOR_ID environment names an old
agent ID). Kill one with 'mesosctl task kill ID'.`,
		Example: `  $ mesosctl tasks
  $ mesosctl tasks --agent 'lxb00[1-2]' --state running
  $ mesosctl tasks --jq '.[] | select(.state=="TASK_FAILED") | .id'
  $ mesosctl tasks --orphans --agent lxb002`,
		GroupID: "tasks",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.Validate(); err != nil {
				return err
			}
			if opts.Orphans && opts.State != "" {
				return cmdutil.FlagErrorf("--orphans lists executors no agent knows: they have no state to filter by; drop --state")
			}
			if runF != nil {
				return runF(opts)
			}
			if opts.Orphans {
				return RunOrphans(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Orphans, "orphans", false, "list executors running on a node without an agent that knows them (over SSH)")
	cmd.Flags().StringVar(&opts.State, "state", "", "only tasks in this `state` (running, finished, failed, killed, …)")
	suggest.MarkEnum(cmd.Flags(), "state", States)
	agentsel.AddFlags(f, cmd, &opts.Sel, true)
	render.AddOutputFlags(cmd, &opts.Output)
	return cmd
}

// States are the values of --state: Mesos' task states (TaskState in
// mesos.proto) without the TASK_ prefix.
var States = []string{"staging", "starting", "running", "killing", "finished", "failed", "killed",
	"error", "lost", "dropped", "unreachable", "gone", "gone_by_operator", "unknown"}

// NormalizeState turns "running", "Running" or "TASK_RUNNING" into
// "TASK_RUNNING"; a state Mesos does not have is a usage error.
func NormalizeState(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > 5 && strings.EqualFold(s[:5], "TASK_") {
		s = s[5:]
	}
	v, err := suggest.Enum("state", s, States)
	if err != nil {
		return "", cmdutil.UsageError(err)
	}
	return "TASK_" + strings.ToUpper(v), nil
}

// Run lists the tasks.
func Run(ctx context.Context, o *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	want := ""
	if o.State != "" {
		var err error
		if want, err = NormalizeState(o.State); err != nil {
			return err
		}
	}
	cands, err := o.Sel.Candidates(ctx)
	if err != nil {
		return err
	}
	per := make([][]Task, len(cands))
	errs := make([]error, len(cands))
	if err := parallel.Each(ctx, o.Sel.Fanout(), len(cands), func(ctx context.Context, i int) {
		per[i], errs[i] = List(ctx, o.Sel.Client(cands[i]), cands[i])
	}); err != nil {
		return cmdutil.CancelError
	}
	rows := []Task{}
	failed := 0
	for i := range cands {
		if errs[i] != nil {
			failed++
			fmt.Fprintf(o.IO.ErrOut, "%s: %v\n", cands[i].Name, errs[i])
			continue
		}
		for _, t := range per[i] {
			if want == "" || t.State == want {
				rows = append(rows, t)
			}
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Started != rows[j].Started {
			return rows[i].Started < rows[j].Started
		}
		return rows[i].ID < rows[j].ID
	})
	if len(rows) == 0 && !o.Output.IsStructured() {
		if failed == 0 {
			fmt.Fprintln(o.IO.ErrOut, "no tasks")
		}
	} else if err := o.Output.Print(o.IO, rows, o.table(rows)); err != nil {
		return err
	}
	if failed > 0 {
		return &cmdutil.PartialError{Failed: failed, Total: len(cands)}
	}
	return nil
}

// List returns one agent's tasks: from the task API, or from /state when
// the agent has none (a real Mesos agent).
func List(ctx context.Context, cl *agentclient.Client, c placement.Candidate) ([]Task, error) {
	infos, err := cl.Tasks(ctx)
	if errors.Is(err, agentclient.ErrNotFound) {
		return fromState(ctx, cl, c)
	}
	if err != nil {
		return nil, err
	}
	out := make([]Task, 0, len(infos))
	for _, ti := range infos {
		out = append(out, FromInfo(ti, c.Name))
	}
	return out, nil
}

// FromInfo converts a task API TaskInfo into a row.
func FromInfo(ti api.TaskInfo, node string) Task {
	t := Task{ID: ti.ID, Name: ti.Name, State: ti.State, Node: node, AgentID: ti.AgentID, FrameworkID: ti.FrameworkID,
		FrameworkName: ti.FrameworkName, ExitStatus: ti.ExitStatus, Sandbox: ti.Sandbox,
		Resources: map[string]any{"cpus": ti.Resources.CPUs, "mem": ti.Resources.Mem, "disk": ti.Resources.Disk}}
	if n := len(ti.Statuses); n > 0 {
		t.Started, t.Updated = ti.Statuses[0].Timestamp, ti.Statuses[n-1].Timestamp
	}
	if c := ti.Container; c != nil && c.Docker != nil {
		t.Image = c.Docker.Image
	}
	return t
}

func fromState(ctx context.Context, cl *agentclient.Client, c placement.Candidate) ([]Task, error) {
	st, err := cl.StateTyped(ctx)
	if err != nil {
		return nil, err
	}
	var out []Task
	for _, ti := range taskwatch.StateTasks(st) {
		out = append(out, FromInfo(ti, c.Name))
	}
	return out, nil
}

func num(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return "-"
}

func (o *Options) table(rows []Task) *render.Table {
	t := &render.Table{Headers: []string{"id", "name", "state", "node", "image", "cpus", "mem", "age", "exit"}}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	for _, r := range rows {
		age := "-"
		if r.Started > 0 {
			age = Age(now().Sub(time.Unix(0, int64(r.Started*1e9))))
		}
		exit := ""
		if r.ExitStatus != nil {
			exit = strconv.Itoa(*r.ExitStatus)
		}
		image := r.Image
		if image == "" {
			image = "-" // a command on the host
		}
		t.AddRow(r.ID, r.Name, strings.TrimPrefix(r.State, "TASK_"), r.Node, image, num(r.Resources["cpus"]), num(r.Resources["mem"]), age, exit)
	}
	return t
}

// RunOrphans lists the orphaned executors of the --agent nodes (default:
// every inventory node).
func RunOrphans(ctx context.Context, o *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	sess, err := o.Orphan.Open(o.Sel.Agent)
	if err != nil {
		return err
	}
	defer sess.Close()
	scans, errs := sess.Scan(ctx)
	if ctx.Err() != nil {
		return cmdutil.CancelError
	}
	rows := []orphans.Executor{}
	failed := 0
	for i, sc := range scans {
		if errs[i] != nil {
			failed++
			fmt.Fprintf(o.IO.ErrOut, "%s: %v\n", sess.Nodes()[i].Name, errs[i])
			continue
		}
		rows = append(rows, sc.Executors...)
	}
	if len(rows) == 0 && !o.Output.IsStructured() {
		if failed == 0 {
			nodes := "nodes"
			if len(scans) == 1 {
				nodes = "node"
			}
			fmt.Fprintf(o.IO.ErrOut, "no orphaned executors on %d %s\n", len(scans), nodes)
		}
	} else {
		t := &render.Table{Headers: []string{"tasks", "executor", "node", "agent id", "pid", "found"}}
		for _, e := range rows {
			tasks := strings.Join(e.Tasks, ",")
			if tasks == "" {
				tasks = "-"
			}
			t.AddRow(tasks, e.ExecutorID, e.Node, e.AgentID, strconv.Itoa(e.PID), e.Found)
		}
		if err := o.Output.Print(o.IO, rows, t); err != nil {
			return err
		}
	}
	if failed > 0 {
		return &cmdutil.PartialError{Failed: failed, Total: len(scans)}
	}
	return nil
}

// Age formats a duration the way kubectl does: 45s, 3m, 2h, 4d.
func Age(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
