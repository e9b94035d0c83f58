package api

import "encoding/json"

// The mesosctl task API: what `mesosctl exec`, `tasks`, `task kill|wait|logs`
// and `tree` use against agentd. Mesos agents have no such API (tasks reach
// them through a master and a framework); agentd offers it under
// /mesosctl/v1 so one CLI can submit and follow tasks without a master.
//
//	POST /mesosctl/v1/tasks                     TaskSpec → 201 TaskInfo
//	GET  /mesosctl/v1/tasks                     → TaskList (every task, oldest first)
//	GET  /mesosctl/v1/tasks/{id}                → TaskInfo
//	GET  /mesosctl/v1/tasks/{id}?after=N&timeout=30s
//	                                            long poll: answers as soon as the task has more
//	                                            than N statuses, or is terminal, or timeout passes
//	POST /mesosctl/v1/tasks/{id}/kill           → 202 TaskInfo (SIGTERM, grace period, SIGKILL)
//	GET  /mesosctl/v1/processes                 → ProcessTree (agentd and everything below it)
//
// Errors are JSON {"error": "…"} with status 400 (bad spec), 404 (unknown
// task), 409 (task ID in use, or the task does not fit the agent's free
// resources: Code "INSUFFICIENT_RESOURCES" with Need and Free), 503 (still
// recovering). POST calls are in the readwrite realm (HTTP basic auth when
// the agent has --authenticate_http_readwrite).

// TaskPath is the URL path prefix of the task API.
const TaskPath = "/mesosctl/v1/tasks"

// ProcessesPath is the URL path of the process tree.
const ProcessesPath = "/mesosctl/v1/processes"

// TaskResources are the scalar resources a task asks for (the executor's
// own overhead, cpus 0.1 and mem 32, is added by the agent as Mesos'
// command executor does).
type TaskResources struct {
	CPUs float64 `json:"cpus"`
	Mem  float64 `json:"mem"`
	Disk float64 `json:"disk"`
}

// TaskSpec is a launch request. Either Command (run with sh -c) or Argv.
type TaskSpec struct {
	// TaskID must be unique on the agent; the CLI generates one.
	TaskID string `json:"task_id"`
	Name   string `json:"name"`
	// FrameworkID and FrameworkName group tasks in /state; empty means
	// "<agent id>-mesosctl" and "mesos-execute instance".
	FrameworkID   string            `json:"framework_id,omitempty"`
	FrameworkName string            `json:"framework_name,omitempty"`
	Command       string            `json:"command,omitempty"`
	Argv          []string          `json:"argv,omitempty"`
	Env           map[string]string `json:"env,omitempty"`
	// User is the task's user (Mesos' CommandInfo.user) and FrameworkUser
	// its framework's (FrameworkInfo.user). With --switch_user (agentd's
	// default) the task runs as User, else as FrameworkUser, else as
	// agentd's own user; a user the node does not know fails the task.
	User          string        `json:"user,omitempty"`
	FrameworkUser string        `json:"framework_user,omitempty"`
	Resources     TaskResources `json:"resources"`
	// PidsMax limits the task's process count (cgroups/pids).
	PidsMax int `json:"pids_max,omitempty"`
	// Container is the task's ContainerInfo: a DOCKER container runs
	// under the Docker containerizer (the agent needs docker in
	// --containerizers); neither Command nor Argv then runs the image's
	// own command. Nil is a command task on the host.
	Container *ContainerInfo `json:"container,omitempty"`
	// FrameworkCapabilities are the task's framework's
	// FrameworkInfo.capabilities types. With TASK_KILLING_STATE a Docker
	// task's executor reports TASK_KILLING before it stops the container
	// (mesos-execute, and so `mesosctl exec`, always sends it).
	FrameworkCapabilities []string `json:"framework_capabilities,omitempty"`
	// KillPolicy is TaskInfo.kill_policy: its grace period replaces the
	// executor's shutdown grace period when the task is killed.
	KillPolicy *KillPolicy `json:"kill_policy,omitempty"`
	// HealthCheck, Check and Executor are TaskInfo fields agentd does not
	// act on: a spec with any of them is refused, naming it (agentd runs
	// no health or other checks, and no executors but its own).
	HealthCheck json.RawMessage `json:"health_check,omitempty"`
	Check       json.RawMessage `json:"check,omitempty"`
	Executor    json.RawMessage `json:"executor,omitempty"`
}

// KillPolicy is mesos.v1.KillPolicy.
type KillPolicy struct {
	GracePeriod *DurationInfo `json:"grace_period,omitempty"`
}

// DurationInfo is mesos.v1.DurationInfo.
type DurationInfo struct {
	Nanoseconds int64 `json:"nanoseconds"`
}

// FrameworkCapabilityTypes are the FrameworkInfo.Capability.Type names of
// Mesos 1.11.
var FrameworkCapabilityTypes = []string{"REVOCABLE_RESOURCES", "TASK_KILLING_STATE", "GPU_RESOURCES",
	"SHARED_RESOURCES", "PARTITION_AWARE", "MULTI_ROLE", "RESERVATION_REFINEMENT", "REGION_AWARE"}

