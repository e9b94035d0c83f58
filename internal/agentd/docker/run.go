package docker

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
)

// Mesos' cgroups constants the Docker containerizer applies
// (src/slave/containerizer/mesos/isolators/cgroups/constants.hpp).
const (
	CPUSharesPerCPU = 1024
	MinCPUShares    = 2
	CFSPeriod       = 100 * time.Millisecond
	MinCFSQuota     = time.Millisecond
	MinMemoryBytes  = 32 << 20
)

// Command is the task's command (mesos.CommandInfo): with Shell, Value is
// run with /bin/sh -c as the container's entrypoint; without, Value and
// Arguments are the arguments to the image's entrypoint (neither: the
// image's own command).
type Command struct {
	Shell     bool
	Value     string
	Arguments []string
	// Env is CommandInfo.environment.
	Env map[string]string
}

// Resources are the resources the container is given (task plus executor,
// as Mesos' Docker executor adds them).
type Resources struct {
	CPUs float64 // 0: no --cpu-shares
	Mem  float64 // MB; 0: no --memory
	// Ports are the port ranges the task holds (for port mappings).
	Ports [][2]uint64
	// Role is the role the resources are allocated to
	// (MESOS_ALLOCATION_ROLE); "" means "*".
	Role string
}

// PortMapping is one `-p host:container[/protocol]`.
type PortMapping struct {
	HostPort, ContainerPort uint32
	Protocol                string
}

// RunOptions are the options of one `docker run`, built by NewRunOptions
// exactly as Mesos' Docker::RunOptions::create builds them.
type RunOptions struct {
	Privileged bool
	CPUShares  uint64 // 0: unset
	CPUQuota   uint64 // microseconds per CFSPeriod; 0: unset
	Memory     uint64 // bytes; 0: unset
	// Env becomes -e KEY=value, in key order.
	Env          map[string]string
	Volumes      []string
	VolumeDriver string
	Network      string // host, bridge, none or the USER network's name
	Hostname     string
	PortMappings []PortMapping
	Entrypoint   string
	Name         string
	// Additional are the DockerInfo parameters, as --key=value.
	Additional []string
	Image      string
	Arguments  []string
	// Warnings are parts of the ContainerInfo the Docker containerizer
	// does not use (Mesos skips them too); the executor logs them.
	Warnings []string
}

