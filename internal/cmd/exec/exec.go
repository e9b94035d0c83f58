// Package exec implements `mesosctl exec` (also reachable as a link named
// mesos-execute): launch one task on an agent chosen by free resources and
// attribute constraints, and follow it as mesos-execute does. Unlike
// mesos-execute, the exit code reflects the task's outcome.
package exec

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mesosctl/mesosctl/internal/agentclient"
	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/cmdutil/agentsel"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/mesos"
	"github.com/mesosctl/mesosctl/internal/placement"
	"github.com/mesosctl/mesosctl/internal/suggest"
	"github.com/mesosctl/mesosctl/internal/taskwatch"
)

// Options are the inputs of `mesosctl exec`.
type Options struct {
	IO  *iostreams.IOStreams
	Sel agentsel.Options

	// mesos-execute's flags.
	Name          string
	Command       string
	Shell         bool
	Env           string
	Resources     string
	Containerizer string
	DockerImage   string
	AppcImage     string
	Volumes       string
	Networks      string
	Checkpoint    bool
	Role          string
	Principal     string
	Secret        string
	FrameworkCaps string
	KillAfter     string
	Task          string
	TaskGroup     string
	EffectiveCaps string
	BoundingCaps  string
	Rlimits       string
	TTY           bool
	ContentType   string
	PartitionAw   bool
	Hadoop        string
	HDFS          string
	Package       string
	Overwrite     bool

	// Ours.
	Constraints []string
	Detach      bool
	User        string
}

// NewCmdExec builds the command; runF replaces the behaviour in tests.
func NewCmdExec(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:     "exec --name NAME --command CMD [flags]",
		Aliases: []string{"execute"},
		Short:   "Run a task on an agent with enough free resources (mesos-execute)",
		Long: `Launch one task through agentd's task API on an agent chosen by free
resources and attribute constraints, and follow it as mesos-execute does:

  Subscribed with ID <framework id>
  Submitted task 'sleep' to agent '<agent id>'
  Received status update TASK_RUNNING for task 'sleep'
    source: SOURCE_EXECUTOR
  Received status update TASK_FINISHED for task 'sleep'
    message: 'Command exited with status 0'
    source: SOURCE_EXECUTOR

Candidate agents: --agent NODESET (inventory), else --zk, else --master
(zk:// is read as agentd's registry; host:port lists the master's /slaves),
else defaults.zookeeper / defaults.master of the config, else every node of
the inventory. Free resources are total minus allocated from each agent's
/state; the task needs --resources plus the command executor's overhead
(cpus 0.1, mem 32). The agent with the most free cpus wins (among agents
about as free, one at random, to spread concurrent submissions); if it
refuses because another client took the resources first, the next one is
tried. When nothing fits, each agent's reason is printed and exit is 1.

With --containerizer docker --docker_image IMAGE the task runs in a Docker
container (mesos-<container id>) on an agent whose --containerizers has
docker: --command runs with /bin/sh -c as its entrypoint (--shell=false: its
words are the entrypoint's arguments; no --command: the image's own), the
sandbox is mounted at the agent's --sandbox_directory, cpus and mem become
docker's limits; --volumes and --networks apply to it.

The task ID is NAME plus a random suffix (printed on stderr; with --detach
on stdout, as the only output there). Exit code: 0 TASK_FINISHED; the
command's exit status for TASK_FAILED (1 when killed by a signal or limit);
137 TASK_KILLED; 4 TASK_LOST/DROPPED/GONE; 1 TASK_ERROR or any mesosctl
error. The same binary invoked as mesos-execute runs this command.`,
		Example: `  $ mesosctl exec --name sleep --command 'echo sleep... ; sleep 300'
  $ mesos-execute --master=zk://zk1:2181/mesos --name=job --command='make test' --resources='cpus:2;mem:512'
  $ id=$(mesosctl exec --detach --name web --command ./serve --constraint rack:3)
  $ mesosctl exec --name hello --containerizer docker --docker_image busybox:1.36 --command 'echo hi'`,
		GroupID: "tasks",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fs := cmd.Flags()
	// mesos-execute's flags are snake_case: accept --kill_after for
	// --kill-after (and the like) as mesos-execute users type them.
	fs.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		return pflag.NormalizedName(strings.ReplaceAll(name, "_", "-"))
	})
	addMesosExecuteFlags(fs, opts, func(name string) string { return strings.ReplaceAll(name, "_", "-") })
	fs.StringArrayVar(&opts.Constraints, "constraint", nil, "run only on agents with this attribute `name:value` (repeatable)")
	fs.BoolVar(&opts.Detach, "detach", false, "return once the task is TASK_RUNNING, printing its task ID")
	fs.StringVar(&opts.User, "user", "", "run the task as this user (default: the agent's choice)")
	agentsel.AddFlags(f, cmd, &opts.Sel, true)
	// stout's --no-shell, --no-checkpoint, … as mesos-execute takes them.
	cmdutil.AddNegations(fs)
	return cmd
}

