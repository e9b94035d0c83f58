package runtime

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/mesosctl/mesosctl/internal/agentd/cgroups"
	"github.com/mesosctl/mesosctl/internal/agentd/checkpoint"
	"github.com/mesosctl/mesosctl/internal/agentd/launcher"
	"github.com/mesosctl/mesosctl/internal/procfs"
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
		if _, err := os.Stat(r.paths.FrameworkInfo(fid)); errors.Is(err, fs.ErrNotExist) {
			// As in Mesos (FrameworkState::recover): the agent died after
			// creating the framework directory and before framework.info
			// was checkpointed, so nothing of the framework ever ran.
			r.logf(slog.LevelWarn, "Failed to find framework info file '%s'", r.paths.FrameworkInfo(fid))
			continue
		}
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
					r.allocated = r.allocated.Add(c.need)
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
		r.logf(slog.LevelInfo, "Killing executor of task %s (--recover=cleanup)", c.task.ID)
		_ = syscall.Kill(c.pid, syscall.SIGTERM)
	}
	// From now on, updates and ended executors count in the metrics: what
	// recovery read had happened before this agent process.
	r.mu.Lock()
	r.counting = true
	r.mu.Unlock()
	return nil
}

func (r *Runtime) recoveryProblem(err error) error {
	if r.cfg.Strict {
		return &RecoveryError{err}
	}
	r.mu.Lock()
	r.recErrors++
	r.mu.Unlock()
	r.logf(slog.LevelWarn, "Skipping corrupt checkpoint (--strict=false): %v", err)
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
	c := &container{info: ti, task: ti.Task, done: make(chan struct{}), recovered: true, need: withExecutor(ti.Task.Resources), frameName: fwName}
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
	if _, err := os.Stat(filepath.Join(r.paths.Runtime(ti.Launch.ContainerID), KillMarker)); err == nil {
		c.killRequested = true
	}
	r.readUpdates(c)
	if fi, err := os.Stat(filepath.Join(run, "executor.sentinel")); err == nil {
		c.finished = true
		c.endedAt = fi.ModTime()
		close(c.done)
	}
	return c, nil
}

// reapOrphans removes what launches cut short by a crash of agentd left
// behind, once the checkpoint is recovered: a container is known when its
// task (or standalone container) was recovered; everything else of this
// agent is an orphan, as for Mesos' containerizer. Orphan container
// processes are killed, orphan cgroups destroyed, orphan runtime and
// sandbox directories (a launch that never reached task.info) removed.
// The containers of previous agent IDs are reapPreviousAgents' (orphans.go).
func (r *Runtime) reapOrphans() {
	known := map[string]bool{}
	r.mu.Lock()
	for _, c := range r.containers {
		if c.info.Launch != nil {
			known[c.info.Launch.ContainerID] = !c.finished
		}
	}
	for cid, c := range r.standalone {
		known[cid] = !c.finished
	}
	r.mu.Unlock()
	kept := r.reapPreviousAgents(known)

	rtDirs, _ := filepath.Glob(filepath.Join(r.cfg.RuntimeDir, "containers", "*"))
	for _, dir := range rtDirs {
		cid := filepath.Base(dir)
		if _, ok := known[cid]; ok {
			continue
		}
		var info launcher.Info
		if err := checkpoint.ReadRecord(filepath.Join(dir, "launch_info.rec"), &info); err == nil {
			if info.AgentID != r.cfg.AgentID {
				continue // another agent ID's container: not ours to judge
			}
			if !info.Standalone {
				if _, err := os.Stat(r.paths.RunMeta(info.FrameworkID, info.ExecutorID, cid)); err == nil {
					continue // checkpointed, but not recovered (corrupt, with --strict=false): keep
				}
			}
		} else if !os.IsNotExist(err) {
			continue // unreadable: keep, as a corrupt checkpoint is kept
		}
		if txt, err := checkpoint.ReadText(filepath.Join(dir, "pid")); err == nil {
			var pid int
			var start uint64
			if _, err := fmt.Sscan(txt, &pid, &start); err == nil && procfs.Alive(pid, start) {
				r.logf(slog.LevelWarn, "Killing orphan container %s (launcher pid %d): agentd has no record of its launch", cid, pid)
				r.killContainer("", pid, start, syscall.SIGKILL)
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		info.Cgroup.DestroyWithin(r.destroyTimeout())
		if err := os.RemoveAll(dir); err != nil {
			r.logf(slog.LevelWarn, "remove orphan runtime directory %s: %v", dir, err)
		}
	}

	runs, _ := filepath.Glob(filepath.Join(r.cfg.WorkDir, "slaves", r.cfg.AgentID, "frameworks", "*", "executors", "*", "runs", "*"))
	for _, run := range runs {
		cid := filepath.Base(run)
		if _, ok := known[cid]; ok || cid == "latest" {
			continue
		}
		eid := filepath.Base(filepath.Dir(filepath.Dir(run)))
		fid := filepath.Base(filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(run)))))
		if _, err := os.Stat(r.paths.RunMeta(fid, eid, cid)); err == nil {
			continue // checkpointed, but not recovered (corrupt, with --strict=false): keep
		}
		if err := os.RemoveAll(run); err != nil {
			r.logf(slog.LevelWarn, "remove orphan sandbox %s: %v", run, err)
			continue
		}
		pruneEmptyRuns(filepath.Dir(run))
	}

	if ctrls := r.controllers(); len(ctrls) > 0 {
		spec := cgroups.Spec{Hierarchy: r.cfg.CgroupsHierarchy, Root: r.cfg.CgroupsRoot, Controllers: ctrls}
		for _, cid := range cgroups.Children(spec) {
			if live := known[cid]; live || kept[cid] {
				continue
			}
			if err := cgroups.Lookup(spec, cid).DestroyWithin(r.destroyTimeout()); err != nil {
				r.logf(slog.LevelWarn, "destroy orphan cgroups of %s: %v", cid, err)
			}
		}
	}
}
