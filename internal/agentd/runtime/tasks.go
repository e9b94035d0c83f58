package runtime

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/agentd/checkpoint"
)

// InvalidError is a request the runtime refuses as malformed (an
// unusable ID, a task without a command, a negative resource): the
// caller's mistake, not the agent's (HTTP 400).
type InvalidError struct{ msg string }

func (e *InvalidError) Error() string { return e.msg }

func badRequestf(format string, a ...any) error { return &InvalidError{fmt.Sprintf(format, a...)} }

// SpecOf converts a task API launch request to the runtime's TaskSpec,
// checking the numbers (Launch checks the IDs and the command).
func SpecOf(in api.TaskSpec) (TaskSpec, error) {
	r := in.Resources
	for name, v := range map[string]float64{"cpus": r.CPUs, "mem": r.Mem, "disk": r.Disk} {
		if v < 0 || v != v {
			return TaskSpec{}, badRequestf("resources.%s must be a non-negative number, got %v", name, v)
		}
	}
	if in.PidsMax < 0 {
		return TaskSpec{}, badRequestf("pids_max must not be negative")
	}
	for _, u := range []struct {
		set        bool
		field, why string
	}{
		{len(in.HealthCheck) > 0 && string(in.HealthCheck) != "null", "health_check", "agentd runs no health checks (Mesos' command and docker executors would)"},
		{len(in.Check) > 0 && string(in.Check) != "null", "check", "agentd runs no checks"},
		{len(in.Executor) > 0 && string(in.Executor) != "null", "executor", "agentd runs a task with its own command or Docker executor; custom executors, such as an ExecutorInfo with a DOCKER container (which Mesos runs inside that container), are not supported"},
	} {
		if u.set {
			return TaskSpec{}, badRequestf("%s is not supported: %s", u.field, u.why)
		}
	}
	for _, c := range in.FrameworkCapabilities {
		if !slices.Contains(api.FrameworkCapabilityTypes, c) {
			return TaskSpec{}, badRequestf("framework_capabilities: unknown capability '%s' (known: %s)", c, strings.Join(api.FrameworkCapabilityTypes, ", "))
		}
	}
	if kp := in.KillPolicy; kp != nil && kp.GracePeriod != nil && kp.GracePeriod.Nanoseconds < 0 {
		return TaskSpec{}, badRequestf("Task's 'kill_policy.grace_period' must be non-negative")
	}
	if c := in.Container; c != nil {
		if err := c.Validate(); err != nil {
			return TaskSpec{}, badRequestf("invalid container: %v", err)
		}
		c.Normalize()
		if c.Type == api.ContainerTypeMesos && len(c.Volumes)+len(c.NetworkInfos) > 0 || c.Type == api.ContainerTypeMesos && c.Hostname != "" {
			return TaskSpec{}, badRequestf("invalid container: agentd's mesos containerizer mounts no volumes, joins no networks and sets no hostname (use a DOCKER container)")
		}
		if c.Docker != nil && c.Type == api.ContainerTypeMesos {
			return TaskSpec{}, badRequestf("invalid container: 'docker' is set on a MESOS container (use type DOCKER)")
		}
	}
	return TaskSpec{FrameworkID: in.FrameworkID, FrameworkName: in.FrameworkName, TaskID: in.TaskID, Name: in.Name,
		Command: in.Command, Argv: in.Argv, Env: in.Env, User: in.User, FrameworkUser: in.FrameworkUser, PidsMax: in.PidsMax,
		Resources: r, Container: in.Container, FrameworkCapabilities: in.FrameworkCapabilities, KillPolicy: in.KillPolicy}, nil
}

// validID refuses IDs that would escape or confuse the work_dir layout.
func validID(field, id string) error {
	if id == "." || id == ".." || id == "latest" || strings.ContainsAny(id, "/\\\x00") || len(id) > 255 {
		return badRequestf("invalid %s %q: IDs may not be '.', '..', 'latest', contain '/', or exceed 255 bytes", field, id)
	}
	for _, c := range id {
		if c < 0x20 || c == 0x7f {
			return badRequestf("invalid %s %q: control characters are not allowed", field, id)
		}
	}
	return nil
}

// LaunchTask launches a task of the task API and returns it as launched.
func (s *Service) LaunchTask(in api.TaskSpec) (api.TaskInfo, error) {
	spec, err := SpecOf(in)
	if err != nil {
		return api.TaskInfo{}, err
	}
	if _, err := s.rt.Launch(spec); err != nil {
		var ins *InsufficientError
		var cf *ConflictError
		var bad *InvalidError
		if !errors.As(err, &ins) && !errors.As(err, &cf) && !errors.As(err, &bad) {
			err = fmt.Errorf("launching task %s: %w", spec.TaskID, err)
		}
		return api.TaskInfo{}, err
	}
	v, err := s.rt.ViewOf(spec.TaskID)
	if err != nil {
		return api.TaskInfo{}, err
	}
	return TaskInfoOf(v), nil
}

// Tasks lists every task the runtime knows, oldest first.
func (s *Service) Tasks() []api.TaskInfo {
	views := s.rt.Views()
	out := make([]api.TaskInfo, 0, len(views))
	for _, v := range views {
		out = append(out, TaskInfoOf(v))
	}
	return out
}

// WaitTask returns task id once it has more than after statuses or has
// ended (after < 0: at once), or when timeout has passed. It returns
// ctx's error when ctx is done first.
func (s *Service) WaitTask(ctx context.Context, id string, after int, timeout time.Duration) (api.TaskInfo, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		changed := s.rt.Changed()
		v, err := s.rt.ViewOf(id)
		if err != nil {
			return api.TaskInfo{}, err
		}
		if after < 0 || len(v.Task.Statuses) > after || (checkpoint.Terminal(v.Task.State) && v.Finished) {
			return TaskInfoOf(v), nil
		}
		select {
		case <-changed:
		case <-deadline.C:
			return TaskInfoOf(v), nil
		case <-ctx.Done():
			return api.TaskInfo{}, ctx.Err()
		}
	}
}

// KillTask asks task id's executor to kill it and returns the task.
func (s *Service) KillTask(id string) (api.TaskInfo, error) {
	if err := s.rt.Kill(id); err != nil {
		return api.TaskInfo{}, err
	}
	v, err := s.rt.ViewOf(id)
	if err != nil {
		return api.TaskInfo{}, err
	}
	return TaskInfoOf(v), nil
}

// SandboxPaths are the virtual paths of the executor sandboxes (see
// Runtime.SandboxPaths), for /files and LIST_FILES/READ_FILE.
func (s *Service) SandboxPaths() map[string]string { return s.rt.SandboxPaths() }
