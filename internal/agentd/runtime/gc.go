package runtime

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mesosctl/mesosctl/internal/agentd/metrics"
	"github.com/mesosctl/mesosctl/internal/mesos"
)

// GC removes what ended tasks left on disk once they are older than
// --gc_delay, as a Mesos agent's garbage collector does: the run's sandbox
// (<work_dir>/slaves/<aid>/frameworks/<fid>/executors/<eid>/runs/<cid>), its
// checkpoint (meta/…/runs/<cid>) and runtime dir, then the executor and
// executor directory once it holds no other run. The task is forgotten
// too. It returns how many runs it removed.
func (r *Runtime) GC(now time.Time) int { return r.gc(now, r.cfg.GCDelay) }

// CheckDiskUsage is Mesos' disk watch (slave.cpp checkDiskUsage, every
// --disk_watch_interval): it measures the used share of the filesystem
// holding --work_dir, sets the maximum allowed age of ended runs to
// gc_delay * max(0, 1 - gc_disk_headroom - usage), and prunes at once
// every run that has been ended that long (GarbageCollector::prune with
// gc_delay - age: what is due within that time goes now). It returns how
// many runs it removed.
func (r *Runtime) CheckDiskUsage(now time.Time) int {
	usage, err := DiskUsage(r.cfg.WorkDir)
	if err != nil {
		r.logf(slog.LevelError, "Failed to get disk usage: %v", err)
		return 0
	}
	age := r.maxAllowedAge(usage)
	r.maxAge.Store(int64(age))
	r.logf(slog.LevelInfo, "Current disk usage %.2f%%. Max allowed age: %s", 100*usage, mesos.FormatDuration(age))
	return r.gc(now, age)
}

// maxAllowedAge is Mesos' Slave::age: gc_delay scaled by the free share of
// the disk beyond the headroom.
func (r *Runtime) maxAllowedAge(usage float64) time.Duration {
	return time.Duration(float64(r.cfg.GCDelay) * max(0, 1-r.cfg.GCDiskHeadroom-usage))
}

// MaxAllowedAge is the age computed by the last disk check (before the
// first, that of an empty disk, as Mesos starts with age(0)): the metric
// slave/executor_directory_max_allowed_age_secs.
func (r *Runtime) MaxAllowedAge() time.Duration {
	if a := r.maxAge.Load(); a >= 0 {
		return time.Duration(a)
	}
	return r.maxAllowedAge(0)
}

// DiskUsage is the used share (0–1) of the filesystem holding dir, as
// stout's fs::usage computes it: (blocks - free blocks) / blocks.
func DiskUsage(dir string) (float64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("Error invoking statvfs on '%s': %v", dir, err)
	}
	if st.Blocks == 0 {
		return 0, fmt.Errorf("statvfs on '%s' reports no blocks", dir)
	}
	return float64(st.Blocks-st.Bfree) / float64(st.Blocks), nil
}

// gc removes the runs that ended at least maxAge ago.
func (r *Runtime) gc(now time.Time, maxAge time.Duration) int {
	if r.cfg.GCDelay <= 0 {
		return 0
	}
	r.mu.Lock()
	var old []*container
	for _, c := range r.containers {
		if c.finished && !c.endedAt.IsZero() && now.Sub(c.endedAt) >= maxAge && c.info.Launch != nil {
			old = append(old, c)
		}
	}
	r.mu.Unlock()
	for _, c := range old {
		l := c.info.Launch
		p := r.paths
		for _, dir := range []string{p.Sandbox(l.FrameworkID, l.ExecutorID, l.ContainerID), p.RunMeta(l.FrameworkID, l.ExecutorID, l.ContainerID)} {
			err := os.RemoveAll(dir)
			// Counted and taken off gc/path_removals_pending together, so
			// that a metrics snapshot never sees a path as both.
			r.mu.Lock()
			if err != nil {
				r.counters.Inc(metrics.GCPathRemovalsFailed)
			} else {
				r.counters.Inc(metrics.GCPathRemovalsSucceeded)
			}
			c.pathsRemoved++
			r.mu.Unlock()
			if err != nil {
				r.logf(slog.LevelWarn, "garbage collection of %s: %v", dir, err)
			}
			pruneEmptyRuns(filepath.Dir(dir))
		}
		os.RemoveAll(p.Runtime(l.ContainerID))
		// Forgotten only now, so that a relaunch of the same task ID meanwhile
		// is refused instead of racing with the removal.
		r.mu.Lock()
		delete(r.containers, l.TaskID)
		r.mu.Unlock()
		r.logf(slog.LevelInfo, "Garbage collected task %s (container %s, ended %s ago)", l.TaskID, l.ContainerID, now.Sub(c.endedAt).Round(time.Second))
	}
	if len(old) > 0 {
		r.mu.Lock()
		r.broadcastLocked()
		r.mu.Unlock()
	}
	return len(old)
}

// pruneEmptyRuns removes runs/latest when it points nowhere, then the
// executor directory when nothing else is left in it (besides executor.info).
func pruneEmptyRuns(runs string) {
	latest := filepath.Join(runs, "latest")
	if _, err := os.Stat(latest); err != nil {
		os.Remove(latest) // dangling
	}
	if ents, err := os.ReadDir(runs); err != nil || len(ents) > 0 {
		return
	}
	os.Remove(runs)
	if exec := filepath.Dir(runs); onlyInfo(exec) {
		os.RemoveAll(exec)
	}
	// Framework directories stay: a launch in the same framework may be
	// writing into them right now, and there are few of them.
}

// onlyInfo reports whether dir holds nothing but *.info files.
func onlyInfo(dir string) bool {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		if e.IsDir() || filepath.Ext(e.Name()) != ".info" {
			return false
		}
	}
	return true
}
