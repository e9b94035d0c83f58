package runtime

import (
	"context"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/agentd/atomicfile"
	"github.com/mesosctl/mesosctl/internal/agentd/checkpoint"
	"github.com/mesosctl/mesosctl/internal/agentd/docker"
	"github.com/mesosctl/mesosctl/internal/agentd/dockercontainerizer"
	"github.com/mesosctl/mesosctl/internal/agentd/dockerexecutor"
	"github.com/mesosctl/mesosctl/internal/agentd/launcher"
	"github.com/mesosctl/mesosctl/internal/mesos"
	"github.com/mesosctl/mesosctl/internal/procfs"
)

// Containerizer names (--containerizers).
const (
	ContainerizerMesos  = "mesos"
	ContainerizerDocker = "docker"
)

// DockerConfig is the Docker containerizer of a runtime whose
// --containerizers has docker.
type DockerConfig struct {
	// Containerizer is the engine side: pulls, orphans, removals.
	Containerizer *dockercontainerizer.Containerizer
	// SandboxDirectory is --sandbox_directory: where a container sees its
	// sandbox (MESOS_SANDBOX).
	SandboxDirectory string
	// LauncherDir is --launcher_dir (given to the executor, as Mesos does).
	LauncherDir string
	// StopTimeout is --docker_stop_timeout; RemoveDelay is
	// --docker_remove_delay.
	StopTimeout, RemoveDelay time.Duration
}

// dockerTaskInfo is the file in a container's runtime dir that the Docker
// executor reads its task from (--task_info).
const dockerTaskInfo = "docker_task_info"

// containerizerFor is the containerizer that runs a task, as Mesos'
// composing containerizer picks it: a DOCKER container goes to docker, any
// other task to mesos; "" when that one is not in --containerizers.
func (r *Runtime) containerizerFor(s TaskSpec) string {
	want := ContainerizerMesos
	if s.Container.IsDocker() {
		want = ContainerizerDocker
	}
	for _, c := range r.cfg.Containerizers {
		if c == want {
			return want
		}
	}
	if len(r.cfg.Containerizers) == 0 && want == ContainerizerMesos {
		return want // a runtime built without the list: mesos only
	}
	return ""
}

// dockerCommand is the task's command as the Docker executor runs it.
func dockerCommand(s TaskSpec) docker.Command {
	cmd := docker.Command{Env: s.Env}
	switch {
	case s.Command != "":
		cmd.Shell, cmd.Value = true, s.Command
	case len(s.Argv) > 0:
		cmd.Value, cmd.Arguments = s.Argv[0], s.Argv[1:]
	}
	return cmd
}

// dockerExecutorFlags are the Docker executor's flags, as Mesos' agent
// gives them (dockerFlags in src/slave/containerizer/docker.cpp), plus
// --task_info.
func (r *Runtime) dockerExecutorFlags(cid, sandbox string) []string {
	d := r.cfg.Docker
	cli := d.Containerizer.Docker()
	return []string{
		"--cgroups_enable_cfs=" + strconv.FormatBool(r.cfg.CgroupsEnableCFS),
		"--container=" + docker.ContainerName(cid),
		"--docker=" + cli.Path,
		"--docker_socket=" + cli.Socket,
		"--launcher_dir=" + d.LauncherDir,
		"--mapped_directory=" + d.SandboxDirectory,
		"--sandbox_directory=" + sandbox,
		"--stop_timeout=" + mesos.FormatDuration(d.StopTimeout),
		"--task_info=" + filepath.Join(r.paths.Runtime(cid), dockerTaskInfo),
	}
}

// writeDockerTask writes the executor's --task_info.
func (r *Runtime) writeDockerTask(info *launcher.Info, s TaskSpec) error {
	res := withExecutor(s.Resources)
	t := dockerexecutor.Task{TaskID: info.TaskID, FrameworkID: info.FrameworkID, ExecutorID: info.ExecutorID,
		ContainerID: info.ContainerID, AgentID: info.AgentID, WorkDir: info.WorkDir, RuntimeDir: info.RuntimeDir,
		Container: s.Container, Command: dockerCommand(s),
		Resources:             &docker.Resources{CPUs: res.Scalar("cpus"), Mem: res.Scalar("mem"), Role: "*"},
		FrameworkCapabilities: s.FrameworkCapabilities, KillPolicy: s.KillPolicy}
	b, err := jsonMarshal(t)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(r.paths.Runtime(info.ContainerID), dockerTaskInfo), b, 0o600)
}

