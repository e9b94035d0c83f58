package metrics

import (
	"sync"
	"testing"
)

func TestCounters(t *testing.T) {
	var cs Counters
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, s := range []string{"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_DROPPED", "TASK_GONE", "TASK_LOST"} {
				cs.TaskTerminal(s)
			}
			cs.Inc(GCPathRemovalsSucceeded)
		}()
	}
	wg.Wait()
	cs.Add(TaskFetchesSucceeded, 3)
	m := map[string]float64{}
	cs.Put(m)
	if len(m) != int(numCounters) {
		t.Errorf("%d keys", len(m))
	}
	for k, want := range map[string]float64{"slave/tasks_finished": 8, "slave/tasks_failed": 8, "slave/tasks_killed": 8,
		"slave/tasks_gone": 8, "slave/tasks_lost": 8, "gc/path_removals_succeeded": 8,
		"containerizer/fetcher/task_fetches_succeeded": 3, "slave/container_launch_errors": 0} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
	if _, ok := m["slave/tasks_error"]; ok {
		t.Error("slave/tasks_error is not a Mesos 1.11 metric")
	}
	if RemoveRootfsErrors.Key() != "containerizer/mesos/provisioner/bind/remove_rootfs_errors" {
		t.Error(RemoveRootfsErrors.Key())
	}
}
