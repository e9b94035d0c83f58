package runtime

import "github.com/mesosctl/mesosctl/internal/agentd/cgroups"

// containerOf returns the container ID, launcher pid and cgroup of a task.
func (r *Runtime) containerOf(tid string) (cid string, pid int, g *cgroups.Group, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.containers[tid]
	if !ok {
		return "", 0, nil, &NotFoundError{tid}
	}
	return c.info.Launch.ContainerID, c.pid, c.info.Launch.Cgroup, nil
}
