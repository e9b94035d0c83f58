package httpapi

import (
	"context"
	"syscall"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/agentd/runtime"
)

// Runtime is what the HTTP layer asks of the task runtime: the operations
// behind the task API (/mesosctl/v1/tasks), the process tree, the v1
// container calls and /files. It speaks the wire types of package api
// and reports refusals with the runtime's error types, which the
// handlers turn into status codes.
type Runtime interface {
	LaunchTask(spec api.TaskSpec) (api.TaskInfo, error)
	Tasks() []api.TaskInfo
	WaitTask(ctx context.Context, id string, after int, timeout time.Duration) (api.TaskInfo, error)
	KillTask(id string) (api.TaskInfo, error)
	ProcessTree() api.ProcessTree

	LaunchContainer(spec runtime.StandaloneSpec) (created bool, err error)
	WaitContainer(ctx context.Context, containerID string) (api.WaitContainerResponse, error)
	KillContainer(containerID string, sig syscall.Signal) error
	RemoveContainer(containerID string) error

	// SandboxPaths maps the virtual paths of the executor sandboxes to
	// them, for /files (RegisterFiles).
	SandboxPaths() map[string]string
}

// RegisterRuntime installs the task API, the process tree and the v1
// container calls, served by rt. (/files is RegisterFiles.)
func (s *Server) RegisterRuntime(rt Runtime) {
	s.registerTaskAPI(rt)
	s.registerContainerCalls(rt)
}
