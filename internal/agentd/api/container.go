package api

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Container types (mesos.ContainerInfo.Type).
const (
	ContainerTypeDocker = "DOCKER"
	ContainerTypeMesos  = "MESOS"
)

// Docker network modes (mesos.ContainerInfo.DockerInfo.Network). HOST is
// the default on Linux.
const (
	DockerNetworkHost   = "HOST"
	DockerNetworkBridge = "BRIDGE"
	DockerNetworkNone   = "NONE"
	DockerNetworkUser   = "USER"
)

// Volume modes (mesos.Volume.Mode).
const (
	VolumeRW = "RW"
	VolumeRO = "RO"
)

// ContainerInfo is mesos.v1.ContainerInfo: the part agentd acts on (a
// DOCKER container; a MESOS one without an image is a plain command task).
// Fields are in the .proto's declaration order, which is the order in
// which a Mesos agent renders them in /state.
type ContainerInfo struct {
	Type     string      `json:"type"`
	Volumes  []Volume    `json:"volumes,omitempty"`
	Hostname string      `json:"hostname,omitempty"`
	Docker   *DockerInfo `json:"docker,omitempty"`
	// Mesos is ContainerInfo.MesosInfo; agentd has no image provisioner,
	// so a MESOS container with an image is refused.
	Mesos        *MesosInfo         `json:"mesos,omitempty"`
	NetworkInfos []ContainerNetwork `json:"network_infos,omitempty"`
}

// DockerInfo is mesos.v1.ContainerInfo.DockerInfo.
type DockerInfo struct {
	Image string `json:"image"`
	// Network is HOST, BRIDGE, NONE or USER; "" means HOST (Normalize
	// fills it in, as Mesos renders the default).
	Network      string        `json:"network,omitempty"`
	PortMappings []PortMapping `json:"port_mappings,omitempty"`
	Privileged   bool          `json:"privileged"`
	Parameters   []Parameter   `json:"parameters,omitempty"`
	// ForcePullImage pulls the image even when it is present locally.
	ForcePullImage *bool `json:"force_pull_image,omitempty"`
	// VolumeDriver is deprecated in Mesos (use Volume.Source.DockerVolume).
	VolumeDriver string `json:"volume_driver,omitempty"`
}

// ForcePull reports whether the image is to be pulled even when present.
func (d *DockerInfo) ForcePull() bool { return d.ForcePullImage != nil && *d.ForcePullImage }

// PortMapping is mesos.v1.ContainerInfo.DockerInfo.PortMapping.
type PortMapping struct {
	HostPort      uint32 `json:"host_port"`
	ContainerPort uint32 `json:"container_port"`
	Protocol      string `json:"protocol,omitempty"`
}

// Parameter is mesos.v1.Parameter: an extra `docker run --key=value`.
type Parameter struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// MesosInfo is mesos.v1.ContainerInfo.MesosInfo (only its image is looked
// at: agentd refuses it).
type MesosInfo struct {
	Image json.RawMessage `json:"image,omitempty"`
}

// Volume is mesos.v1.Volume.
type Volume struct {
	Mode          string          `json:"mode"`
	ContainerPath string          `json:"container_path"`
	HostPath      string          `json:"host_path,omitempty"`
	Image         json.RawMessage `json:"image,omitempty"`
	Source        *VolumeSource   `json:"source,omitempty"`
}

// VolumeSource is mesos.v1.Volume.Source. Only DOCKER_VOLUME sources are
// used by the Docker containerizer (as in Mesos); the others are kept to be
// validated and reported.
type VolumeSource struct {
	Type         string          `json:"type,omitempty"`
	DockerVolume *DockerVolume   `json:"docker_volume,omitempty"`
	HostPath     json.RawMessage `json:"host_path,omitempty"`
	SandboxPath  json.RawMessage `json:"sandbox_path,omitempty"`
	Secret       json.RawMessage `json:"secret,omitempty"`
	CSIVolume    json.RawMessage `json:"csi_volume,omitempty"`
}

// DockerVolume is mesos.v1.Volume.Source.DockerVolume.
type DockerVolume struct {
	Driver string `json:"driver,omitempty"`
	Name   string `json:"name"`
}

// ContainerNetwork is a mesos.v1.NetworkInfo of a ContainerInfo: the
// network a container joins (a Docker USER network by its name).
type ContainerNetwork struct {
	IPAddresses []IPAddress `json:"ip_addresses,omitempty"`
	Name        string      `json:"name,omitempty"`
}