// Containerizers and ContentTypes are the values mesos-execute takes for
// --containerizer and --content_type.
var (
	Containerizers = []string{"mesos", "docker"}
	ContentTypes   = []string{"protobuf", "json"}
)

// refused lists mesos-execute flags that agentd cannot honour.
func (o *Options) refused() error {
	for _, r := range []struct {
		set  bool
		flag string
		why  string
	}{
		{o.Containerizer == "mesos" && o.DockerImage != "", "--docker_image with --containerizer=mesos",
			"that runs the image through the Mesos containerizer's provisioner, which agentd does not have: add --containerizer=docker"},
		{o.AppcImage != "", "--appc_image", "agentd has no appc image support"},
		{o.Containerizer == "mesos" && o.Volumes != "", "--volumes with --containerizer=mesos", "agentd's mesos containerizer mounts no volumes: use --containerizer=docker"},
		{o.Containerizer == "mesos" && o.Networks != "", "--networks with --containerizer=mesos", "agentd joins no CNI networks: use --containerizer=docker for a Docker network"},
		{o.Task != "", "--task", "give --name, --command and --resources instead"},
		{o.TaskGroup != "", "--task_group", "agentd launches no task groups"},
		{o.EffectiveCaps != "" || o.BoundingCaps != "", "--effective_capabilities/--bounding_capabilities", "agentd sets no Linux capabilities"},
		{o.Rlimits != "", "--rlimits", "agentd sets no rlimits"},
		{o.TTY, "--tty", "agentd allocates no TTY"},
		{o.Package != "", "--package", "agentd fetches no packages from HDFS"},
	} {
		if r.set {
			return cmdutil.FlagErrorf("%s is not supported: %s", r.flag, r.why)
		}
	}
	switch o.Containerizer {
	case "mesos":
	case "docker":
		// mesos-execute's own checks (src/cli/execute.cpp).
		if o.DockerImage == "" {
			return cmdutil.FlagErrorf("'Docker' containerizer requires docker image name (--docker_image)")
		}
		if o.TTY {
			return cmdutil.FlagErrorf("'Docker' containerizer does not allow attaching a TTY")
		}
		if n := strings.Split(o.Networks, ","); o.Networks != "" && len(n) > 1 {
			return cmdutil.FlagErrorf("'Docker' containerizer can only support a single network (--networks %s)", o.Networks)
		}
	default:
		return cmdutil.FlagErrorf("invalid --containerizer %q: use mesos or docker%s", o.Containerizer, suggest.DidYouMean(o.Containerizer, Containerizers))
	}
	if !slices.Contains(ContentTypes, o.ContentType) {
		return cmdutil.FlagErrorf("invalid --content_type %q: use protobuf or json%s", o.ContentType, suggest.DidYouMean(o.ContentType, ContentTypes))
	}
	return nil
}

// Spec builds the launch request and the placement request from the flags.
func (o *Options) Spec() (api.TaskSpec, placement.Request, error) {
	var spec api.TaskSpec
	var req placement.Request
	if err := o.refused(); err != nil {
		return spec, req, err
	}
	if o.Name == "" {
		return spec, req, cmdutil.FlagErrorf("--name is required")
	}
	// A Docker task with --shell=false and no --command runs its image's
	// own command (mesos-execute --no-shell sends no command value).
	imageCommand := o.Containerizer == "docker" && !o.Shell && strings.TrimSpace(o.Command) == ""
	if strings.TrimSpace(o.Command) == "" && !imageCommand {
		return spec, req, cmdutil.FlagErrorf("--command is required")
	}
	role := o.Role
	if role == "" {
		role = "*"
	}
	if err := mesos.ValidateRole(role); err != nil {
		return spec, req, cmdutil.FlagErrorf("--role: %v", err)
	}
	res, err := mesos.ParseResources(o.Resources, role)
	if err != nil {
		return spec, req, cmdutil.FlagErrorf("--resources: %v", err)
	}
	for _, r := range res {
		if r.Name != "cpus" && r.Name != "mem" && r.Name != "disk" {
			return spec, req, cmdutil.FlagErrorf("--resources: %s is not supported (agentd's task API takes cpus, mem and disk)", r.Name)
		}
		if r.Value.Type != mesos.Scalar {
			return spec, req, cmdutil.FlagErrorf("--resources: %s must be a number", r.Name)
		}
	}
	for _, c := range o.Constraints {
		if _, err := (mesos.Attributes{}).Matches(c); err != nil {
			return spec, req, cmdutil.FlagErrorf("--constraint: %v", err)
		}
	}
	env, err := ParseEnv(o.Env)
	if err != nil {
		return spec, req, cmdutil.FlagErrorf("--env: %v", err)
	}
	caps, err := o.frameworkCapabilities()
	if err != nil {
		return spec, req, err
	}
	spec = api.TaskSpec{TaskID: NewTaskID(o.Name), Name: o.Name, Env: env, User: o.User,
		Resources:             api.TaskResources{CPUs: res.Scalar("cpus"), Mem: res.Scalar("mem"), Disk: res.Scalar("disk")},
		FrameworkCapabilities: caps}
	if o.Shell {
		spec.Command = o.Command
	} else {
		spec.Argv = strings.Fields(o.Command)
	}
	req = placement.Request{Resources: res, Role: role, Constraints: o.Constraints}
	if o.Containerizer == "docker" {
		ci, err := o.dockerContainer()
		if err != nil {
			return spec, req, err
		}
		spec.Container = ci
		req.Containerizer = "docker"
	}
	return spec, req, nil
}

