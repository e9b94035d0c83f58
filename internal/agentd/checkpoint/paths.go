package checkpoint

import "path/filepath"

// Paths computes the Mesos work_dir and runtime_dir layout (Mesos
// src/slave/paths.hpp) for one agent ID.
type Paths struct {
	WorkDir    string
	RuntimeDir string
	AgentID    string
}

// Meta is <work_dir>/meta.
func (p Paths) Meta() string { return filepath.Join(p.WorkDir, "meta") }

// AgentMeta is meta/slaves/<aid>.
func (p Paths) AgentMeta() string { return filepath.Join(p.Meta(), "slaves", p.AgentID) }

// FrameworkMeta is meta/slaves/<aid>/frameworks/<fid>.
func (p Paths) FrameworkMeta(fid string) string {
	return filepath.Join(p.AgentMeta(), "frameworks", fid)
}

// FrameworkInfo is …/frameworks/<fid>/framework.info.
func (p Paths) FrameworkInfo(fid string) string {
	return filepath.Join(p.FrameworkMeta(fid), "framework.info")
}

// ExecutorMeta is …/frameworks/<fid>/executors/<eid>.
func (p Paths) ExecutorMeta(fid, eid string) string {
	return filepath.Join(p.FrameworkMeta(fid), "executors", eid)
}

// ExecutorInfo is …/executors/<eid>/executor.info.
func (p Paths) ExecutorInfo(fid, eid string) string {
	return filepath.Join(p.ExecutorMeta(fid, eid), "executor.info")
}

// RunMeta is …/executors/<eid>/runs/<cid>.
func (p Paths) RunMeta(fid, eid, cid string) string {
	return filepath.Join(p.ExecutorMeta(fid, eid), "runs", cid)
}

// ForkedPid is …/runs/<cid>/pids/forked.pid.
func (p Paths) ForkedPid(fid, eid, cid string) string {
	return filepath.Join(p.RunMeta(fid, eid, cid), "pids", "forked.pid")
}

// Sentinel is …/runs/<cid>/executor.sentinel.
func (p Paths) Sentinel(fid, eid, cid string) string {
	return filepath.Join(p.RunMeta(fid, eid, cid), "executor.sentinel")
}

// TaskMeta is …/runs/<cid>/tasks/<tid>.
func (p Paths) TaskMeta(fid, eid, cid, tid string) string {
	return filepath.Join(p.RunMeta(fid, eid, cid), "tasks", tid)
}

// TaskInfo is …/tasks/<tid>/task.info.
func (p Paths) TaskInfo(fid, eid, cid, tid string) string {
	return filepath.Join(p.TaskMeta(fid, eid, cid, tid), "task.info")
}

// TaskUpdates is …/tasks/<tid>/task.updates.
func (p Paths) TaskUpdates(fid, eid, cid, tid string) string {
	return filepath.Join(p.TaskMeta(fid, eid, cid, tid), "task.updates")
}

// Sandbox is <work_dir>/slaves/<aid>/frameworks/<fid>/executors/<eid>/runs/<cid>.
func (p Paths) Sandbox(fid, eid, cid string) string {
	return filepath.Join(p.WorkDir, "slaves", p.AgentID, "frameworks", fid, "executors", eid, "runs", cid)
}

// StandaloneSandbox is <work_dir>/containers/<cid>.
func (p Paths) StandaloneSandbox(cid string) string {
	return filepath.Join(p.WorkDir, "containers", cid)
}

// Runtime is <runtime_dir>/containers/<cid> (pid, status, termination).
func (p Paths) Runtime(cid string) string {
	return filepath.Join(p.RuntimeDir, "containers", cid)
}

// AgentSocket is <runtime_dir>/agent.sock, where executors announce updates.
func (p Paths) AgentSocket() string { return filepath.Join(p.RuntimeDir, "agent.sock") }