// IsDocker reports whether c asks for the Docker containerizer.
func (c *ContainerInfo) IsDocker() bool { return c != nil && c.Type == ContainerTypeDocker }

// Normalize fills in the defaults a Mesos agent shows: a DOCKER
// container's network is HOST unless set.
func (c *ContainerInfo) Normalize() {
	if c != nil && c.Docker != nil && c.Docker.Network == "" {
		c.Docker.Network = DockerNetworkHost
	}
}

// Validate applies Mesos' ContainerInfo validation (src/common/validation.cpp)
// and the enum checks its protobuf parser makes, with Mesos' messages.
func (c *ContainerInfo) Validate() error {
	if c == nil {
		return nil
	}
	switch c.Type {
	case ContainerTypeDocker, ContainerTypeMesos:
	case "":
		return fmt.Errorf("'container.type' is required (DOCKER or MESOS)")
	default:
		return fmt.Errorf("'container.type' %q is not a valid ContainerInfo.Type (DOCKER or MESOS)", c.Type)
	}
	for _, v := range c.Volumes {
		if err := v.validate(); err != nil {
			return fmt.Errorf("Invalid volume: %v", err)
		}
	}
	if c.Type == ContainerTypeDocker {
		if c.Docker == nil {
			return fmt.Errorf("DockerInfo 'docker' is not set for DOCKER typed ContainerInfo")
		}
		if c.Docker.Image == "" {
			return fmt.Errorf("'container.docker.image' is required")
		}
		switch c.Docker.Network {
		case "", DockerNetworkHost, DockerNetworkBridge, DockerNetworkNone, DockerNetworkUser:
		default:
			return fmt.Errorf("'container.docker.network' %q is not one of HOST, BRIDGE, NONE, USER", c.Docker.Network)
		}
		for _, p := range c.Docker.Parameters {
			if p.Key == "name" {
				return fmt.Errorf("Parameter in DockerInfo must not be 'name'")
			}
			if p.Key == "" {
				return fmt.Errorf("a parameter in DockerInfo has no 'key'")
			}
		}
	}
	if c.Type == ContainerTypeMesos && c.Mesos != nil && len(c.Mesos.Image) > 0 && string(c.Mesos.Image) != "null" {
		return fmt.Errorf("agentd has no image provisioner: a MESOS container cannot have an image (use a DOCKER container with --containerizers=docker,mesos)")
	}
	return nil
}

func (v Volume) validate() error {
	switch v.Mode {
	case VolumeRW, VolumeRO:
	case "":
		return fmt.Errorf("'mode' is required (RW or RO)")
	default:
		return fmt.Errorf("'mode' %q is not RW or RO", v.Mode)
	}
	if v.ContainerPath == "" {
		return fmt.Errorf("'container_path' is required")
	}
	n := 0
	if v.HostPath != "" {
		n++
	}
	if len(v.Image) > 0 {
		n++
	}
	if v.Source != nil {
		n++
	}
	if n != 1 {
		return fmt.Errorf("Only one of them should be set: 'host_path', 'image' and 'source'")
	}
	if s := v.Source; s != nil {
		set := func(r json.RawMessage) bool { return len(r) > 0 && string(r) != "null" }
		switch s.Type {
		case "DOCKER_VOLUME":
			if s.DockerVolume == nil {
				return fmt.Errorf("'source.docker_volume' is not set for DOCKER_VOLUME volume")
			}
			if s.DockerVolume.Name == "" {
				return fmt.Errorf("'source.docker_volume.name' is required")
			}
		case "HOST_PATH":
			if !set(s.HostPath) {
				return fmt.Errorf("'source.host_path' is not set for HOST_PATH volume")
			}
		case "SANDBOX_PATH":
			if !set(s.SandboxPath) {
				return fmt.Errorf("'source.sandbox_path' is not set for SANDBOX_PATH volume")
			}
		case "SECRET":
			if !set(s.Secret) {
				return fmt.Errorf("'source.secret' is not set for SECRET volume")
			}
		case "CSI_VOLUME":
			if !set(s.CSIVolume) {
				return fmt.Errorf("'source.csi_volume' is not set for CSI volume")
			}
		default:
			return fmt.Errorf("'source.type' is unknown")
		}
	}
	return nil
}

// String is a short description of the container for logs and tables:
// "docker:IMAGE" or "mesos".
func (c *ContainerInfo) String() string {
	if c == nil {
		return ""
	}
	if c.Docker != nil {
		return "docker:" + c.Docker.Image
	}
	return strings.ToLower(c.Type)
}
