package agentd

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/agentd/httpapi"
	"github.com/mesosctl/mesosctl/internal/agentd/runtime"
	"github.com/mesosctl/mesosctl/internal/mesos"
)

// Runtime is the task-execution half of the agent (containerizer,
// executors, recovery). The Agent installs its HTTP endpoints (the task
// API, /files, the v1 container calls: httpapi.Runtime), starts serving
// HTTP (/state and /api/v1 answer 503 meanwhile), calls Recover, and only
// then serves those endpoints; Shutdown is called once when the agent
// stops. The real one is *runtime.Service.
type Runtime interface {
	httpapi.Runtime
	Recover(ctx context.Context) error               // before the HTTP server serves /state, /api/v1
	Frameworks() (active, completed []api.Framework) // for /state, GET_STATE, GET_FRAMEWORKS, GET_EXECUTORS, GET_TASKS
	Containers() []api.Container                     // /containers, GET_CONTAINERS
	Allocated() mesos.Resources                      // used resources for /state *_allocated and metrics
	Metrics() map[string]float64                     // slave/tasks_* etc.
	Shutdown(ctx context.Context) error
}

var _ Runtime = (*runtime.Service)(nil)

// RuntimeFactory builds the Runtime for an agent once its identity is
// known (agent ID, work_dir, flags). Config.NewRuntime is one only in
// tests that inject a runtime of their own; agentd builds the real one.
type RuntimeFactory func(env RuntimeEnv) (Runtime, error)

// RuntimeEnv is what a Runtime gets from the agent.
type RuntimeEnv struct {
	Config    *Config
	AgentID   string
	Hostname  string          // the agent's hostname (as in /state)
	PID       string          // the agent's libprocess PID, slave(1)@ip:port (as in /state)
	Resources mesos.Resources // total agent resources after auto-detection
	// MetaDir is <work_dir>/meta/slaves/<agent_id>.
	MetaDir string
	// SandboxRoot is <work_dir>/slaves/<agent_id>.
	SandboxRoot string
	// Logger is the agent's log.
	Logger *slog.Logger
}

// newRuntime builds the real task runtime from the configuration:
// containers are launched by re-executing Config.Executable
// (`mesosctl containerizer launch …`) with the isolation of --isolation.
func newRuntime(env RuntimeEnv) (Runtime, error) {
	c := env.Config
	v := c.Flags
	log := env.Logger
	if len(c.IgnoredIsolators) > 0 {
		log.Warn("Isolators accepted but not enforced by agentd: " + strings.Join(c.IgnoredIsolators, ","))
	}
	log.Info("Using isolation { " + strings.Join(c.Isolation, " ") + " }")
	exe := c.Executable
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("cannot find the mesosctl executable to launch containers with: %v", err)
		}
	}
	res := env.Resources
	cfg := runtime.Config{
		WorkDir: c.WorkDir, RuntimeDir: c.RuntimeDir, AgentID: env.AgentID, Executable: exe,
		Isolation:        c.Isolation,
		CgroupsHierarchy: v.String("cgroups_hierarchy"), CgroupsRoot: v.String("cgroups_root"),
		CgroupsEnableCFS: v.Bool("cgroups_enable_cfs"),
		GracePeriod:      v.Duration("executor_shutdown_grace_period"),
		Recover:          v.String("recover"), Strict: v.Bool("strict"),
		Total:        mesos.Scalars(res.Scalar("cpus"), res.Scalar("mem"), res.Scalar("disk")),
		Logger:       log,
		MaxCompleted: v.Int("max_completed_executors_per_framework"),
		GCDelay:      v.Duration("gc_delay"),
		SwitchUser:   v.Bool("switch_user"),
		AgentEnv: runtime.AgentEnvironment(runtime.EnvOptions{
			Variables: c.ExecutorEnvironment, LibprocessIP: os.Getenv("LIBPROCESS_IP"),
			AgentPID: env.PID, HTTPCommandExecutor: v.Bool("http_command_executor"),
			ShutdownGracePeriod:   v.Duration("executor_shutdown_grace_period"),
			RecoveryTimeout:       v.Duration("recovery_timeout"),
			ReregistrationTimeout: v.Duration("executor_reregistration_timeout"),
		}),
	}
	svc := runtime.NewService(cfg, env.Hostname)
	inForce, err := svc.Runtime().PrepareIsolation()
	if err != nil {
		return nil, fmt.Errorf("isolation %s cannot be applied: %v", strings.Join(c.Isolation, ","), err)
	}
	log.Info("Isolation in force: " + inForce)
	return svc, nil
}
