// Package metrics holds the agent's cumulative counters under their Mesos
// 1.11 /metrics/snapshot names. A counter counts from the start of the
// agent process and never goes down (not when a task's container is
// garbage-collected, not on recovery), as Mesos' process-lifetime counters.
package metrics

import "sync/atomic"

// Counters are the counter metrics of a Mesos 1.11 agent. The zero value
// is ready to use; every method is safe for concurrent use.
type Counters struct {
	c [numCounters]atomic.Uint64
}

// Counter names one counter.
type Counter int

// The counters, by Mesos key.
const (
	TasksFinished            Counter = iota // slave/tasks_finished
	TasksFailed                             // slave/tasks_failed
	TasksKilled                             // slave/tasks_killed
	TasksLost                               // slave/tasks_lost
	TasksGone                               // slave/tasks_gone
	ExecutorsTerminated                     // slave/executors_terminated
	ExecutorsPreempted                      // slave/executors_preempted
	ValidStatusUpdates                      // slave/valid_status_updates
	InvalidStatusUpdates                    // slave/invalid_status_updates
	ValidFrameworkMessages                  // slave/valid_framework_messages
	InvalidFrameworkMessages                // slave/invalid_framework_messages
	ContainerLaunchErrors                   // slave/container_launch_errors
	RecoveryErrors                          // slave/recovery_errors
	GCPathRemovalsSucceeded                 // gc/path_removals_succeeded
	GCPathRemovalsFailed                    // gc/path_removals_failed
	TaskFetchesSucceeded                    // containerizer/fetcher/task_fetches_succeeded
	TaskFetchesFailed                       // containerizer/fetcher/task_fetches_failed
	ContainerDestroyErrors                  // containerizer/mesos/container_destroy_errors
	RemoveContainerErrors                   // containerizer/mesos/provisioner/remove_container_errors
	RemoveRootfsErrors                      // containerizer/mesos/provisioner/bind/remove_rootfs_errors
	RPSubscribe                             // resource_provider_manager/events/subscribe
	RPDisconnect                            // resource_provider_manager/events/disconnect
	numCounters
)

var keys = [numCounters]string{
	"slave/tasks_finished", "slave/tasks_failed", "slave/tasks_killed", "slave/tasks_lost", "slave/tasks_gone",
	"slave/executors_terminated", "slave/executors_preempted",
	"slave/valid_status_updates", "slave/invalid_status_updates",
	"slave/valid_framework_messages", "slave/invalid_framework_messages",
	"slave/container_launch_errors", "slave/recovery_errors",
	"gc/path_removals_succeeded", "gc/path_removals_failed",
	"containerizer/fetcher/task_fetches_succeeded", "containerizer/fetcher/task_fetches_failed",
	"containerizer/mesos/container_destroy_errors",
	"containerizer/mesos/provisioner/remove_container_errors",
	"containerizer/mesos/provisioner/bind/remove_rootfs_errors",
	"resource_provider_manager/events/subscribe", "resource_provider_manager/events/disconnect",
}

// Key is the /metrics/snapshot key of c.
func (c Counter) Key() string { return keys[c] }

// Inc adds one to c.
func (cs *Counters) Inc(c Counter) { cs.c[c].Add(1) }

// Add adds n to c.
func (cs *Counters) Add(c Counter, n uint64) { cs.c[c].Add(n) }

// Get returns c's count.
func (cs *Counters) Get(c Counter) uint64 { return cs.c[c].Load() }

// TaskTerminal counts a task's transition to a terminal state, as the
// slave/tasks_<state> counter of that state (TASK_ERROR, TASK_DROPPED and
// the others without a counter count nothing, as in Mesos).
func (cs *Counters) TaskTerminal(state string) {
	switch state {
	case "TASK_FINISHED":
		cs.Inc(TasksFinished)
	case "TASK_FAILED":
		cs.Inc(TasksFailed)
	case "TASK_KILLED":
		cs.Inc(TasksKilled)
	case "TASK_LOST":
		cs.Inc(TasksLost)
	case "TASK_GONE":
		cs.Inc(TasksGone)
	}
}

// Put writes every counter into m.
func (cs *Counters) Put(m map[string]float64) {
	for i := Counter(0); i < numCounters; i++ {
		m[keys[i]] = float64(cs.c[i].Load())
	}
}
