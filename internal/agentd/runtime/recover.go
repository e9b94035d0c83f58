package runtime

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/mesosctl/mesosctl/internal/agentd/checkpoint"
	"github.com/mesosctl/mesosctl/internal/agentd/procfs"
)

// RecoveryError wraps a corrupt checkpoint found with --strict=true.
type RecoveryError struct{ Err error }

func (e *RecoveryError) Error() string { return "Failed to perform recovery: " + e.Err.Error() }
func (e *RecoveryError) Unwrap() error { return e.Err }

// Recover reads meta/slaves/<aid> and re-adopts every run: live containers
// (launcher pid alive with the checkpointed start time) are followed again
// (--recover=reconnect) or killed (--recover=cleanup); containers that
// ended while agentd was down are finished with their true exit status from
// task.updates / the runtime termination record. A corrupt checkpoint is
// fatal with Strict, else skipped with a warning and counted in
// slave/recovery_errors.
func (r *Runtime) Recover() error {
	fws, _ := filepath.Glob(filepath.Join(r.paths.AgentMeta(), "frameworks", "*"))
	var toFinish, toKill []*container
	for _, fw := range fws {
		var fi frameworkInfo
		fid := filepath.Base(fw)
		if err := checkpoint.ReadRecord(r.paths.FrameworkInfo(fid), &fi); err != nil {
			if e := r.recoveryProblem(err); e != nil {
				return e
			}
		}
		runs, _ := filepath.Glob(filepath.Join(fw, "executors", "*", "runs", "*"))
		for _, run := range runs {
			if filepath.Base(run) == "latest" {
				continue
			}
			tasks, _ := filepath.Glob(filepath.Join(run, "tasks", "*", "task.info"))
			for _, ti := range tasks {
				c, err := r.recoverTask(ti, run, fi.Name)
				if err != nil {
					if e := r.recoveryProblem(err); e != nil {
						return e
					}
					continue
				}
				if c == nil {
					continue
				}
				r.mu.Lock()
				if _, dup := r.containers[c.task.ID]; dup {
					r.mu.Unlock()
					continue
				}
				r.containers[c.task.ID] = c
				if !c.finished {
					r.allocated = r.allocated.add(c.task.Resources.add(c.execRes))
				}
				r.mu.Unlock()
				if c.finished {
					continue
				}
				if !procfs.Alive(c.pid, c.start) {
					toFinish = append(toFinish, c)
				} else if r.cfg.Recover == "cleanup" {
					toKill = append(toKill, c)
				}
			}
		}
	}
	// Launch order = time of the first status update (STARTING), so that
	// listings and pruning keep the most recent tasks.
	r.mu.Lock()
	all := make([]*container, 0, len(r.containers))
	for _, c := range r.containers {
		all = append(all, c)
	}
	first := func(c *container) float64 {
		if len(c.task.Statuses) > 0 {
			return c.task.Statuses[0].Timestamp
		}
		return math.MaxFloat64
	}
	sort.SliceStable(all, func(i, j int) bool {
		if first(all[i]) != first(all[j]) {
			return first(all[i]) < first(all[j])
		}
		return all[i].task.ID < all[j].task.ID
	})
	for _, c := range all {
		r.seq++
		c.seq = r.seq
	}
	r.mu.Unlock()
	for _, c := range toFinish {
		r.finish(c)
	}
	r.mu.Lock()
	fids := map[string]bool{}
	for _, c := range r.containers {
		fids[c.task.FrameworkID] = true
	}
	for fid := range fids {
		r.pruneLocked(fid)
	}
	r.mu.Unlock()
	for _, c := range toKill {
		r.logf("I Killing executor of task %s (--recover=cleanup)", c.task.ID)
		_ = syscall.Kill(c.pid, syscall.SIGTERM)
	}
	return nil
}

func (r *Runtime) recoveryProblem(err error) error {
	if r.cfg.Strict {
		return &RecoveryError{err}
	}
	r.mu.Lock()
	r.recErrors++
	r.mu.Unlock()
	r.logf("W Skipping corrupt checkpoint (--strict=false): %v", err)
	return nil
}

func (r *Runtime) recoverTask(infoPath, run, fwName string) (*container, error) {
	var ti taskInfo
	if err := checkpoint.ReadRecord(infoPath, &ti); err != nil {
		return nil, err
	}
	if ti.Launch == nil {
		return nil, &checkpoint.CorruptError{Path: infoPath, Reason: "no launch info"}
	}
	c := &container{info: ti, task: ti.Task, done: make(chan struct{}), recovered: true, execRes: Res{ExecutorCPUs, ExecutorMemMB, 0}, frameName: fwName}
	c.task.Statuses = []checkpoint.Status{}
	if pidText, err := checkpoint.ReadText(filepath.Join(r.paths.Runtime(ti.Launch.ContainerID), "pid")); err == nil {
		f := strings.Fields(pidText)
		if len(f) == 2 {
			c.pid, _ = strconv.Atoi(f[0])
			c.start, _ = strconv.ParseUint(f[1], 10, 64)
		}
	}
	if c.pid == 0 {
		c.pid, _ = checkpoint.ReadInt(r.paths.ForkedPid(ti.Launch.FrameworkID, ti.Launch.ExecutorID, ti.Launch.ContainerID))
		if c.pid != 0 {
			// No start time recorded: the launcher died before writing it.
			c.start = ^uint64(0)
		}
	}
	r.readUpdates(c)
	if fi, err := os.Stat(filepath.Join(run, "executor.sentinel")); err == nil {
		c.finished = true
		c.endedAt = fi.ModTime()
		close(c.done)
	}
	return c, nil
}

var _ = fmt.Sprint
