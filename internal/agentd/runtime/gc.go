package runtime

import (
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/metrics"
)

// GC removes what ended tasks left on disk once they are older than
// --gc_delay, as a Mesos agent's garbage collector does: the run's sandbox
// (<work_dir>/slaves/<aid>/frameworks/<fid>/executors/<eid>/runs/<cid>), its
// checkpoint (meta/…/runs/<cid>) and runtime dir, then the executor and
// executor directory once it holds no other run. The task is forgotten
// too. It returns how many runs it removed.
func (r *Runtime) GC(now time.Time) int {
	if r.cfg.GCDelay <= 0 {
		return 0
	}
	r.mu.Lock()
	var old []*container
	for _, c := range r.containers {
		if c.finished && !c.endedAt.IsZero() && now.Sub(c.endedAt) >= r.cfg.GCDelay && c.info.Launch != nil {
			old = append(old, c)
		}
	}
	r.mu.Unlock()
	for _, c := range old {
		l := c.info.Launch
		p := r.paths
		for _, dir := range []string{p.Sandbox(l.FrameworkID, l.ExecutorID, l.ContainerID), p.RunMeta(l.FrameworkID, l.ExecutorID, l.ContainerID)} {
			if err := os.RemoveAll(dir); err != nil {
				r.counters.Inc(metrics.GCPathRemovalsFailed)
				r.logf(slog.LevelWarn, "garbage collection of %s: %v", dir, err)
			} else {
				r.counters.Inc(metrics.GCPathRemovalsSucceeded)
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
