package docker

import (
	"slices"
	"strings"
	"testing"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
)

func TestRunOptionsCommandLine(t *testing.T) {
	tr := true
	ci := &api.ContainerInfo{Type: "DOCKER",
		Volumes: []api.Volume{
			{Mode: "RO", ContainerPath: "/etc/app", HostPath: "/srv/app"},
			{Mode: "RW", ContainerPath: "/data", HostPath: "cache"},
			{Mode: "RW", ContainerPath: "tmp", HostPath: "/tmp"},
			{Mode: "RW", ContainerPath: "/vol", Source: &api.VolumeSource{Type: "DOCKER_VOLUME", DockerVolume: &api.DockerVolume{Name: "v1"}}},
		},
		Docker: &api.DockerInfo{Image: "busybox", Network: "NONE", Privileged: true, ForcePullImage: &tr,
			Parameters: []api.Parameter{{Key: "label", Value: "a=b"}, {Key: "ulimit", Value: "nofile=1024"}}}}
	o, err := NewRunOptions(ci, Command{Shell: true, Value: "echo hi", Env: map[string]string{"A": "1", "B": "cmd"}},
		"mesos-c1", "/work/sandbox", "/mnt/mesos/sandbox", &Resources{CPUs: 0.6, Mem: 64.9}, true, map[string]string{"B": "agent"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"run", "--privileged", "--cpu-shares", "614", "--cpu-quota", "60000", "--memory", "67108864",
		"-e", "A=1", "-e", "B=agent", "-e", "MESOS_ALLOCATION_ROLE=*", "-e", "MESOS_CONTAINER_NAME=mesos-c1", "-e", "MESOS_SANDBOX=/mnt/mesos/sandbox",
		"-v", "/srv/app:/etc/app:ro", "-v", "/work/sandbox/cache:/data:rw", "-v", "/tmp:/mnt/mesos/sandbox/tmp:rw", "-v", "v1:/vol:rw", "-v", "/work/sandbox:/mnt/mesos/sandbox",
		"--net", "none", "--entrypoint", "/bin/sh", "--name", "mesos-c1", "--label=a=b", "--ulimit=nofile=1024", "busybox", "-c", "echo hi"}
	if got := o.Args(); !slices.Equal(got, want) {
		t.Errorf("docker run args:\n got %q\nwant %q", got, want)
	}
}

func TestRunOptionsDefaults(t *testing.T) {
	ci := &api.ContainerInfo{Type: "DOCKER", Docker: &api.DockerInfo{Image: "img"}}
	// No CFS: no quota. Tiny resources: Mesos' minimums. No command: the
	// image's own. HOST network by default.
	o, err := NewRunOptions(ci, Command{}, "mesos-x", "/s", "/m", &Resources{CPUs: 0.001, Mem: 1}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(o.Args(), " ")
	want := "run --cpu-shares 2 --memory 33554432 -e MESOS_ALLOCATION_ROLE=* -e MESOS_CONTAINER_NAME=mesos-x -e MESOS_SANDBOX=/m -v /s:/m --net host --name mesos-x img"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// Arguments without a shell go to the entrypoint: value, then arguments.
	o, err = NewRunOptions(ci, Command{Value: "sleep", Arguments: []string{"sleep", "5"}}, "n", "/s", "/m", nil, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a := o.Args(); !slices.Equal(a[len(a)-4:], []string{"img", "sleep", "sleep", "5"}) {
		t.Errorf("no-shell args: %q", a)
	}
	if slices.Contains(o.Args(), "MESOS_ALLOCATION_ROLE=*") {
		t.Errorf("no resources, yet a role: %q", o.Args())
	}
}

func TestRunOptionsErrors(t *testing.T) {
	docker := func(di api.DockerInfo) *api.ContainerInfo { return &api.ContainerInfo{Type: "DOCKER", Docker: &di} }
	res := &Resources{CPUs: 1, Mem: 32, Ports: [][2]uint64{{31000, 31009}}}
	for _, c := range []struct {
		name string
		ci   *api.ContainerInfo
		cmd  Command
		res  *Resources
		want string
	}{
		{"no docker info", &api.ContainerInfo{Type: "DOCKER"}, Command{}, res, "No docker info found in container info"},
		{"shell without command", docker(api.DockerInfo{Image: "i"}), Command{Shell: true}, res, "Shell specified but no command value provided"},
		{"hostname with host network", &api.ContainerInfo{Type: "DOCKER", Hostname: "h", Docker: &api.DockerInfo{Image: "i"}}, Command{}, res,
			"Unable to set hostname with host network mode"},
		{"ports with host network", docker(api.DockerInfo{Image: "i", PortMappings: []api.PortMapping{{HostPort: 31000, ContainerPort: 80}}}), Command{}, res,
			"Port mappings are only supported for bridge and user-defined networks"},
		{"port outside the resources", docker(api.DockerInfo{Image: "i", Network: "BRIDGE", PortMappings: []api.PortMapping{{HostPort: 80, ContainerPort: 80}}}), Command{}, res,
			"Port [80] not included in resources"},
		{"port without port resources", docker(api.DockerInfo{Image: "i", Network: "BRIDGE", PortMappings: []api.PortMapping{{HostPort: 80, ContainerPort: 80}}}), Command{}, &Resources{CPUs: 1},
			"Port mappings require port resources"},
		{"USER without a network", docker(api.DockerInfo{Image: "i", Network: "USER"}), Command{}, res, "No network info found in container info"},
		{"both paths relative", &api.ContainerInfo{Type: "DOCKER", Docker: &api.DockerInfo{Image: "i"},
			Volumes: []api.Volume{{Mode: "RW", ContainerPath: "a", HostPath: "b"}}}, Command{}, res,
			"Both host_path 'b' and container_path 'a' of a volume are relative"},
	} {
		_, err := NewRunOptions(c.ci, c.cmd, "n", "/s", "/m", c.res, false, nil)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	// Bridge with mapped ports and a USER network by name.
	o, err := NewRunOptions(docker(api.DockerInfo{Image: "i", Network: "BRIDGE",
		PortMappings: []api.PortMapping{{HostPort: 31001, ContainerPort: 80, Protocol: "TCP"}}}), Command{}, "n", "/s", "/m", res, false, nil)
	if err != nil || !strings.Contains(strings.Join(o.Args(), " "), "--net bridge -p 31001:80/tcp") {
		t.Errorf("bridge: %v %q", err, o.Args())
	}
	o, err = NewRunOptions(&api.ContainerInfo{Type: "DOCKER", Docker: &api.DockerInfo{Image: "i", Network: "USER"},
		NetworkInfos: []api.ContainerNetwork{{Name: "mynet"}}}, Command{}, "n", "/s", "/m", res, false, nil)
	if err != nil || o.Network != "mynet" {
		t.Errorf("user network: %v %+v", err, o)
	}
	// A volume source the Docker containerizer does not use is skipped
	// with a warning, as Mesos skips it.
	o, err = NewRunOptions(&api.ContainerInfo{Type: "DOCKER", Docker: &api.DockerInfo{Image: "i"},
		Volumes: []api.Volume{{Mode: "RW", ContainerPath: "/x", Source: &api.VolumeSource{Type: "SANDBOX_PATH", SandboxPath: []byte(`{"path":"p"}`)}}}},
		Command{}, "n", "/s", "/m", res, false, nil)
	if err != nil || len(o.Warnings) != 1 || !strings.Contains(o.Warnings[0], "Ignored volume type 'SANDBOX_PATH'") || slices.Contains(o.Args(), "/x") {
		t.Errorf("sandbox path volume: %v %q %q", err, o.Warnings, o.Args())
	}
}

func TestParseName(t *testing.T) {
	id := "1b9c3f3e-9c8b-4f5e-8a5d-2f0e4c1d7a6b"
	for name, want := range map[string]string{
		"mesos-" + id:                         id,
		"/mesos-" + id:                        id,
		"mesos-agent1-S0." + id:               id,
		"mesos-agent1-S0." + id + ".executor": id,
		"mesos-notauuid":                      "",
		"mesosx-" + id:                        "",
		"other":                               "",
		"mesos-a.b.c.d":                       "",
	} {
		got, ok := ParseName(name)
		if got != want || ok != (want != "") {
			t.Errorf("ParseName(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
	if ContainerName(id) != "mesos-"+id {
		t.Errorf("ContainerName: %s", ContainerName(id))
	}
}

func TestParseVersion(t *testing.T) {
	for out, want := range map[string]Version{
		"Docker version 20.10.24+dfsg1, build 297e128\n": {20, 10, 24},
		"Docker version 1.8.2.fc22, build cb216be":       {1, 8, 2},
		"Docker version 28.2.2, build e6534b4":           {28, 2, 2},
	} {
		got, err := ParseVersion(out)
		if err != nil || got != want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %v", out, got, err, want)
		}
	}
	if _, err := ParseVersion(""); err == nil {
		t.Error("empty output parsed")
	}
	if !(Version{1, 7, 9}).Less(MinVersion) || (Version{1, 8, 0}).Less(MinVersion) {
		t.Error("Less")
	}
}

func TestImageRef(t *testing.T) {
	for in, want := range map[string]string{
		"busybox":                   "busybox:latest",
		"busybox:1.36":              "busybox:1.36",
		"localhost:5000/app":        "localhost:5000/app:latest",
		"localhost:5000/app:v1":     "localhost:5000/app:v1",
		"app@sha256:0123456789abcd": "app@sha256:0123456789abcd",
	} {
		if got := ImageRef(in); got != want {
			t.Errorf("ImageRef(%q) = %q, want %q", in, got, want)
		}
	}
}
