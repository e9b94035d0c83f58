package agentd

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/agentd/docker"
	"github.com/mesosctl/mesosctl/internal/agentd/dockercontainerizer"
	"github.com/mesosctl/mesosctl/internal/agentd/flags"
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
	Monitor() []api.MonitorStatistics                // /monitor/statistics
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
	IP        string          // the agent's advertised IP (in PID)
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
		Total:          mesos.Scalars(res.Scalar("cpus"), res.Scalar("mem"), res.Scalar("disk")),
		Logger:         log,
		MaxCompleted:   v.Int("max_completed_executors_per_framework"),
		GCDelay:        v.Duration("gc_delay"),
		GCDiskHeadroom: v.Float("gc_disk_headroom"), DiskWatchInterval: v.Duration("disk_watch_interval"),
		SwitchUser: v.Bool("switch_user"),
		AgentIP:    env.IP, AgentIP6: c.IP6,
		CgroupsLimitSwap:            v.Bool("cgroups_limit_swap"),
		CgroupsDestroyTimeout:       v.Duration("cgroups_destroy_timeout"),
		ExecutorRegistrationTimeout: v.Duration("executor_registration_timeout"),
		CountProcesses:              v.Bool("cgroups_cpu_enable_pids_and_tids_count"),
		KeepOrphans:                 v.Bool(flags.KeepOrphans),
		WarmLaunchers:               v.Int(flags.WarmLaunchers),
		AgentEnv: runtime.AgentEnvironment(runtime.EnvOptions{
			Variables: c.ExecutorEnvironment, LibprocessIP: os.Getenv("LIBPROCESS_IP"),
			AgentPID: env.PID, HTTPCommandExecutor: v.Bool("http_command_executor"),
			ShutdownGracePeriod:   v.Duration("executor_shutdown_grace_period"),
			RecoveryTimeout:       v.Duration("recovery_timeout"),
			ReregistrationTimeout: v.Duration("executor_reregistration_timeout"),
		}),
	}
	cfg.Containerizers = c.Containerizers
	if slices.Contains(c.Containerizers, runtime.ContainerizerDocker) {
		d, err := newDocker(c, log)
		if err != nil {
			return nil, err
		}
		cfg.Docker = d
	}
	ports, err := portsConfig(v, res)
	if err != nil {
		return nil, err
	}
	cfg.Ports = ports
	svc := runtime.NewService(cfg, env.Hostname)
	inForce, err := svc.Runtime().PrepareIsolation()
	if err != nil {
		return nil, fmt.Errorf("isolation %s cannot be applied: %v", strings.Join(c.Isolation, ","), err)
	}
	log.Info("Isolation in force: " + inForce)
	return svc, nil
}

// newDocker builds the Docker containerizer from --docker, --docker_socket,
// --docker_config, --docker_stop_timeout, --docker_remove_delay,
// --docker_kill_orphans, --sandbox_directory and --launcher_dir, and checks
// the docker CLI as a Mesos agent does at start: a missing or too old CLI
// keeps the agent from starting (an engine that does not answer is found
// at recovery, with the same effect).
func newDocker(c *Config, log *slog.Logger) (*runtime.DockerConfig, error) {
	v := c.Flags
	cli, err := docker.New(v.String("docker"), v.String("docker_socket"), c.DockerConfig)
	if err != nil {
		return nil, &startupError{fmt.Errorf("Failed to create a containerizer: Could not create DockerContainerizer: Failed to create docker: %w", err)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), docker.VersionTimeout+time.Second)
	defer cancel()
	dc, err := dockercontainerizer.New(ctx, dockercontainerizer.Config{Docker: cli,
		StopTimeout: v.Duration("docker_stop_timeout"), RemoveDelay: v.Duration("docker_remove_delay"),
		KillOrphans: v.Bool("docker_kill_orphans"),
		Logf: func(format string, a ...any) {
			level, msg := slog.LevelInfo, fmt.Sprintf(format, a...)
			if rest, ok := strings.CutPrefix(msg, "W "); ok {
				level, msg = slog.LevelWarn, rest
			} else if rest, ok := strings.CutPrefix(msg, "I "); ok {
				msg = rest
			}
			log.Log(context.Background(), level, msg)
		}})
	if err != nil {
		return nil, &startupError{err}
	}
	log.Info(fmt.Sprintf("Docker containerizer: %s on %s", cli.Path, cli.Host()))
	return &runtime.DockerConfig{Containerizer: dc, SandboxDirectory: v.String("sandbox_directory"),
		LauncherDir: v.String("launcher_dir"), StopTimeout: v.Duration("docker_stop_timeout"),
		RemoveDelay: v.Duration("docker_remove_delay")}, nil
}

// startupError is an error that keeps the agent from starting and is
// reported as it is (a Mesos agent's fatal error), not as a failure to
// create the runtime.
type startupError struct{ err error }

func (e *startupError) Error() string        { return e.err.Error() }
func (e *startupError) Unwrap() error        { return e.err }
func (e *startupError) StartupFailure() bool { return true }

// portsConfig is the network/ports isolator's configuration from
// --enforce_container_ports, --container_ports_watch_interval,
// --container_ports_isolated_range and --check_agent_port_range_only (the
// agent's own ports resource, res).
func portsConfig(v *flags.Values, res mesos.Resources) (runtime.PortsConfig, error) {
	pc := runtime.PortsConfig{Enforce: v.Bool("enforce_container_ports"),
		WatchInterval: v.Duration("container_ports_watch_interval")}
	if s, ok := v.Get("container_ports_isolated_range"); ok {
		val, err := mesos.ParseValue(s)
		if err != nil || val.Type != mesos.Ranges {
			return pc, fmt.Errorf("Failed to load flag 'container_ports_isolated_range': '%s' is not a port range like [0-35000]", s)
		}
		pc.Checked = val.Ranges
	}
	if v.Bool("check_agent_port_range_only") {
		if ports, ok := res.Get("ports"); ok && ports.Type == mesos.Ranges {
			pc.Checked = ports.Ranges
		}
	}
	return pc, nil
}
