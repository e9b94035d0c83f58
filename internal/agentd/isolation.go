package agentd

import (
	"fmt"
	"strings"
	"sync"

	"github.com/mesosctl/mesosctl/internal/agentd/runtime"
)

// supportedIsolators are the --isolation names agentd enforces; the other
// Mesos isolator names are accepted and have no effect (docs/agentd.md).
// Both tables are built on first use, not at every start of the binary.
var supportedIsolators = sync.OnceValue(func() map[string]bool {
	return map[string]bool{
		"posix/cpu": true, "posix/mem": true, "cgroups/cpu": true, "cgroups/mem": true,
		"cgroups/pids": true, "cgroups/all": true, "namespaces/pid": true, "network/ports": true,
	}
})

// knownIsolators are Mesos' isolator names (mesos-agent.md §6.4).
var knownIsolators = sync.OnceValue(func() map[string]bool {
	return map[string]bool{
		"posix/rlimits": true, "disk/du": true, "disk/xfs": true, "filesystem/posix": true,
		"filesystem/linux": true, "filesystem/shared": true, "filesystem/windows": true,
		"windows/cpu": true, "windows/mem": true, "cgroups/blkio": true, "cgroups/cpuset": true,
		"cgroups/devices": true, "cgroups/hugetlb": true, "cgroups/net_cls": true,
		"cgroups/net_prio": true, "cgroups/perf_event": true, "appc/runtime": true,
		"docker/runtime": true, "docker/volume": true, "linux/devices": true,
		"linux/capabilities": true, "linux/nnp": true, "linux/seccomp": true,
		"namespaces/ipc": true, "network/cni": true, "network/port_mapping": true,
		"network/ports": true, "gpu/nvidia": true, "volume/host_path": true, "volume/image": true,
		"volume/sandbox_path": true, "volume/secret": true, "volume/csi": true,
		"environment_secret": true,
	}
})

// checkIsolation normalises --isolation and sorts it into what agentd
// enforces and the Mesos isolators it accepts without effect (ignored); an
// unknown name is an error, and so is a cgroups/* isolator agentd cannot
// apply (a limit that was asked for is never silently absent).
func checkIsolation(s string) (iso, ignored []string, err error) {
	iso = runtime.NormalizeIsolation(s)
	for _, i := range iso {
		switch {
		case supportedIsolators()[i]:
		case strings.HasPrefix(i, "cgroups/") && knownIsolators()[i]:
			return nil, nil, fmt.Errorf("Failed to load flag 'isolation': agentd cannot apply the isolator '%s' (it applies cgroups/cpu, cgroups/mem and cgroups/pids; cgroups/all is those of them the hierarchy offers): drop it from --isolation", i)
		case knownIsolators()[i]:
			ignored = append(ignored, i)
		default:
			return nil, nil, fmt.Errorf("Failed to load flag 'isolation': unknown isolator '%s' (agentd enforces posix/cpu, posix/mem, cgroups/cpu, cgroups/mem, cgroups/pids, cgroups/all, namespaces/pid and accepts Mesos' other isolator names without effect)", i)
		}
	}
	return iso, ignored, nil
}
