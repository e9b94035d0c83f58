package checkpoint

// Task states (Mesos TaskState names).
const (
	TaskStaging  = "TASK_STAGING"
	TaskStarting = "TASK_STARTING"
	TaskRunning  = "TASK_RUNNING"
	TaskKilling  = "TASK_KILLING"
	TaskFinished = "TASK_FINISHED"
	TaskFailed   = "TASK_FAILED"
	TaskKilled   = "TASK_KILLED"
	TaskLost     = "TASK_LOST"
	TaskError    = "TASK_ERROR"
)

// Terminal reports whether state is terminal.
func Terminal(state string) bool {
	switch state {
	case TaskFinished, TaskFailed, TaskKilled, TaskLost, TaskError, "TASK_DROPPED", "TASK_GONE", "TASK_GONE_BY_OPERATOR":
		return true
	}
	return false
}

// ContainerID is mesos.ContainerID in JSON.
type ContainerID struct {
	Value string `json:"value"`
}

// ContainerStatus is the subset of mesos.ContainerStatus agentd reports.
type ContainerStatus struct {
	ContainerID ContainerID `json:"container_id"`
	ExecutorPID int         `json:"executor_pid,omitempty"`
}

// Status is a TaskStatus in Mesos v0 /state JSON shape.
type Status struct {
	TaskID          string           `json:"task_id,omitempty"`
	State           string           `json:"state"`
	Timestamp       float64          `json:"timestamp"`
	Message         string           `json:"message,omitempty"`
	Source          string           `json:"source,omitempty"`
	Reason          string           `json:"reason,omitempty"`
	ContainerStatus *ContainerStatus `json:"container_status,omitempty"`
}

// UpdateRecord is one task.updates record, modelled on Mesos'
// StatusUpdateRecord{type: UPDATE, update: {status}}.
type UpdateRecord struct {
	Type   string `json:"type"` // "UPDATE"
	Status Status `json:"status"`
}
