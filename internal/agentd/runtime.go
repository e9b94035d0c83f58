package agentd

import (
	"context"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/agentd/httpapi"
	"github.com/mesosctl/mesosctl/internal/mesos"
)

// Runtime is the task-execution half of the agent (containerizer,
// executors, recovery). The Agent calls Register, starts serving HTTP
// (/state and /api/v1 answer 503 meanwhile), calls Recover, and only then
// serves those endpoints; Shutdown is called once when the agent stops.
type Runtime interface {
	Recover(ctx context.Context) error               // before the HTTP server serves /state, /api/v1
	Frameworks() (active, completed []api.Framework) // for /state, GET_STATE, GET_FRAMEWORKS, GET_EXECUTORS, GET_TASKS
	Containers() []api.Container                     // /containers, GET_CONTAINERS
	Allocated() mesos.Resources                      // used resources for /state *_allocated and metrics
	Metrics() map[string]float64                     // slave/tasks_* etc.
	Register(s *httpapi.Server)                      // adds v1 call handlers (LAUNCH_CONTAINER, …) and routes (/files/*)
	Shutdown(ctx context.Context) error
}

// RuntimeFactory builds the Runtime for an agent once its identity is
// known (agent ID, work_dir, flags). The lead wires the real one in; the
// default is NoRuntime.
type RuntimeFactory func(env RuntimeEnv) (Runtime, error)

// RuntimeEnv is what a Runtime gets from the agent.
type RuntimeEnv struct {
	Config    *Config
	AgentID   string
	Hostname  string          // the agent's hostname (as in /state)
	PID       string          // the agent's libprocess PID, slave(1)@ip:port (as in /state)
	Resources mesos.Resources // total agent resources after auto-detection
	// MetaDir is <work_dir>/meta/slaves/<agent_id>.
	MetaDir string
	// SandboxRoot is <work_dir>/slaves/<agent_id>.
	SandboxRoot string
}

// NoRuntime is a Runtime that runs nothing: no frameworks, no containers.
// agentd uses it until a task runtime is wired in.
type NoRuntime struct{}

var _ Runtime = NoRuntime{}

// Recover does nothing.
func (NoRuntime) Recover(context.Context) error { return nil }

// Frameworks returns two empty lists.
func (NoRuntime) Frameworks() (active, completed []api.Framework) {
	return []api.Framework{}, []api.Framework{}
}

// Containers returns an empty list.
func (NoRuntime) Containers() []api.Container { return []api.Container{} }

// Allocated returns no resources.
func (NoRuntime) Allocated() mesos.Resources { return nil }

// Metrics returns no metrics.
func (NoRuntime) Metrics() map[string]float64 { return map[string]float64{} }

// Register adds nothing.
func (NoRuntime) Register(*httpapi.Server) {}

// Shutdown does nothing.
func (NoRuntime) Shutdown(context.Context) error { return nil }
