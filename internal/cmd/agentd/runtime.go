package agentd

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	agent "github.com/mesosctl/mesosctl/internal/agentd"
	"github.com/mesosctl/mesosctl/internal/agentd/runtime"
)

// supportedIsolators are the --isolation names agentd enforces; the other
// Mesos isolator names are accepted and have no effect (docs/agentd.md).
var supportedIsolators = map[string]bool{
	"posix/cpu": true, "posix/mem": true, "cgroups/cpu": true, "cgroups/mem": true,
	"cgroups/pids": true, "cgroups/all": true, "namespaces/pid": true,
}

// knownIsolators are Mesos' isolator names (mesos-agent.md §6.4).
var knownIsolators = map[string]bool{
	"posix/rlimits": true, "disk/du": true, "disk/xfs": true, "filesystem/posix": true,
	"filesystem/linux": true, "filesystem/shared": true, "filesystem/windows": true,
	"windows/cpu": true, "windows/mem": true, "cgroups/blkio": true, "cgroups/cpuset": true,
	"cgroups/devices": true, "cgroups/hugetlb": true, "cgroups/net_cls": true,
	"cgroups/net_prio": true, "cgroups/perf_event": true, "appc/runtime": true,
	"docker/runtime": true, "docker/volume": true, "linux/devices": true,
	"linux/capabilities": true, "linux/nnp": true, "linux/seccomp": true,
	"namespaces/ipc": true, "network/cni": true, "network/port_mapping": true,
	"network/ports": true, "gpu/nvidia": true, "volume/host_path": true, "volume/image": true,
	"volume/sandbox_path": true, "volume/secret": true, "volume/csi": true,
	"environment_secret": true,
}

// checkIsolation normalises --isolation and sorts it into what agentd
// enforces and the Mesos isolators it accepts without effect (ignored); an
// unknown name is an error, and so is a cgroups/* isolator agentd cannot
// apply (a limit that was asked for is never silently absent).
func checkIsolation(s string) (iso, ignored []string, err error) {
	iso = runtime.NormalizeIsolation(s)
	for _, i := range iso {
		switch {
		case supportedIsolators[i]:
		case strings.HasPrefix(i, "cgroups/") && knownIsolators[i]:
			return nil, nil, fmt.Errorf("Failed to load flag 'isolation': agentd cannot apply the isolator '%s' (it applies cgroups/cpu, cgroups/mem and cgroups/pids; cgroups/all is those of them the hierarchy offers): drop it from --isolation", i)
		case knownIsolators[i]:
			ignored = append(ignored, i)
		default:
			return nil, nil, fmt.Errorf("Failed to load flag 'isolation': unknown isolator '%s' (agentd enforces posix/cpu, posix/mem, cgroups/cpu, cgroups/mem, cgroups/pids, cgroups/all, namespaces/pid and accepts Mesos' other isolator names without effect)", i)
		}
	}
	return iso, ignored, nil
}

// RuntimeFactory returns the task runtime agentd runs: containers are
// launched by re-executing exe (`exe containerizer launch …`).
func RuntimeFactory(exe string, log *slog.Logger) agent.RuntimeFactory {
	return func(env agent.RuntimeEnv) (agent.Runtime, error) {
		v := env.Config.Flags
		iso, ignored, err := checkIsolation(v.String("isolation"))
		if err != nil {
			return nil, err
		}
		if len(ignored) > 0 && log != nil {
			log.Warn("Isolators accepted but not enforced by agentd: " + strings.Join(ignored, ","))
		}
		if log != nil {
			log.Info("Using isolation { " + strings.Join(iso, " ") + " }")
		}
		res := env.Resources
		cfg := runtime.Config{
			WorkDir: env.Config.WorkDir, RuntimeDir: env.Config.RuntimeDir, AgentID: env.AgentID, Executable: exe,
			Isolation:        iso,
			CgroupsHierarchy: v.String("cgroups_hierarchy"), CgroupsRoot: v.String("cgroups_root"),
			CgroupsEnableCFS: v.Bool("cgroups_enable_cfs"),
			GracePeriod:      v.Duration("executor_shutdown_grace_period"),
			Recover:          v.String("recover"), Strict: v.Bool("strict"),
			Total:        runtime.Res{CPUs: res.Scalar("cpus"), Mem: res.Scalar("mem"), Disk: res.Scalar("disk")},
			Log:          logWriter{log},
			MaxCompleted: v.Int("max_completed_executors_per_framework"),
			GCDelay:      v.Duration("gc_delay"),
			SwitchUser:   v.Bool("switch_user"),
			AgentEnv: runtime.AgentEnvironment(runtime.EnvOptions{
				Variables: env.Config.ExecutorEnvironment, LibprocessIP: os.Getenv("LIBPROCESS_IP"),
				AgentPID: env.PID, HTTPCommandExecutor: v.Bool("http_command_executor"),
				ShutdownGracePeriod:   v.Duration("executor_shutdown_grace_period"),
				RecoveryTimeout:       v.Duration("recovery_timeout"),
				ReregistrationTimeout: v.Duration("executor_reregistration_timeout"),
			}),
		}
		svc := runtime.NewService(cfg, env.Hostname)
		inForce, err := svc.Runtime().PrepareIsolation()
		if err != nil {
			return nil, fmt.Errorf("isolation %s cannot be applied: %v", strings.Join(iso, ","), err)
		}
		if log != nil {
			log.Info("Isolation in force: " + inForce)
		}
		return svc, nil
	}
}

// logWriter turns the runtime's "W message" / "I message" lines into
// agent log records.
type logWriter struct{ log *slog.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	if w.log == nil {
		return len(p), nil
	}
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "W "):
			w.log.Warn(line[2:])
		case strings.HasPrefix(line, "E "):
			w.log.Error(line[2:])
		default:
			w.log.Info(strings.TrimPrefix(line, "I "))
		}
	}
	return len(p), nil
}
