package exec_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/testcluster"
	"github.com/mesosctl/mesosctl/internal/testutil/dockerd"
)

// TestDockerTasksOnCluster: the seed's nodes run --containerizers=mesos,docker
// with a Docker engine each. mesosctl exec --containerizer docker
// --docker_image runs a task in a container on such an agent (an agent
// without the docker containerizer is passed over), tasks shows its image,
// tree shows the container's processes under the task's executor although
// they hang under containerd's shim, task logs reads its sandbox, task
// kill stops it (TASK_KILLING, then TASK_KILLED); a missing image fails
// the task with the pull's error.
func TestDockerTasksOnCluster(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("cluster tests need root (namespaces, sshd on port 22)")
	}
	tmp := t.TempDir()
	bins, err := testcluster.Build(tmp)
	if err != nil {
		t.Fatal(err)
	}
	c, err := testcluster.Start(testcluster.Options{Dir: filepath.Join(tmp, "cluster"), Nodes: 2, Binaries: bins,
		Subnet: "127.0.232", NoAgent: true, KillWithParent: true, Docker: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cgroups := c.Cgroups()
		if err := c.Down(); err != nil {
			t.Error(err)
		}
		if left := testcluster.Leftovers(c, cgroups); len(left) > 0 {
			t.Errorf("left after teardown:\n  %s", strings.Join(left, "\n  "))
		}
	})
	for n, containerizers := range map[string]string{"lxb001": "mesos,docker", "lxb002": "mesos"} {
		cmd := fmt.Sprintf("echo %s > /etc/mesos-slave/containerizers && echo 'cpus:2;mem:1024;disk:1000' > /etc/mesos-slave/resources && "+
			"echo 2secs > /etc/mesos-slave/executor_shutdown_grace_period && systemctl start mesos-slave", containerizers)
		if out, err := c.SSH(n, cmd); err != nil {
			t.Fatalf("%s: %v\n%s", n, err, out)
		}
	}
	for _, n := range c.NodeNames() {
		if err := c.WaitAgent(n, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("MESOSCTL_CONFIG", c.ConfigFile)
	t.Setenv("NODES", "")
	t.Setenv("SSH_AUTH_SOCK", "")
	docker := []string{"--containerizer", "docker", "--docker_image", dockerd.Image, "--agent", "lxb00[1-2]"}

	code, out, errOut := run(t, append([]string{"exec", "--name", "hello", "--command", `echo "hello from $MESOS_SANDBOX"`}, docker...)...)
	aid := agentID(t, c, "lxb001")
	want := fmt.Sprintf("Subscribed with ID %s-mesosctl\n"+"Submitted task 'hello' to agent '%s'\n"+
		"Received status update TASK_STARTING for task 'hello'\n  source: SOURCE_EXECUTOR\n"+
		"Received status update TASK_RUNNING for task 'hello'\n  source: SOURCE_EXECUTOR\n"+
		"Received status update TASK_FINISHED for task 'hello'\n  message: 'Container exited with status 0'\n  source: SOURCE_EXECUTOR\n",
		aid, aid)
	if code != 0 || out != want {
		t.Fatalf("exec: exit %d\n%s\nwant:\n%s\n%s", code, out, want, errOut)
	}
	m := taskIDLine.FindStringSubmatch(errOut)
	if m == nil || m[2] != "lxb001" {
		t.Fatalf("stderr: %s", errOut)
	}
	code, out, _ = run(t, "task", "logs", m[1])
	if code != 0 || out != "hello from /mnt/mesos/sandbox\n" {
		t.Errorf("task logs: exit %d %q", code, out)
	}

	// Only lxb002 offered: it has no docker containerizer.
	code, _, errOut = run(t, "exec", "--name", "x", "--command", "true", "--containerizer", "docker", "--docker_image", dockerd.Image, "--agent", "lxb002")
	if code != 1 || !strings.Contains(errOut, "lxb002 has no docker containerizer (--containerizers=mesos)") {
		t.Errorf("docker task on a mesos-only agent: exit %d %s", code, errOut)
	}

	code, out, errOut = run(t, append([]string{"exec", "--detach", "--name", "web", "--resources", "cpus:0.5;mem:64",
		"--command", `trap "exit 0" TERM; echo serving; sleep 1000 & wait`}, docker...)...)
	id := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(id, "web.") {
		t.Fatalf("exec --detach: exit %d %q %s", code, out, errOut)
	}
	code, out, _ = run(t, "tasks", "--state", "running")
	if code != 0 || !regexp.MustCompile(`(?m)^ID\s+NAME\s+STATE\s+NODE\s+IMAGE\s+CPUS`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(id)+`\s+web\s+RUNNING\s+lxb001\s+`+regexp.QuoteMeta(dockerd.Image)+`\s+0\.5\s+64\s`).MatchString(out) {
		t.Errorf("tasks:\n%s", out)
	}
	code, out, _ = run(t, "tasks", "-o", "json", "--jq", `.[] | select(.id=="`+id+`") | .image`, "-r")
	if code != 0 || strings.TrimSpace(out) != dockerd.Image {
		t.Errorf("tasks -o json image: %q", out)
	}

	// tree: agent → containerizer launch → mesos-docker-executor → docker
	// run, and the container's processes, found through the engine.
	code, out, errOut = run(t, "tree", "lxb001", id, "-o", "json")
	var trees []struct{ Agent *api.Process }
	if code != 0 || json.Unmarshal([]byte(out), &trees) != nil || len(trees) != 1 || trees[0].Agent == nil || len(trees[0].Agent.Children) != 1 {
		t.Fatalf("tree -o json: exit %d %s %s", code, out, errOut)
	}
	launch := trees[0].Agent.Children[0]
	d := launch.Task.Docker
	if d == nil || d.Pid <= 0 || d.Image != dockerd.Image || !strings.Contains(d.ShimCommand, "containerd-shim") || len(d.Processes) != 1 {
		t.Fatalf("tree's container: %+v", d)
	}
	if len(launch.Children) != 1 || !strings.Contains(launch.Children[0].Command, "mesos-docker-executor --cgroups_enable_cfs=false --container="+d.Container) ||
		len(launch.Children[0].Children) != 1 || !strings.Contains(launch.Children[0].Children[0].Command, " run ") {
		t.Fatalf("executor and docker run under the launcher: %+v", launch)
	}
	// The pid is the node's: the container's shell, as the node sees it.
	if cmd, err := c.SSH("lxb001", fmt.Sprintf("tr '\\0' ' ' < /proc/%d/cmdline", d.Pid)); err != nil || !strings.HasPrefix(cmd, "/bin/sh -c trap") {
		t.Errorf("node pid %d: %q %v", d.Pid, cmd, err)
	}
	code, out, _ = run(t, "tree", "lxb001", id)
	note := regexp.MustCompile(`\[container ` + regexp.QuoteMeta(d.Container) + `: its processes are children of containerd-shim-runc-v2 \(pid \d+\), not of the executor; joined through docker inspect \(pid ` +
		fmt.Sprint(d.Pid) + `\)\]`)
	if code != 0 || !note.MatchString(out) || !strings.Contains(out, "/bin/sh -c trap") || !strings.Contains(out, "docker "+dockerd.Image+", limits set by docker run") {
		t.Errorf("tree:\n%s", out)
	}
	code, out, _ = run(t, "task", "logs", id)
	if code != 0 || out != "serving\n" {
		t.Errorf("task logs: exit %d %q", code, out)
	}
	// mesos-execute's framework has TASK_KILLING_STATE: the kill is
	// reported as TASK_KILLING, then TASK_KILLED.
	code, out, _ = run(t, "task", "kill", "--wait", id)
	if code != 137 || !strings.HasSuffix(out, fmt.Sprintf("Received status update TASK_KILLING for task '%[1]s'\n  source: SOURCE_EXECUTOR\n"+
		"Received status update TASK_KILLED for task '%[1]s'\n  message: 'Container exited with status 0'\n  source: SOURCE_EXECUTOR\n", id)) {
		t.Fatalf("kill --wait: exit %d %q", code, out)
	}
	code, out, _ = run(t, "task", "wait", id)
	if code != 137 || !strings.Contains(out, "Received status update TASK_KILLED for task '"+id+"'\n  message: 'Container exited with status 0'") {
		t.Errorf("wait after kill: exit %d %q", code, out)
	}

	code, out, _ = run(t, "exec", "--name", "absent", "--command", "true", "--containerizer", "docker", "--docker_image", "mesosctl-test/absent", "--agent", "lxb001")
	if code != 1 || !regexp.MustCompile(`Received status update TASK_FAILED for task 'absent'\n  message: 'Failed to launch container: Failed to run '\S*docker -H unix:///var/run/docker.sock pull mesosctl-test/absent:latest': exited with status 1; stderr='[^\n]+'\n  source: SOURCE_AGENT\n  reason: REASON_CONTAINER_LAUNCH_FAILED`).MatchString(out) {
		t.Errorf("missing image: exit %d\n%s", code, out)
	}
}
