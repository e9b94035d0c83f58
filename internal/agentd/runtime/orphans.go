package runtime

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/cgroups"
	"github.com/mesosctl/mesosctl/internal/agentd/checkpoint"
	"github.com/mesosctl/mesosctl/internal/agentd/flags"
	"github.com/mesosctl/mesosctl/internal/agentd/launcher"
	"github.com/mesosctl/mesosctl/internal/procfs"
)

// Orphan containers of previous agent IDs.
//
// Mesos 1.11's containerizer destroys, when it recovers, every container
// it finds (in --runtime_dir, and through its launcher in the cgroups)
// that the recovered agent state does not know: "Cleaning up orphan
// container <id>". When meta/slaves/latest was cleared (agent
// clear-latest, or rm -f) the agent recovers no state and comes back with
// a new ID, so every container of the old ID is such an orphan and is
// destroyed, with --recover=reconnect as with cleanup. agentd does the
// same, looking where the old containers can be found: the runtime
// directory (launch records of another agent ID), the checkpoint of the
// old agent IDs in work_dir (runs without executor.sentinel whose forked
// pid still runs), and /proc (executors whose environment names another
// agent ID and a sandbox under this work_dir). Each one is logged with its
// container, agent, framework and executor IDs. Mesos has no metric for
// them. --mesosctl_keep_orphans (not a Mesos flag) keeps them instead, for
// `mesosctl tasks --orphans` and `task kill`.

// orphan is a container of a previous agent ID that no recovered
// checkpoint knows.
type orphan struct {
	ContainerID, AgentID, FrameworkID, ExecutorID string
	Tasks                                         []string
	// PID is its top process (the launcher, or the executor found in
	// /proc), Start its start time (0: unknown); PID 0: none runs.
	PID   int
	Start uint64
	// RuntimeDir is its directory under --runtime_dir ("" if it has none),
	// Cgroup its cgroups as launched.
	RuntimeDir string
	Cgroup     *cgroups.Group
	// Found says where: runtime_dir, work_dir or proc.
	Found string
	// Strays are processes of its executor (by their environment) that
	// left its process tree, e.g. a daemon re-parented to init.
	Strays []int
}