// NewRunOptions builds the options of `docker run` for a DOCKER
// ContainerInfo and its command: the sandbox is mounted at mapped
// (--sandbox_directory) with MESOS_SANDBOX set to it, cpus become
// --cpu-shares (and, with enableCFS, --cpu-quota), mem --memory, volumes
// -v, the network --net, parameters --key=value. env is added first (the
// task environment of the agent), then the command's environment; name is
// the container's name (ContainerName).
func NewRunOptions(ci *api.ContainerInfo, cmd Command, name, sandbox, mapped string, res *Resources, enableCFS bool, env map[string]string) (*RunOptions, error) {
	if ci == nil || ci.Docker == nil {
		return nil, errors.New("No docker info found in container info")
	}
	di := ci.Docker
	o := &RunOptions{Privileged: di.Privileged, Env: map[string]string{}, Name: name, Image: di.Image}

	if res != nil {
		if res.CPUs > 0 {
			o.CPUShares = max(uint64(CPUSharesPerCPU*res.CPUs), MinCPUShares)
			if enableCFS {
				quota := max(time.Duration(float64(CFSPeriod)*res.CPUs), MinCFSQuota)
				o.CPUQuota = uint64(quota / time.Microsecond)
			}
		}
		if res.Mem > 0 {
			o.Memory = max(uint64(math.Floor(res.Mem))<<20, MinMemoryBytes)
		}
	}

	for k, v := range env {
		o.Env[k] = v
	}
	for k, v := range cmd.Env {
		if _, ok := env[k]; ok {
			continue // the agent's task environment wins, as in Mesos
		}
		o.Env[k] = v
	}
	o.Env["MESOS_SANDBOX"] = mapped
	o.Env["MESOS_CONTAINER_NAME"] = name
	if res != nil {
		role := res.Role
		if role == "" {
			role = "*"
		}
		o.Env["MESOS_ALLOCATION_ROLE"] = role
	}

	var volumeDriver string
	for _, v := range ci.Volumes {
		target := v.ContainerPath
		if !filepath.IsAbs(target) {
			target = filepath.Join(mapped, target)
		}
		mode, err := volumeMode(v.Mode)
		if err != nil {
			return nil, err
		}
		switch {
		case v.HostPath != "":
			if !filepath.IsAbs(v.HostPath) && !filepath.IsAbs(v.ContainerPath) {
				return nil, fmt.Errorf("Both host_path '%s' and container_path '%s' of a volume are relative", v.HostPath, v.ContainerPath)
			}
			src := v.HostPath
			if !filepath.IsAbs(src) && di.VolumeDriver == "" {
				src = filepath.Join(sandbox, src)
			}
			o.Volumes = append(o.Volumes, src+":"+target+mode)
		case v.Source != nil:
			if v.Source.Type != "DOCKER_VOLUME" || v.Source.DockerVolume == nil {
				o.Warnings = append(o.Warnings, fmt.Sprintf("Ignored volume type '%s' for container '%s' as only 'DOCKER_VOLUME' was supported by docker", v.Source.Type, name))
				continue
			}
			dv := v.Source.DockerVolume
			if dv.Driver != "" {
				if volumeDriver != "" && volumeDriver != dv.Driver {
					return nil, errors.New("Only one volume driver is supported")
				}
				volumeDriver = dv.Driver
			}
			o.Volumes = append(o.Volumes, dv.Name+":"+target+mode)
		default:
			return nil, errors.New("Host path or volume source is required")
		}
	}
	o.Volumes = append(o.Volumes, sandbox+":"+mapped)
	if di.VolumeDriver != "" {
		if volumeDriver != "" && volumeDriver != di.VolumeDriver {
			return nil, errors.New("Only one volume driver per task is supported")
		}
		volumeDriver = di.VolumeDriver
	}
	o.VolumeDriver = volumeDriver

	switch network := di.Network; network {
	case "", api.DockerNetworkHost:
		o.Network = "host"
	case api.DockerNetworkBridge:
		o.Network = "bridge"
	case api.DockerNetworkNone:
		o.Network = "none"
	case api.DockerNetworkUser:
		if len(ci.NetworkInfos) == 0 {
			return nil, errors.New("No network info found in container info")
		}
		if len(ci.NetworkInfos) > 1 {
			return nil, errors.New("Only a single network can be defined in Docker run")
		}
		if ci.NetworkInfos[0].Name == "" {
			return nil, errors.New("No network name found in network info")
		}
		o.Network = ci.NetworkInfos[0].Name
	default:
		return nil, fmt.Errorf("Unsupported Network mode: %s", network)
	}

	if ci.Hostname != "" {
		if o.Network == "host" {
			return nil, errors.New("Unable to set hostname with host network mode")
		}
		o.Hostname = ci.Hostname
	}

	if len(di.PortMappings) > 0 {
		if o.Network == "host" || o.Network == "none" {
			return nil, errors.New("Port mappings are only supported for bridge and user-defined networks")
		}
		if res == nil {
			return nil, errors.New("Port mappings require resources")
		}
		if len(res.Ports) == 0 {
			return nil, errors.New("Port mappings require port resources")
		}
		for _, m := range di.PortMappings {
			found := false
			for _, r := range res.Ports {
				if uint64(m.HostPort) >= r[0] && uint64(m.HostPort) <= r[1] {
					found = true
					break
				}
			}
			if !found {
				return nil, fmt.Errorf("Port [%d] not included in resources", m.HostPort)
			}
			o.PortMappings = append(o.PortMappings, PortMapping{HostPort: m.HostPort, ContainerPort: m.ContainerPort, Protocol: m.Protocol})
		}
	}

	for _, p := range di.Parameters {
		o.Additional = append(o.Additional, "--"+p.Key+"="+p.Value)
	}

	if cmd.Shell {
		if cmd.Value == "" {
			return nil, errors.New("Shell specified but no command value provided")
		}
		// The image's entrypoint is replaced: the user means the command
		// to run in a shell (MESOS-1770).
		o.Entrypoint = "/bin/sh"
		o.Arguments = []string{"-c", cmd.Value}
	} else {
		if cmd.Value != "" {
			o.Arguments = append(o.Arguments, cmd.Value)
		}
		o.Arguments = append(o.Arguments, cmd.Arguments...)
	}
	return o, nil
}

func volumeMode(m string) (string, error) {
	switch m {
	case api.VolumeRW:
		return ":rw", nil
	case api.VolumeRO:
		return ":ro", nil
	}
	return "", errors.New("Unsupported volume mode")
}

// Args is the `docker run …` part of the command line (after -H host), in
// Mesos' order.
func (o *RunOptions) Args() []string {
	a := []string{"run"}
	if o.Privileged {
		a = append(a, "--privileged")
	}
	if o.CPUShares > 0 {
		a = append(a, "--cpu-shares", strconv.FormatUint(o.CPUShares, 10))
	}
	if o.CPUQuota > 0 {
		a = append(a, "--cpu-quota", strconv.FormatUint(o.CPUQuota, 10))
	}
	if o.Memory > 0 {
		a = append(a, "--memory", strconv.FormatUint(o.Memory, 10))
	}
	keys := make([]string, 0, len(o.Env))
	for k := range o.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		a = append(a, "-e", k+"="+o.Env[k])
	}
	for _, v := range o.Volumes {
		a = append(a, "-v", v)
	}
	if o.VolumeDriver != "" {
		a = append(a, "--volume-driver="+o.VolumeDriver)
	}
	if o.Network != "" {
		a = append(a, "--net", o.Network)
	}
	if o.Hostname != "" {
		a = append(a, "--hostname", o.Hostname)
	}
	for _, m := range o.PortMappings {
		pm := fmt.Sprintf("%d:%d", m.HostPort, m.ContainerPort)
		if m.Protocol != "" {
			pm += "/" + strings.ToLower(m.Protocol)
		}
		a = append(a, "-p", pm)
	}
	if o.Entrypoint != "" {
		a = append(a, "--entrypoint", o.Entrypoint)
	}
	if o.Name != "" {
		a = append(a, "--name", o.Name)
	}
	a = append(a, o.Additional...)
	a = append(a, o.Image)
	return append(a, o.Arguments...)
}
