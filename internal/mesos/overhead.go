package mesos

// Resources the agent adds for the command (and default) executor on top of
// a task's own resources (DEFAULT_EXECUTOR_CPUS, DEFAULT_EXECUTOR_MEM):
// a task of cpus:1;mem:128 runs in an executor of cpus:1.1;mem:160.
const (
	ExecutorCPUs  = 0.1
	ExecutorMemMB = 32
)

// ExecutorOverhead returns cpus:0.1;mem:32 with the given role ("" = "*").
func ExecutorOverhead(role string) Resources {
	if role == "" {
		role = UnreservedRole
	}
	return Resources{
		{Name: "cpus", Role: role, Value: ScalarValue(ExecutorCPUs)},
		{Name: "mem", Role: role, Value: ScalarValue(ExecutorMemMB)},
	}
}