// reapPreviousAgents destroys (or, with KeepOrphans, keeps) the containers
// of previous agent IDs, known being the containers the checkpoint gave
// back. It returns the IDs of the containers it kept, whose cgroups the
// rest of the orphan reaping must leave alone.
func (r *Runtime) reapPreviousAgents(known map[string]bool) map[string]bool {
	kept := map[string]bool{}
	orphans := r.previousAgentOrphans(known)
	if len(orphans) == 0 {
		return kept
	}
	destroyed := 0
	for _, o := range orphans {
		what := fmt.Sprintf("orphan container %s of agent %s (framework %s, executor %s, tasks %s; found in %s)",
			orDash(o.ContainerID), o.AgentID, orDash(o.FrameworkID), orDash(o.ExecutorID), orDash(strings.Join(o.Tasks, ",")), o.Found)
		if r.cfg.KeepOrphans {
			if o.ContainerID != "" {
				kept[o.ContainerID] = true
			}
			r.logf(slog.LevelWarn, "Keeping %s, pid %d: the recovered checkpoint of agent %s does not know it (--%s); list it with 'mesosctl tasks --orphans', kill it with 'mesosctl task kill'",
				what, o.PID, r.cfg.AgentID, flags.KeepOrphans)
			continue
		}
		killed, err := r.destroyOrphan(o)
		msg := fmt.Sprintf("Cleaned up %s: killed %d process(es)", what, killed)
		if o.Cgroup != nil {
			msg += ", removed its cgroups"
		}
		if err != nil {
			r.logf(slog.LevelWarn, "%s; %v", msg, err)
			continue
		}
		destroyed++
		r.logf(slog.LevelWarn, "%s", msg)
	}
	if destroyed > 0 {
		r.logf(slog.LevelWarn, "Destroyed %d orphan container(s) of previous agent IDs, as Mesos does at recovery (--%s keeps them)", destroyed, flags.KeepOrphans)
	}
	return kept
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// previousAgentOrphans finds the containers of agent IDs other than this
// one that are not in known: in the runtime directory, in the checkpoint
// of the old agent IDs, in /proc; each container once.
func (r *Runtime) previousAgentOrphans(known map[string]bool) []orphan {
	var out []orphan
	seen := map[string]bool{}  // container IDs
	byExec := map[string]int{} // "<agent>/<executor>" → index in out
	add := func(o orphan) {
		if o.ContainerID != "" {
			seen[o.ContainerID] = true
		}
		byExec[o.AgentID+"/"+o.ExecutorID] = len(out)
		out = append(out, o)
	}

	dirs, _ := filepath.Glob(filepath.Join(r.cfg.RuntimeDir, "containers", "*"))
	for _, dir := range dirs {
		cid := filepath.Base(dir)
		if _, ok := known[cid]; ok {
			continue
		}
		var info launcher.Info
		if err := checkpoint.ReadRecord(filepath.Join(dir, "launch_info.rec"), &info); err != nil {
			continue // no record (a launch of this agent cut short: reapOrphans' part), or unreadable: kept
		}
		// Standalone containers are not tied to an agent ID (Mesos
		// recovers them from the runtime directory alone): left alone.
		if info.AgentID == "" || info.AgentID == r.cfg.AgentID || info.Standalone {
			continue
		}
		o := orphan{ContainerID: cid, AgentID: info.AgentID, FrameworkID: info.FrameworkID, ExecutorID: info.ExecutorID,
			RuntimeDir: dir, Cgroup: info.Cgroup, Found: "runtime_dir"}
		if info.TaskID != "" {
			o.Tasks = []string{info.TaskID}
		}
		if txt, err := checkpoint.ReadText(filepath.Join(dir, "pid")); err == nil {
			var pid int
			var start uint64
			if _, err := fmt.Sscan(txt, &pid, &start); err == nil && procfs.Alive(pid, start) {
				o.PID, o.Start = pid, start
			}
		}
		add(o)
	}

	runs, _ := filepath.Glob(filepath.Join(r.paths.Meta(), "slaves", "*", "frameworks", "*", "executors", "*", "runs", "*"))
	for _, run := range runs {
		rel, _ := filepath.Rel(filepath.Join(r.paths.Meta(), "slaves"), run)
		p := strings.Split(rel, string(filepath.Separator)) // aid frameworks fid executors eid runs cid
		if len(p) != 7 {
			continue
		}
		aid, fid, eid, cid := p[0], p[2], p[4], p[6]
		if aid == "latest" || aid == r.cfg.AgentID || cid == "latest" || seen[cid] {
			continue
		}
		if _, ok := known[cid]; ok {
			continue
		}
		if fi, err := os.Lstat(run); err != nil || !fi.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(run, "executor.sentinel")); err == nil {
			continue
		}
		old := r.paths
		old.AgentID = aid
		pid, err := checkpoint.ReadInt(old.ForkedPid(fid, eid, cid))
		if err != nil || !procfs.Alive(pid, 0) || !runsContainer(pid, cid, eid) {
			continue
		}
		o := orphan{ContainerID: cid, AgentID: aid, FrameworkID: fid, ExecutorID: eid, PID: pid, Found: "work_dir"}
		o.Start, _ = procfs.StartTime(pid)
		tasks, _ := os.ReadDir(filepath.Join(run, "tasks"))
		for _, t := range tasks {
			o.Tasks = append(o.Tasks, t.Name())
		}
		add(o)
	}

	sandboxes := filepath.Join(r.cfg.WorkDir, "slaves") + string(filepath.Separator)
	for _, pid := range procfs.Pids() {
		env := procfs.Environ(pid, "MESOS_EXECUTOR_ID", "MESOS_SLAVE_ID", "MESOS_AGENT_ID", "MESOS_FRAMEWORK_ID", "MESOS_DIRECTORY")
		eid, aid := env["MESOS_EXECUTOR_ID"], env["MESOS_SLAVE_ID"]
		if aid == "" {
			aid = env["MESOS_AGENT_ID"]
		}
		if eid == "" || aid == "" || aid == r.cfg.AgentID || !strings.HasPrefix(env["MESOS_DIRECTORY"], sandboxes) {
			continue
		}
		st, err := procfs.ReadStat(pid)
		if err != nil {
			continue
		}
		// The executor's top process: its parent is not of the same executor.
		if procfs.Environ(st.PPID, "MESOS_EXECUTOR_ID")["MESOS_EXECUTOR_ID"] == eid {
			continue
		}
		if i, ok := byExec[aid+"/"+eid]; ok {
			out[i].Strays = append(out[i].Strays, pid) // may be in its tree: killed once either way
			continue
		}
		cid := filepath.Base(env["MESOS_DIRECTORY"])
		if _, ok := known[cid]; ok || seen[cid] {
			continue
		}
		// Its launcher (`mesosctl containerizer launch`, whose
		// --launch_info names the container) goes with it; and the
		// executor first, when this is the task: a pre-started executor
		// (--mesosctl_warm_launchers) has no MESOS_* variables of its own,
		// its command line names the container all the same.
		for up := 0; up < 2 && runsContainer(st.PPID, cid, ""); up++ {
			pid = st.PPID
			if st, err = procfs.ReadStat(pid); err != nil {
				break
			}
		}
		add(orphan{ContainerID: cid, AgentID: aid, FrameworkID: env["MESOS_FRAMEWORK_ID"], ExecutorID: eid,
			PID: pid, Start: st.StartTime, Found: "proc"})
	}
	return out
}