// pullAndSpawn is the rest of a Docker task's launch, after its launch is
// checkpointed: the image is pulled (Mesos' PULLING: the task is
// TASK_STAGING meanwhile), then the executor starts. A failed pull, a
// kill meanwhile or a failed start ends the task with Mesos' message.
func (r *Runtime) pullAndSpawn(c *container, info *launcher.Info, owner *launcher.Account, s TaskSpec) {
	dc := r.cfg.Docker.Containerizer
	ctx, cancel := context.WithCancel(context.Background())
	r.mu.Lock()
	c.cancelPull = cancel
	killed := c.killRequested
	r.mu.Unlock()
	var err error
	if !killed {
		di := s.Container.Docker
		t0 := time.Now()
		err = dc.Pull(ctx, info.Sandbox, di.Image, di.ForcePull())
		if err == nil {
			r.logf(slog.LevelDebug, "Docker pull %s completed in %s", di.Image, time.Since(t0))
		}
	}
	cancel()
	r.mu.Lock()
	c.cancelPull = nil
	killed = c.killRequested
	closed := r.closed
	r.mu.Unlock()
	if closed {
		return // agentd stops: the next one finds a launch that never started
	}
	fail := func(msg string) {
		r.logf(slog.LevelError, "Container '%s' for executor '%s' of framework %s failed to start: %s",
			info.ContainerID, info.ExecutorID, info.FrameworkID, msg)
		t := launcher.Termination{Status: 1 << 8, Exited: true, Code: 1, Message: msg, Timestamp: launcher.Now()}
		if werr := checkpoint.WriteRecord(filepath.Join(r.paths.Runtime(info.ContainerID), "termination"), t); werr != nil {
			r.logf(slog.LevelError, "cannot checkpoint the failed launch of task %s: %v", info.TaskID, werr)
		}
		r.mu.Lock()
		c.exited = true
		r.mu.Unlock()
		r.finish(c)
	}
	switch {
	case killed:
		fail("Container destroyed while pulling image")
	case err != nil:
		fail("Failed to launch container: " + err.Error())
	default:
		if err := r.spawn(c, info, owner, &atomicfile.Batch{}, nil, forkedPid(r.paths, info), func() { r.finish(c) }); err != nil {
			fail("Failed to launch container: Failed to fork executor: " + err.Error())
		}
	}
}

// dockerEnded follows the end of a Docker task's executor: a container
// still running (its executor died) is stopped, and the container is
// removed --docker_remove_delay later.
func (r *Runtime) dockerEnded(l *launcher.Info) {
	d := r.cfg.Docker
	if d == nil {
		return
	}
	name := docker.ContainerName(l.ContainerID)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), d.StopTimeout+docker.ForceKillTimeout+time.Minute)
		defer cancel()
		cli := d.Containerizer.Docker()
		if ct, err := cli.Inspect(ctx, name); err == nil && ct.Running {
			r.logf(slog.LevelWarn, "Stopping Docker container %s: its executor has terminated", name)
			if err := cli.Stop(ctx, name, d.StopTimeout, false); err != nil {
				r.logf(slog.LevelWarn, "Failed to stop Docker container %s: %v", name, err)
			}
		}
		d.Containerizer.RemoveAfter(name, d.RemoveDelay)
	}()
}

// recoverDocker is the Docker containerizer's part of recovery, once the
// runtime has adopted its checkpointed containers: the engine's mesos-
// containers are listed (an engine that does not answer is an error: the
// agent does not start), orphans are killed with --docker_kill_orphans,
// and the containers of ended runs are removed when their delay is up.
func (r *Runtime) recoverDocker(ctx context.Context) error {
	d := r.cfg.Docker
	if d == nil {
		return nil
	}
	known := map[string]dockercontainerizer.Known{}
	r.mu.Lock()
	for _, c := range r.containers {
		if l := c.info.Launch; l != nil && len(l.DockerExecutor) > 0 {
			known[l.ContainerID] = dockercontainerizer.Known{Live: !c.finished, Ended: c.finished, EndedAt: c.endedAt}
		}
	}
	r.mu.Unlock()
	r.logf(slog.LevelInfo, "Recovering Docker containers")
	res, err := d.Containerizer.Recover(ctx, func(cid string) dockercontainerizer.Known { return known[cid] })
	if err != nil {
		return err
	}
	r.logf(slog.LevelInfo, "Got the list of Docker containers: %d mesos- containers, %d orphans killed", len(res.Containers), len(res.Orphans))
	return nil
}

// dockerProcesses joins a running Docker task's container processes to
// the process tree: the engine gives the container's main pid, whose
// parent is containerd's shim, not the executor.
func (r *Runtime) dockerProcesses(ctx context.Context, v View, build func(pid int) api.Process) *api.ProcessDocker {
	pd := &api.ProcessDocker{Container: docker.ContainerName(v.ContainerID)}
	if v.Spec.Container != nil && v.Spec.Container.Docker != nil {
		pd.Image = v.Spec.Container.Docker.Image
	}
	d := r.cfg.Docker
	if d == nil {
		pd.Error = "agentd has no Docker containerizer (--containerizers) to ask"
		return pd
	}
	ct, err := d.Containerizer.Docker().Inspect(ctx, pd.Container)
	switch {
	case err != nil && docker.IsNoSuchContainer(err):
		pd.Error = "the engine has no such container (yet)"
		return pd
	case err != nil:
		pd.Error = err.Error()
		return pd
	case !ct.Running || ct.Pid <= 0:
		pd.Error = "the container is not running (" + ct.Status + ")"
		return pd
	}
	pd.Pid = ct.Pid
	if st, err := procfs.ReadStat(ct.Pid); err == nil {
		pd.ShimPID = st.PPID
	}
	if pd.ShimPID > 0 {
		pd.ShimCommand = strings.Join(procfs.Cmdline(pd.ShimPID), " ")
	}
	pd.Processes = []api.Process{build(ct.Pid)}
	return pd
}

// stopPull is what a kill of a Docker task in PULLING does: it cancels
// the pull. Call with r.mu held.
func (c *container) stopPull() {
	if c.cancelPull != nil {
		c.cancelPull()
	}
}

// containerizerNames is --containerizers as given (mesos when unset).
func (r *Runtime) containerizerNames() []string {
	if len(r.cfg.Containerizers) == 0 {
		return []string{ContainerizerMesos}
	}
	return r.cfg.Containerizers
}
