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
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/parallel"
	"github.com/mesosctl/mesosctl/internal/placement"
	"github.com/mesosctl/mesosctl/internal/render"
	"github.com/mesosctl/mesosctl/internal/taskwatch"
)

// Options are the inputs of `mesosctl tasks`.
type Options struct {
	IO     *iostreams.IOStreams
	Sel    agentsel.Options
	State  string
	Output render.Options
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
	cmd := &cobra.Command{
		Use:   "tasks [--agent NODESET] [--state STATE]",
		Short: "List tasks across agents",
		Long: `List the tasks of every candidate agent: --agent NODESET, else the
ZooKeeper registry (--zk or defaults.zookeeper), else every inventory node.
agentd answers through its task API; a real Mesos agent through /state.

--state filters by state, with or without the TASK_ prefix, any case
(running, TASK_FINISHED, …). An agent that cannot be read is reported on
stderr and the command exits 3.`,
		Example: `  $ mesosctl tasks
  $ mesosctl tasks --agent 'lxb00[1-2]' --state running
  $ mesosctl tasks --jq '.[] | select(.state=="TASK_FAILED") | .id'`,
		GroupID: "tasks",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.State, "state", "", "only tasks in this `state` (running, finished, failed, killed, …)")
	agentsel.AddFlags(f, cmd, &opts.Sel, true)
	render.AddOutputFlags(cmd, &opts.Output)
	return cmd
}

// NormalizeState turns "running" into "TASK_RUNNING".
func NormalizeState(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	if s != "" && !strings.HasPrefix(s, "TASK_") {
		s = "TASK_" + s
	}
	return s
}

// Run lists the tasks.
func Run(ctx context.Context, o *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	cands, err := o.Sel.Candidates(ctx)
	if err != nil {
		return err
	}
	want := NormalizeState(o.State)
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