// runsContainer reports whether pid is container cid's process, not a
// recycled pid: its command line names the container (the launcher's
// --launch_info does) or its environment the executor.
func runsContainer(pid int, cid, eid string) bool {
	for _, a := range procfs.Cmdline(pid) {
		if strings.Contains(a, cid) {
			return true
		}
	}
	return eid != "" && procfs.Environ(pid, "MESOS_EXECUTOR_ID")["MESOS_EXECUTOR_ID"] == eid
}

// destroyOrphan kills every process of o (its top process's tree, and the
// process groups and sessions of that tree, as Mesos' launchers do), then
// its cgroups, and removes its runtime directory. It returns how many
// processes it killed.
func (r *Runtime) destroyOrphan(o orphan) (int, error) {
	killed := map[int]bool{}
	deadline := time.Now().Add(r.destroyTimeout())
	for _, p := range o.Strays {
		if p == o.PID {
			continue
		}
		for _, q := range orphanProcesses(p) {
			_ = syscall.Kill(q, syscall.SIGSTOP)
			if syscall.Kill(q, syscall.SIGKILL) == nil {
				killed[q] = true
			}
		}
	}
	for o.PID > 0 && procfs.Alive(o.PID, o.Start) {
		procs := orphanProcesses(o.PID)
		// Stop them all first, so none forks or is re-parented away
		// while the others die.
		for _, p := range procs {
			_ = syscall.Kill(p, syscall.SIGSTOP)
		}
		for _, p := range procs {
			if syscall.Kill(p, syscall.SIGKILL) == nil {
				killed[p] = true
			}
		}
		if time.Now().After(deadline) {
			return len(killed), fmt.Errorf("pid %d still runs after %s", o.PID, r.destroyTimeout())
		}
		time.Sleep(10 * time.Millisecond)
	}
	var errs []string
	if err := o.Cgroup.DestroyWithin(time.Until(deadline)); err != nil {
		errs = append(errs, err.Error())
	}
	// The cgroups of this agent's hierarchy named after the container,
	// whether or not the record says so.
	if ctrls := r.controllers(); len(ctrls) > 0 && o.ContainerID != "" {
		spec := cgroups.Spec{Hierarchy: r.cfg.CgroupsHierarchy, Root: r.cfg.CgroupsRoot, Controllers: ctrls}
		if err := cgroups.Lookup(spec, o.ContainerID).DestroyWithin(time.Until(deadline)); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if o.RuntimeDir != "" {
		if err := os.RemoveAll(o.RuntimeDir); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return len(killed), fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return len(killed), nil
}

// orphanProcesses is pid, its descendants, and every process in the
// process groups and sessions those lead (a daemon that double-forked out
// of the tree without setsid stays in the launcher's session; Mesos'
// posix launcher kills the sessions and groups too). Groups and sessions
// led by a process outside the tree are not followed.
func orphanProcesses(pid int) []int {
	set := map[int]bool{}
	for _, p := range procfs.Tree(pid) {
		set[p] = true
	}
	for _, p := range procfs.Pids() {
		if set[p] || p == os.Getpid() {
			continue
		}
		if st, err := procfs.ReadStat(p); err == nil && (set[st.PGRP] || set[st.Session]) {
			set[p] = true
		}
	}
	out := make([]int, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Ints(out)
	return out
}