// frameworkCapabilities are the capabilities of mesos-execute's framework
// (src/cli/execute.cpp): RESERVATION_REFINEMENT, TASK_KILLING_STATE and
// REVOCABLE_RESOURCES always, PARTITION_AWARE unless --no-partition_aware,
// and those of --framework_capabilities, of which only GPU_RESOURCES is
// allowed. With TASK_KILLING_STATE a killed Docker task reports
// TASK_KILLING before TASK_KILLED.
func (o *Options) frameworkCapabilities() ([]string, error) {
	caps := []string{"RESERVATION_REFINEMENT", api.TaskKillingState, "REVOCABLE_RESOURCES"}
	if o.PartitionAw {
		caps = append(caps, "PARTITION_AWARE")
	}
	if o.FrameworkCaps == "" {
		return caps, nil
	}
	for _, c := range strings.Split(o.FrameworkCaps, ",") {
		switch {
		case !slices.Contains(api.FrameworkCapabilityTypes, c):
			return nil, cmdutil.FlagErrorf("Flags '--framework_capabilities' specifies an unknown capability '%s'", c)
		case c != "GPU_RESOURCES":
			return nil, cmdutil.FlagErrorf("Flags '--framework_capabilities' specifies an unsupported capability '%s'", c)
		}
		caps = append(caps, c)
	}
	return caps, nil
}

// dockerContainer is the task's ContainerInfo for --containerizer docker,
// as mesos-execute builds it: type DOCKER with the image, --volumes, and
// with --networks a USER network of that name.
func (o *Options) dockerContainer() (*api.ContainerInfo, error) {
	ci := &api.ContainerInfo{Type: api.ContainerTypeDocker, Docker: &api.DockerInfo{Image: o.DockerImage}}
	if o.Volumes != "" {
		data := []byte(o.Volumes)
		if p, ok := strings.CutPrefix(o.Volumes, "file://"); ok || strings.HasPrefix(o.Volumes, "/") {
			if !ok {
				p = o.Volumes
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, cmdutil.FlagErrorf("--volumes: %v", err)
			}
			data = b
		}
		dec := json.NewDecoder(strings.NewReader(string(data)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ci.Volumes); err != nil {
			return nil, cmdutil.FlagErrorf(`--volumes: want a JSON array of volumes like [{"container_path":"/data","host_path":"/srv/data","mode":"RW"}]: %v`, err)
		}
	}
	if o.Networks != "" {
		ci.Docker.Network = api.DockerNetworkUser
		ci.NetworkInfos = []api.ContainerNetwork{{Name: o.Networks}}
	}
	if err := ci.Validate(); err != nil {
		return nil, cmdutil.FlagErrorf("--docker_image/--volumes/--networks: %v", err)
	}
	return ci, nil
}

// NewTaskID returns name plus a random suffix: task IDs must be unique per
// agent, and the same name is often run many times.
func NewTaskID(name string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	id := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < 0x20 || r == 0x7f || r == ' ' {
			return '_'
		}
		return r
	}, name)
	if len(id) > 200 {
		id = id[:200]
	}
	return id + "." + hex.EncodeToString(b)
}

