package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"syscall"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/agentd/runtime"
	"github.com/mesosctl/mesosctl/internal/mesos"
)

// registerContainerCalls installs the v1 operator calls of standalone
// containers: LAUNCH_CONTAINER, WAIT_CONTAINER, KILL_CONTAINER and
// REMOVE_CONTAINER.
func (s *Server) registerContainerCalls(rt Runtime) {
	s.HandleCall(api.CallLaunchContainer, func(ctx context.Context, call *api.Call) (any, error) {
		lc := call.LaunchContainer
		if lc == nil {
			return nil, CodedError(http.StatusBadRequest, "Expecting 'launch_container' to be present")
		}
		spec, err := standaloneSpecOf(lc)
		if err != nil {
			return nil, err
		}
		created, err := rt.LaunchContainer(spec)
		if err != nil {
			return nil, containerCallError(err)
		}
		if !created {
			return Status(http.StatusAccepted), nil
		}
		return nil, nil
	})
	s.HandleCall(api.CallWaitContainer, func(ctx context.Context, call *api.Call) (any, error) {
		if call.WaitContainer == nil {
			return nil, CodedError(http.StatusBadRequest, "Expecting 'wait_container' to be present")
		}
		res, err := rt.WaitContainer(ctx, call.WaitContainer.ContainerID.Value)
		if err != nil {
			return nil, containerCallError(err)
		}
		return res, nil
	})
	s.HandleCall(api.CallKillContainer, func(ctx context.Context, call *api.Call) (any, error) {
		kc := call.KillContainer
		if kc == nil {
			return nil, CodedError(http.StatusBadRequest, "Expecting 'kill_container' to be present")
		}
		sig := syscall.SIGKILL
		if kc.Signal != nil {
			sig = syscall.Signal(*kc.Signal)
		}
		return nil, containerCallError(rt.KillContainer(kc.ContainerID.Value, sig))
	})
	s.HandleCall(api.CallRemoveContainer, func(ctx context.Context, call *api.Call) (any, error) {
		if call.RemoveContainer == nil {
			return nil, CodedError(http.StatusBadRequest, "Expecting 'remove_container' to be present")
		}
		return nil, containerCallError(rt.RemoveContainer(call.RemoveContainer.ContainerID.Value))
	})
}

// standaloneSpecOf checks a LAUNCH_CONTAINER call and converts it to the
// runtime's request.
func standaloneSpecOf(lc *api.LaunchContainer) (runtime.StandaloneSpec, error) {
	if lc.ContainerID.Parent != nil {
		return runtime.StandaloneSpec{}, CodedError(http.StatusBadRequest,
			"agentd does not launch nested containers: launch a standalone container (no parent) instead")
	}
	if len(lc.Container) > 0 && string(lc.Container) != "null" {
		var ci struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(lc.Container, &ci)
		if ci.Type != "" && ci.Type != "MESOS" {
			return runtime.StandaloneSpec{}, CodedError(http.StatusBadRequest, "agentd runs only MESOS containers without images, not "+ci.Type)
		}
	}
	var cmd api.CommandInfo
	if len(lc.Command) > 0 {
		if err := json.Unmarshal(lc.Command, &cmd); err != nil {
			return runtime.StandaloneSpec{}, CodedError(http.StatusBadRequest, "Invalid command: "+err.Error())
		}
	}
	spec := runtime.StandaloneSpec{ContainerID: lc.ContainerID.Value, Shell: cmd.Shell == nil || *cmd.Shell,
		Command: cmd.Value, User: cmd.User, Env: map[string]string{}}
	if !spec.Shell {
		spec.Argv = cmd.Arguments
		if len(spec.Argv) == 0 && cmd.Value != "" {
			spec.Argv = []string{cmd.Value}
		}
		spec.Command = ""
	}
	if cmd.Environment != nil {
		for _, v := range cmd.Environment.Variables {
			spec.Env[v.Name] = v.Value
		}
	}
	if len(lc.Resources) > 0 {
		res, err := mesos.ParseResources(string(lc.Resources), mesos.UnreservedRole)
		if err != nil {
			return runtime.StandaloneSpec{}, CodedError(http.StatusBadRequest, "Invalid resources: "+err.Error())
		}
		spec.Resources = mesos.Scalars(res.Scalar("cpus"), res.Scalar("mem"), res.Scalar("disk"))
	}
	return spec, nil
}

// containerCallError gives the runtime's refusals their status codes; any
// other error is the agent's (500).
func containerCallError(err error) error {
	var (
		ins *runtime.InsufficientError
		inv *runtime.InvalidError
		nf  *runtime.ContainerNotFoundError
		run *runtime.ContainerRunningError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ins):
		return CodedError(http.StatusConflict, err.Error())
	case errors.As(err, &inv):
		return CodedError(http.StatusBadRequest, err.Error())
	case errors.As(err, &nf):
		return CodedError(http.StatusNotFound, err.Error())
	case errors.As(err, &run):
		return CodedError(http.StatusInternalServerError, err.Error())
	}
	return err
}
