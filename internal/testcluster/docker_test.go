package testcluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/testutil/dockerd"
)

// TestDockerNodes: with Options.Docker every node has its own Docker
// engine, reached at /var/run/docker.sock inside the node, that sees the
// node's /var/lib/mesos (the agent's sandboxes) and whose containers' pids
// are the node's; Down leaves nothing of them behind.
func TestDockerNodes(t *testing.T) {
	c, err := Start(Options{Binaries: bins, NoAgent: true, Nodes: 2, Subnet: "127.0.231", KillWithParent: true, Docker: true,
		Timeout: 3 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	downed := false
	t.Cleanup(func() {
		if !downed {
			_ = c.Down()
		}
	})
	for i, n := range c.Nodes {
		ssh(t, c, n.Name, "echo "+n.Name+" > /var/lib/mesos/marker")
		out := ssh(t, c, n.Name, dockerd.CLIBinary+" run --rm --network=none -v /var/lib/mesos:/x "+dockerd.Image+" cat /x/marker")
		if out != n.Name+"\n" {
			t.Errorf("%s: a container mounting the node's /var/lib/mesos reads %q", n.Name, out)
		}
		// A running container's pid, as the engine reports it, is a
		// process of the node.
		ssh(t, c, n.Name, dockerd.CLIBinary+` run -d --name mesos-probe --network=none `+dockerd.Image+` sh -c 'trap "exit 0" TERM; sleep 1000 & wait'`)
		pid := strings.TrimSpace(ssh(t, c, n.Name, dockerd.CLIBinary+" inspect --format '{{.State.Pid}}' mesos-probe"))
		if cmd := ssh(t, c, n.Name, "cat /proc/"+pid+"/cmdline | tr '\\0' ' '"); !strings.HasPrefix(cmd, "sh -c") {
			t.Errorf("%s: node pid %s of the container is %q", n.Name, pid, cmd)
		}
		if i == 0 {
			// Another node's engine does not have it.
			if out, err := c.SSH(c.Nodes[1].Name, dockerd.CLIBinary+" inspect mesos-probe"); err == nil {
				t.Errorf("%s sees %s's container: %s", c.Nodes[1].Name, n.Name, out)
			}
		}
	}
	var engineDirs, containerCgroups []string
	for _, n := range c.Nodes {
		engineDirs = append(engineDirs, filepath.Join(n.Dir, "docker"))
		for _, id := range strings.Fields(ssh(t, c, n.Name, dockerd.CLIBinary+" ps -aq --no-trunc")) {
			cgs, _ := filepath.Glob(filepath.Join(cgroupRoot, "*", "docker", id))
			if len(cgs) == 0 {
				t.Errorf("no cgroup of container %s on %s", id, n.Name)
			}
			containerCgroups = append(containerCgroups, cgs...)
		}
	}
	if err := c.Down(); err != nil {
		t.Fatal(err)
	}
	downed = true
	if left := Leftovers(c, containerCgroups); len(left) > 0 {
		t.Errorf("left after Down:\n  %s", strings.Join(left, "\n  "))
	}
	for _, d := range engineDirs {
		if _, err := os.Stat(d); err == nil {
			t.Errorf("%s is still there", d)
		}
	}
}