// ParseEnv reads --env: a JSON object of strings, or file:// (or a plain
// path) holding one.
func ParseEnv(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	data := []byte(s)
	if p, ok := strings.CutPrefix(s, "file://"); ok || strings.HasPrefix(s, "/") {
		if !ok {
			p = s
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		data = b
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf(`want a JSON object like {"NAME":"value"}: %v`, err)
	}
	env := make(map[string]string, len(raw))
	for k, v := range raw {
		switch x := v.(type) {
		case string:
			env[k] = x
		case float64, bool:
			env[k] = fmt.Sprint(x)
		default:
			return nil, fmt.Errorf("value of %s must be a string", k)
		}
	}
	return env, nil
}

// ParseKillAfter reads a duration in Mesos syntax (10secs, 2mins, 1.5hrs)
// or Go syntax (10s, 2m).
func ParseKillAfter(s string) (time.Duration, error) {
	if d, err := mesos.ParseDuration(s); err == nil {
		return d, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid duration %q (e.g. 10secs, 2mins, 30s)", s)
	}
	return d, nil
}

// Run launches and follows the task.
func Run(ctx context.Context, o *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	spec, req, err := o.Spec()
	if err != nil {
		return err
	}
	var killAfter time.Duration
	if o.KillAfter != "" {
		if killAfter, err = ParseKillAfter(o.KillAfter); err != nil {
			return cmdutil.FlagErrorf("--kill_after: %v", err)
		}
		if o.Detach {
			return cmdutil.FlagErrorf("--kill_after needs exec to stay: it cannot be combined with --detach")
		}
	}
	if o.Principal != "" {
		o.Sel.User, o.Sel.Password = o.Principal, o.Secret
	}
	// The fan-out limit comes from the configuration file: read it while
	// ZooKeeper answers (≈ 2 ms of the critical path otherwise).
	fanout := make(chan int, 1)
	go func() { fanout <- o.Sel.Fanout() }()
	cands, err := o.Sel.Candidates(ctx)
	if err != nil {
		return err
	}
	var launched *api.TaskInfo
	agent, err := placement.Place(ctx, cands, req, o.Sel.Client, <-fanout, func(ctx context.Context, a placement.Agent) error {
		ti, err := o.Sel.Client(a.Candidate).LaunchTask(ctx, spec)
		if errors.Is(err, agentclient.ErrNotFound) {
			return fmt.Errorf("%s (%s) has no mesosctl task API: exec launches tasks through mesosctl agentd, not a Mesos agent", a.Name, a.Addr)
		}
		launched = ti
		return err
	})
	if err != nil {
		return err
	}
	// Progress goes to stdout as mesos-execute prints it; with --detach
	// stdout carries only the task ID, progress goes to stderr.
	out := o.IO.Out
	if o.Detach {
		out = o.IO.ErrOut
	}
	agentID := launched.AgentID
	if agentID == "" {
		agentID = agent.ID
	}
	// mesos-execute prints its framework's ID once subscribed; agentd's
	// task API makes the framework with the launch.
	fmt.Fprintf(out, "Subscribed with ID %s\n", launched.FrameworkID)
	fmt.Fprintf(out, "Submitted task '%s' to agent '%s'\n", spec.Name, agentID)
	fmt.Fprintf(o.IO.ErrOut, "task ID %s on %s\n", spec.TaskID, agent.Name)

	cl := o.Sel.Client(agent.Candidate)
	var mu sync.Mutex
	var timer *time.Timer
	defer func() {
		mu.Lock()
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
	}()
	onUpdate := func(u api.TaskUpdate) {
		if !taskwatch.Printable(u) {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		taskwatch.PrintUpdate(out, spec.Name, u)
		if u.State == "TASK_RUNNING" && killAfter > 0 && timer == nil {
			timer = time.AfterFunc(killAfter, func() {
				mu.Lock()
				fmt.Fprintf(out, "Asked to kill task '%s' on agent '%s'\n", spec.Name, agentID)
				mu.Unlock()
				if _, err := cl.KillTask(context.Background(), spec.TaskID); err != nil {
					fmt.Fprintf(o.IO.ErrOut, "killing task %s: %v\n", spec.TaskID, err)
				}
			})
		}
	}
	var stop func(string) bool
	if o.Detach {
		stop = func(s string) bool { return s == "TASK_RUNNING" }
	}
	final, err := taskwatch.Follow(ctx, cl, spec.TaskID, 0, stop, onUpdate)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintf(o.IO.ErrOut, "task %s keeps running on %s (mesosctl task kill %s)\n", spec.TaskID, agent.Name, spec.TaskID)
			return cmdutil.CancelError
		}
		return err
	}
	if o.Detach && final.State == "TASK_RUNNING" {
		fmt.Fprintln(o.IO.Out, spec.TaskID)
		return nil
	}
	return cmdutil.ExitStatus(taskwatch.ExitCode(final))
}