// TaskKillingState is the framework capability that makes an executor
// report TASK_KILLING.
const TaskKillingState = "TASK_KILLING_STATE"

// TaskUpdate is one status update of a task.
type TaskUpdate struct {
	State     string  `json:"state"`     // TASK_STAGING, TASK_RUNNING, TASK_FINISHED, …
	Timestamp float64 `json:"timestamp"` // seconds since the epoch
	Message   string  `json:"message,omitempty"`
	Source    string  `json:"source,omitempty"` // SOURCE_EXECUTOR, SOURCE_AGENT
	Reason    string  `json:"reason,omitempty"` // REASON_COMMAND_EXECUTOR_FAILED, REASON_CONTAINER_LIMITATION_MEMORY, …
}

// TaskInfo is a task as the task API reports it.
type TaskInfo struct {
	ID            string        `json:"id"`
	Name          string        `json:"name"`
	FrameworkID   string        `json:"framework_id"`
	FrameworkName string        `json:"framework_name"`
	ExecutorID    string        `json:"executor_id"`
	AgentID       string        `json:"agent_id"`
	ContainerID   string        `json:"container_id"`
	State         string        `json:"state"`
	Resources     TaskResources `json:"resources"`
	User          string        `json:"user,omitempty"`
	Statuses      []TaskUpdate  `json:"statuses"`
	// ExitStatus is the command's exit code once it has exited normally
	// (absent while running, or when it was killed by a signal).
	ExitStatus *int `json:"exit_status,omitempty"`
	// Sandbox is the task's sandbox directory (for /files/read?path=…).
	Sandbox string `json:"sandbox"`
	// ExecutorPID is the pid of the container launcher (0 once ended).
	ExecutorPID int `json:"executor_pid,omitempty"`
	// Container is the task's ContainerInfo (nil: a command task on the
	// host).
	Container *ContainerInfo `json:"container,omitempty"`
}

// TaskList is the GET /mesosctl/v1/tasks response.
type TaskList struct {
	Tasks []TaskInfo `json:"tasks"`
}

// TaskError is the body of every non-2xx task API response.
type TaskError struct {
	Error string `json:"error"`
	// Code is "INSUFFICIENT_RESOURCES", "TASK_EXISTS", "NOT_FOUND",
	// "BAD_REQUEST", "RECOVERING" or "NO_SPACE" (507: the agent cannot
	// checkpoint the launch).
	Code string         `json:"code,omitempty"`
	Need *TaskResources `json:"need,omitempty"`
	Free *TaskResources `json:"free,omitempty"`
}

// Process is one node of the process tree.
type Process struct {
	PID     int    `json:"pid"`
	PPID    int    `json:"ppid"`
	User    string `json:"user,omitempty"`
	Command string `json:"command"` // full command line, space-joined
	// Task is set on a container launcher (the executor's parent process).
	Task     *ProcessTask `json:"task,omitempty"`
	Children []Process    `json:"children,omitempty"`
}

// ProcessTask describes the task a container process runs.
type ProcessTask struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	State       string `json:"state"`
	ContainerID string `json:"container_id"`
	// Cgroup limits; 0 when not limited.
	CPUShares   int64    `json:"cpu_shares,omitempty"`
	CPUQuota    float64  `json:"cpu_quota,omitempty"` // in CPUs
	MemLimitMB  float64  `json:"mem_limit_mb,omitempty"`
	PidsMax     int64    `json:"pids_max,omitempty"`
	CgroupPaths []string `json:"cgroups,omitempty"`
	// Docker is set for a task of the Docker containerizer.
	Docker *ProcessDocker `json:"docker,omitempty"`
}

// ProcessDocker is a Docker task's container in the process tree. Its
// processes are not descendants of the task's executor: the engine's
// containerd-shim-runc-v2 is their parent. agentd joins them to the task
// through the engine (docker inspect gives the container's main pid).
type ProcessDocker struct {
	Container string `json:"container"` // mesos-<container id>
	Image     string `json:"image"`
	// Pid is the container's main process (0 when it is not running);
	// ShimPID its parent, with ShimCommand its command line.
	Pid         int    `json:"pid,omitempty"`
	ShimPID     int    `json:"shim_pid,omitempty"`
	ShimCommand string `json:"shim_command,omitempty"`
	// Processes is the main process with its children.
	Processes []Process `json:"processes,omitempty"`
	// Error says why the processes could not be found (the engine did not
	// answer).
	Error string `json:"error,omitempty"`
}

// ProcessTree is the GET /mesosctl/v1/processes response: agentd's own
// process with its children (container launchers it started are its
// children), and under Recovered the container trees of tasks it adopted
// after a restart, which are no longer its children (their launchers run
// in their own sessions and were re-parented when the old agentd died).
type ProcessTree struct {
	Agent     Process   `json:"agent"`
	Recovered []Process `json:"recovered"`
}
