package agentd

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/testutil/dockerd"
)

// startDockerAgent runs agentd with the Docker containerizer on the test
// binary's engine.
func startDockerAgent(t *testing.T, extra ...string) (*agentProc, *dockerd.Engine) {
	t.Helper()
	e := dockerd.Shared(t)
	args := []string{"--docker=" + dockerd.CLIBinary, "--docker_socket=" + e.Socket}
	if !slices.ContainsFunc(extra, func(a string) bool { return strings.HasPrefix(a, "--containerizers=") }) {
		args = append(args, "--containerizers=docker,mesos")
	}
	args = append(args, extra...)
	a := startBinaryAgent(t, args...)
	return a, e
}

// dockerTask is a task of the Docker containerizer on the test image.
func dockerTask(id, network, command string) api.TaskSpec {
	return api.TaskSpec{TaskID: id, Name: id, Command: command, Resources: api.TaskResources{CPUs: 0.1, Mem: 32},
		Container: &api.ContainerInfo{Type: "DOCKER", Docker: &api.DockerInfo{Image: dockerd.Image, Network: network}}}
}

func dockerCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// removeContainers removes the test's mesos- containers at the end (the
// agent keeps exited ones for --docker_remove_delay).
func removeContainers(t *testing.T, e *dockerd.Engine, cids ...*string) {
	t.Cleanup(func() {
		for _, c := range cids {
			if *c != "" {
				_, _ = e.Output(context.Background(), "rm", "-f", "mesos-"+*c)
			}
		}
	})
}

func statesOf(ti api.TaskInfo) string {
	var s []string
	for _, u := range ti.Statuses {
		s = append(s, u.State)
	}
	return strings.Join(s, ",")
}

// TestDockerTaskLifecycle: a DOCKER task runs through mesos-docker-executor
// in a container named mesos-<container id>, its sandbox mounted at
// --sandbox_directory with MESOS_SANDBOX, its output in the sandbox's
// files; /state shows its ContainerInfo as a Mesos agent does; a command
// task still runs on the same agent; the exited container stays for
// --docker_remove_delay.
func TestDockerTaskLifecycle(t *testing.T) {
	a, e := startDockerAgent(t, "--sandbox_directory=/mnt/sandbox")
	var cid string
	removeContainers(t, e, &cid)
	spec := dockerTask("dock", "HOST", `echo "hello from $MESOS_SANDBOX as $MESOS_CONTAINER_NAME $FOO"; echo oops >&2; echo x > $MESOS_SANDBOX/made`)
	spec.Env = map[string]string{"FOO": "bar"}
	ti := a.launch(spec)
	cid = ti.ContainerID
	if ti.State != "TASK_STAGING" || ti.Container == nil || ti.Container.Docker.Image != dockerd.Image {
		t.Fatalf("launch answer: %+v", ti)
	}
	done := a.waitState("dock", time.Minute, "TASK_FINISHED", "TASK_FAILED")
	if done.State != "TASK_FINISHED" || statesOf(done) != "TASK_STARTING,TASK_RUNNING,TASK_FINISHED" {
		t.Fatalf("task: %s %+v\n%s", statesOf(done), done, a.stderr)
	}
	last := done.Statuses[len(done.Statuses)-1]
	if last.Message != "Container exited with status 0" || last.Source != "SOURCE_EXECUTOR" || done.ExitStatus == nil || *done.ExitStatus != 0 {
		t.Errorf("terminal update: %+v exit %v", last, done.ExitStatus)
	}
	out, _ := os.ReadFile(filepath.Join(done.Sandbox, "stdout"))
	if want := "hello from /mnt/sandbox as mesos-" + cid + " bar"; !strings.Contains(string(out), want) {
		t.Errorf("stdout %q lacks %q", out, want)
	}
	errOut, _ := os.ReadFile(filepath.Join(done.Sandbox, "stderr"))
	if !strings.Contains(string(errOut), "oops") {
		t.Errorf("stderr: %s", errOut)
	}
	if b, _ := os.ReadFile(filepath.Join(done.Sandbox, "made")); string(b) != "x\n" {
		t.Errorf("file written in the container's sandbox: %q", b)
	}
	// /state: the task's container as a Mesos agent renders it (defaults
	// included), the executor's container ID.
	code, body := a.do("GET", "/state", nil)
	if code != 200 {
		t.Fatal(code)
	}
	if got := jq(t, body, "-c", `[.. | objects | select(.id? == "dock" and has("statuses"))][0].container`); got !=
		`{"type":"DOCKER","docker":{"image":"`+dockerd.Image+`","network":"HOST","privileged":false}}`+"\n" {
		t.Errorf("/state task container: %s", got)
	}
	if got := jq(t, body, "-r", `[.. | objects | select(.id? == "dock" and has("directory"))][0].container`); got != cid+"\n" {
		t.Errorf("/state executor container: %q", got)
	}
	// The container stays (--docker_remove_delay, 6hrs by default).
	if state, err := e.Output(dockerCtx(t), "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "mesos-"+cid); err != nil || state != "exited 0" {
		t.Errorf("container after the task: %q %v", state, err)
	}
	// The mesos containerizer still takes command tasks.
	a.launch(sh("plain", "echo plain"))
	if ti := a.waitState("plain", 30*time.Second, "TASK_FINISHED", "TASK_FAILED"); ti.State != "TASK_FINISHED" {
		t.Errorf("command task next to the docker one: %+v", ti)
	}
}

// TestDockerLimitsTreeKill: cpus and mem become the container's cpu shares
// and memory limit (task plus executor, CFS quota with
// --cgroups_enable_cfs), NONE networking leaves it only a loopback
// interface, the process tree joins the container's processes to the task
// (they hang under containerd's shim), and a kill stops it with docker
// stop; the container is removed --docker_remove_delay after.
func TestDockerLimitsTreeKill(t *testing.T) {
	a, e := startDockerAgent(t, "--cgroups_enable_cfs", "--docker_remove_delay=2secs", "--executor_shutdown_grace_period=3secs")
	var cid string
	removeContainers(t, e, &cid)
	spec := dockerTask("limited", "NONE", `trap "echo got TERM; exit 0" TERM; ls /sys/class/net; sleep 1000 & wait`)
	spec.Resources = api.TaskResources{CPUs: 0.5, Mem: 64}
	ti := a.launch(spec)
	cid = ti.ContainerID
	a.waitState("limited", time.Minute, "TASK_RUNNING")
	pid, err := e.MainPid(dockerCtx(t), "mesos-"+cid)
	if err != nil || pid <= 0 {
		t.Fatalf("container pid: %d %v", pid, err)
	}
	for file, want := range map[string]string{"cpu.shares": "614", "cpu.cfs_quota_us": "60000", "memory.limit_in_bytes": strconv.Itoa(96 << 20)} {
		ctrl, _, _ := strings.Cut(file, ".")
		if got, err := dockerd.ReadCgroupFile(pid, ctrl, file); err != nil || strings.TrimSpace(got) != want {
			t.Errorf("%s = %q (%v), want %s", file, got, err, want)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, _ := os.ReadFile(filepath.Join(ti.Sandbox, "stdout"))
		if strings.TrimSpace(string(out)) == "lo" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("interfaces seen by a NONE container: %q", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	_, body := a.do("GET", api.ProcessesPath, nil)
	var tree api.ProcessTree
	if err := json.Unmarshal(body, &tree); err != nil {
		t.Fatal(err)
	}
	var found *api.ProcessDocker
	var walk func(p api.Process)
	walk = func(p api.Process) {
		if p.Task != nil && p.Task.ID == "limited" {
			found = p.Task.Docker
		}
		for _, c := range p.Children {
			walk(c)
		}
	}
	walk(tree.Agent)
	if found == nil || found.Container != "mesos-"+cid || found.Pid != pid || found.ShimPID <= 0 ||
		!strings.Contains(found.ShimCommand, "containerd-shim") || len(found.Processes) != 1 || found.Processes[0].PID != pid {
		t.Fatalf("process tree's docker part: %+v\n%s", found, body)
	}
	if !strings.Contains(string(body), "mesos-docker-executor --cgroups_enable_cfs=true --container=mesos-"+cid) {
		t.Errorf("the executor is not in the tree:\n%s", body)
	}
	if code, b := a.do("POST", api.TaskPath+"/limited/kill", nil); code != 202 {
		t.Fatalf("kill: %d %s", code, b)
	}
	done := a.waitState("limited", time.Minute, "TASK_KILLED", "TASK_FAILED", "TASK_FINISHED")
	if done.State != "TASK_KILLED" || done.Statuses[len(done.Statuses)-1].Message != "Container exited with status 0" {
		t.Errorf("killed task: %+v", done)
	}
	if out, _ := os.ReadFile(filepath.Join(ti.Sandbox, "stdout")); !strings.Contains(string(out), "got TERM") {
		t.Errorf("the container got no SIGTERM (docker stop): %q", out)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, err := e.Output(dockerCtx(t), "inspect", "mesos-"+cid); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("container not removed after --docker_remove_delay=2secs")
		}
	}
}

// TestDockerImageMissing: an image that is not present and cannot be
// pulled fails the task with the pull's failure, and the agent keeps
// running tasks.
func TestDockerImageMissing(t *testing.T) {
	a, e := startDockerAgent(t, `--docker_config={"auths":{"registry.example":{"auth":"dXNlcjpzZWNyZXQ="}}}`)
	// --docker_config holds credentials: /flags does not show them.
	_, body := a.do("GET", "/flags", nil)
	var flags api.Flags
	if err := json.Unmarshal(body, &flags); err != nil || flags.Flags["docker_config"] != api.Redacted || strings.Contains(string(body), "dXNlcjpzZWNyZXQ=") {
		t.Errorf("/flags shows --docker_config: %s", body)
	}
	spec := dockerTask("nopull", "HOST", "true")
	spec.Container.Docker.Image = "mesosctl-test/absent"
	a.launch(spec)
	done := a.waitState("nopull", time.Minute, "TASK_FAILED", "TASK_FINISHED")
	last := done.Statuses[len(done.Statuses)-1]
	re := regexp.MustCompile(`(?s)^Failed to launch container: Failed to run '` + regexp.QuoteMeta(dockerd.CLIBinary+" -H unix://"+e.Socket+" pull mesosctl-test/absent:latest") +
		`': exited with status 1; stderr='.+'$`)
	if done.State != "TASK_FAILED" || last.Source != "SOURCE_AGENT" || last.Reason != "REASON_CONTAINER_LAUNCH_FAILED" || !re.MatchString(last.Message) {
		t.Errorf("task with a missing image: %s %+v", statesOf(done), last)
	}
	var cid string
	removeContainers(t, e, &cid)
	cid = a.launch(dockerTask("after", "HOST", "echo still here")).ContainerID
	if ti := a.waitState("after", time.Minute, "TASK_FINISHED", "TASK_FAILED"); ti.State != "TASK_FINISHED" {
		t.Errorf("a task after the failed pull: %+v", ti)
	}
}

// TestDockerContainerizerChoice: a DOCKER task on an agent without the
// docker containerizer, and a command task on a docker-only agent, fail as
// Mesos fails them; bad ContainerInfo is refused.
func TestDockerContainerizerChoice(t *testing.T) {
	a := startBinaryAgent(t) // --containerizers=mesos
	a.launch(dockerTask("nodocker", "HOST", "true"))
	done := a.waitState("nodocker", 30*time.Second, "TASK_FAILED", "TASK_FINISHED")
	last := done.Statuses[len(done.Statuses)-1]
	if done.State != "TASK_FAILED" || last.Message != "Abnormal executor termination: unknown container" || last.Reason != "REASON_EXECUTOR_TERMINATED" {
		t.Errorf("docker task without the docker containerizer: %+v", done)
	}
	if log := a.waitLog("None of the enabled containerizers (mesos) could create a container"); !strings.Contains(log, "None of the enabled containerizers (mesos)") {
		t.Errorf("log: %s", log)
	}
	bad := dockerTask("bad", "HOST", "true")
	bad.Container.Docker.Parameters = []api.Parameter{{Key: "name", Value: "x"}}
	if code, body := a.do("POST", api.TaskPath, bad); code != 400 || !strings.Contains(string(body), "Parameter in DockerInfo must not be 'name'") {
		t.Errorf("name parameter: %d %s", code, body)
	}

	d, _ := startDockerAgent(t, "--containerizers=docker")
	d.launch(sh("cmd", "true"))
	done = d.waitState("cmd", 30*time.Second, "TASK_FAILED", "TASK_FINISHED")
	if done.State != "TASK_FAILED" || done.Statuses[len(done.Statuses)-1].Message != "Abnormal executor termination: unknown container" {
		t.Errorf("command task on a docker-only agent: %+v", done)
	}
}

// TestDockerEngineRequired: an agent with the docker containerizer does not
// start without the docker CLI or without an engine that answers, with
// Mesos' errors.
func TestDockerEngineRequired(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "docker.sock")
	_, stderr, err := runAgent(t, "--work_dir="+filepath.Join(dir, "w1"), "--containerizers=docker,mesos",
		"--docker=/nonexistent/docker", "--docker_socket="+sock, "--port=0", "--config_dir=")
	want := "Failed to create a containerizer: Could not create DockerContainerizer: Failed to create docker: Failed to get docker version: Failed to execute '/nonexistent/docker -H unix://" +
		sock + " --version': exited with status 127"
	if err == nil || !strings.Contains(err.Error()+stderr, want) {
		t.Errorf("no docker CLI: %v\n%s", err, stderr)
	}
	_, stderr, err = runAgent(t, "--work_dir="+filepath.Join(dir, "w2"), "--containerizers=docker,mesos",
		"--docker="+dockerd.CLIBinary, "--docker_socket="+sock, "--port=0", "--config_dir=")
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	for _, want := range []string{
		"Failed to perform recovery: Failed to run '" + dockerd.CLIBinary + " -H unix://" + sock + " ps -a': exited with status 1; stderr='Cannot connect to the Docker daemon at unix://" + sock,
		"If you use the Docker containerizer and think that the Docker\ndaemon state is broken",
		"docker rmi $(docker images -q)",
	} {
		if !strings.Contains(msg+stderr, want) {
			t.Errorf("no engine: the error lacks %q:\n%v\n%s", want, err, stderr)
		}
	}
	_, stderr, err = runAgent(t, "--work_dir="+filepath.Join(dir, "w3"), "--containerizers=docker,docker", "--port=0", "--config_dir=")
	if err == nil || !strings.Contains(err.Error()+stderr, "Duplicate entries found in --containerizer flag 'docker,docker'") {
		t.Errorf("duplicate containerizers: %v %s", err, stderr)
	}
}

// TestDockerRecovery: after kill -9 of agentd and a restart, running
// Docker tasks are still RUNNING under the same executors, one that ended
// while agentd was down has its true status, and a mesos- container the
// agent does not know is killed (--docker_kill_orphans); nothing is lost
// or duplicated.
func TestDockerRecovery(t *testing.T) {
	a, e := startDockerAgent(t)
	ctx := dockerCtx(t)
	var c1, c2, c3 string
	removeContainers(t, e, &c1, &c2, &c3)
	c1 = a.launch(dockerTask("long1", "NONE", `trap "exit 0" TERM; sleep 1000 & wait`)).ContainerID
	c2 = a.launch(dockerTask("ends", "NONE", `sleep 3; exit 7`)).ContainerID
	c3 = a.launch(dockerTask("long2", "HOST", `trap "exit 0" TERM; sleep 1000 & wait`)).ContainerID
	var pids []int
	for _, id := range []string{"long1", "ends", "long2"} {
		ti := a.waitState(id, time.Minute, "TASK_RUNNING")
		pids = append(pids, ti.ExecutorPID)
	}
	orphanID := strings.TrimSpace(mustRead(t, "/proc/sys/kernel/random/uuid"))
	orphan := "mesos-" + orphanID
	if _, err := e.Output(ctx, "run", "-d", "--network=none", "--name", orphan, dockerd.Image, "sleep", "1000"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = e.Output(context.Background(), "rm", "-f", orphan) })
	foreign := "other-" + orphanID
	if _, err := e.Output(ctx, "run", "-d", "--network=none", "--name", foreign, dockerd.Image, "sleep", "1000"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = e.Output(context.Background(), "rm", "-f", foreign) })

	a.kill9()
	time.Sleep(5 * time.Second) // "ends" exits while agentd is down
	a.restart()

	for i, id := range []string{"long1", "long2"} {
		ti := a.task(id, "")
		pid := pids[0]
		if i == 1 {
			pid = pids[2]
		}
		if ti.State != "TASK_RUNNING" || ti.ExecutorPID != pid {
			t.Errorf("%s after the restart: %s executor %d (was %d)", id, ti.State, ti.ExecutorPID, pid)
		}
	}
	ended := a.waitState("ends", 30*time.Second, "TASK_FAILED", "TASK_FINISHED", "TASK_LOST")
	if ended.State != "TASK_FAILED" || ended.Statuses[len(ended.Statuses)-1].Message != "Container exited with status 7" ||
		ended.ExitStatus == nil || *ended.ExitStatus != 7 || statesOf(ended) != "TASK_STARTING,TASK_RUNNING,TASK_FAILED" {
		t.Errorf("task that ended while agentd was down: %s %+v", statesOf(ended), ended)
	}
	if _, err := e.Output(ctx, "inspect", orphan); err == nil {
		t.Errorf("orphan %s survived --docker_kill_orphans", orphan)
	}
	if _, err := e.Output(ctx, "inspect", foreign); err != nil {
		t.Errorf("a container not named by Mesos was touched: %v", err)
	}
	for _, c := range []string{c1, c3} {
		if st, err := e.Output(ctx, "inspect", "--format", "{{.State.Running}}", "mesos-"+c); err != nil || st != "true" {
			t.Errorf("container %s after the restart: %q %v", c, st, err)
		}
	}
	// Nothing duplicated: three tasks, one container each.
	if n := len(a.state().Frameworks[0].Executors) + len(a.state().Frameworks[0].CompletedExecutors); n != 3 {
		t.Errorf("%d executors in /state, want 3", n)
	}
	if out, _ := e.Output(ctx, "ps", "-a", "--filter", "name=mesos-", "--format", "{{.Names}}"); len(strings.Fields(out)) != 3 {
		t.Errorf("mesos- containers after recovery: %q", out)
	}
	// The recovered tasks are still the agent's to kill.
	a.do("POST", api.TaskPath+"/long1/kill", nil)
	if ti := a.waitState("long1", time.Minute, "TASK_KILLED", "TASK_FAILED"); ti.State != "TASK_KILLED" {
		t.Errorf("kill after recovery: %+v", ti)
	}

	// Without --docker_kill_orphans an unknown mesos- container is left.
	a.kill9()
	if _, err := e.Output(ctx, "run", "-d", "--network=none", "--name", orphan, dockerd.Image, "sleep", "1000"); err != nil {
		t.Fatal(err)
	}
	a.restart("--docker_kill_orphans=false")
	if _, err := e.Output(ctx, "inspect", orphan); err != nil {
		t.Errorf("--docker_kill_orphans=false killed %s", orphan)
	}
	if ti := a.task("long2", ""); ti.State != "TASK_RUNNING" {
		t.Errorf("long2 after the second restart: %s", ti.State)
	}
}

func mustRead(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDockerTaskOptions: parameters, volumes (a host path, a
// sandbox-relative one, a read-only one), privileged and force_pull_image
// reach the container as Mesos passes them to docker run.
func TestDockerTaskOptions(t *testing.T) {
	a, e := startDockerAgent(t)
	ctx := dockerCtx(t)
	host := t.TempDir()
	if err := os.WriteFile(filepath.Join(host, "in"), []byte("from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var cid string
	removeContainers(t, e, &cid)
	spec := dockerTask("opts", "NONE", `cat /ro/in; echo out > /rw/made; echo rel > $MESOSCTL_REL/made; trap "exit 0" TERM; sleep 1000 & wait`)
	spec.Env = map[string]string{"MESOSCTL_REL": "/mnt/mesos/sandbox/rel"}
	spec.Container.Docker.Parameters = []api.Parameter{{Key: "label", Value: "org.mesosctl.test=opts"}, {Key: "env", Value: "FROM_PARAM=1"}}
	spec.Container.Volumes = []api.Volume{
		{Mode: "RO", ContainerPath: "/ro", HostPath: host},
		{Mode: "RW", ContainerPath: "/rw", HostPath: "data"}, // relative: in the sandbox
		{Mode: "RW", ContainerPath: "rel", HostPath: host},   // relative: in the mapped sandbox
	}
	ti := a.launch(spec)
	cid = ti.ContainerID
	if st := a.waitState("opts", time.Minute, "TASK_RUNNING", "TASK_FAILED"); st.State != "TASK_RUNNING" {
		stderr, _ := os.ReadFile(filepath.Join(ti.Sandbox, "stderr"))
		t.Fatalf("task: %+v\nexecutor's stderr:\n%s", st.Statuses, stderr)
	}
	got, err := e.Output(ctx, "inspect", "--format",
		`{{.HostConfig.Privileged}} {{index .Config.Labels "org.mesosctl.test"}} {{range .Config.Env}}{{if eq . "FROM_PARAM=1"}}{{.}}{{end}}{{end}}`, "mesos-"+cid)
	if err != nil || got != "false opts FROM_PARAM=1" {
		t.Errorf("label, env parameter: %q %v", got, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, _ := os.ReadFile(filepath.Join(ti.Sandbox, "stdout"))
		made, _ := os.ReadFile(filepath.Join(ti.Sandbox, "data", "made"))
		rel, _ := os.ReadFile(filepath.Join(host, "made"))
		if string(out) == "from the host\n" && string(made) == "out\n" && string(rel) == "rel\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("volumes: stdout %q, sandbox data/made %q, host made %q", out, made, rel)
		}
		time.Sleep(50 * time.Millisecond)
	}
	a.do("POST", api.TaskPath+"/opts/kill", nil)
	a.waitState("opts", time.Minute, "TASK_KILLED")

	// privileged: the container is created privileged. (Whether it can
	// start depends on the machine: where the engine itself lacks
	// capabilities, runc refuses, and the task fails with docker's error.)
	var pcid string
	removeContainers(t, e, &pcid)
	priv := dockerTask("priv", "NONE", "true")
	priv.Container.Docker.Privileged = true
	pcid = a.launch(priv).ContainerID
	pdone := a.waitState("priv", time.Minute, "TASK_FINISHED", "TASK_FAILED")
	if got, err := e.Output(ctx, "inspect", "--format", "{{.HostConfig.Privileged}}", "mesos-"+pcid); err != nil || got != "true" {
		t.Errorf("privileged: HostConfig.Privileged %q %v (task %s)", got, err, pdone.State)
	}
	if pdone.State == "TASK_FAILED" {
		stderr, _ := os.ReadFile(filepath.Join(pdone.Sandbox, "stderr"))
		t.Logf("a privileged container cannot start on this machine: %s", strings.TrimSpace(string(stderr)))
	}

	// force_pull_image pulls even a present image: here no registry is
	// reachable, so the task fails with the pull's error.
	force := true
	fp := dockerTask("forced", "NONE", "true")
	fp.Container.Docker.ForcePullImage = &force
	a.launch(fp)
	done := a.waitState("forced", time.Minute, "TASK_FAILED", "TASK_FINISHED")
	if last := done.Statuses[len(done.Statuses)-1]; done.State != "TASK_FAILED" ||
		!strings.Contains(last.Message, " pull "+dockerd.Image+"': exited with status 1") {
		t.Errorf("force_pull_image: %+v", done)
	}
}

// dockerMetrics are the containerizer/docker/* keys of /metrics/snapshot.
func dockerMetrics(t *testing.T, a *agentProc) map[string]float64 {
	t.Helper()
	var m map[string]float64
	if err := json.Unmarshal(httpGet(t, a.URL+"/metrics/snapshot"), &m); err != nil {
		t.Fatal(err)
	}
	for k := range m {
		if !strings.HasPrefix(k, "containerizer/docker/") {
			delete(m, k)
		}
	}
	return m
}

// TestDockerKillingAndMetrics: a task whose framework has the
// TASK_KILLING_STATE capability reports TASK_KILLING when it is killed,
// then TASK_KILLED; its KillPolicy grace period, not the agent's long
// shutdown grace period, is how long docker stop waits (sleep as the
// container's PID 1 ignores SIGTERM). Without the capability there is no
// TASK_KILLING. Each launch times its image pull in
// containerizer/docker/image_pull_ms, which is absent before the first,
// as on a Mesos agent; a task with a health check or an executor is
// refused by name.
func TestDockerKillingAndMetrics(t *testing.T) {
	a, e := startDockerAgent(t, "--executor_shutdown_grace_period=60secs", "--docker_remove_delay=1mins")
	var cid1, cid2 string
	removeContainers(t, e, &cid1, &cid2)
	if m := dockerMetrics(t, a); len(m) != 0 {
		t.Errorf("docker metrics before any pull: %v", m)
	}
	for field, body := range map[string]string{
		"health_check": `{"task_id":"hc","command":"true","resources":{"cpus":0.1,"mem":32},"health_check":{"type":"COMMAND","command":{"value":"true"}}}`,
		"executor":     `{"task_id":"ex","command":"true","resources":{"cpus":0.1,"mem":32},"executor":{"executor_id":{"value":"e"},"container":{"type":"DOCKER","docker":{"image":"x"}}}}`,
	} {
		code, b := a.do("POST", api.TaskPath, json.RawMessage(body))
		if code != 400 || !strings.Contains(string(b), field+" is not supported: ") {
			t.Errorf("a task with %s: %d %s", field, code, b)
		}
	}

	spec := dockerTask("killing", "NONE", "exec sleep 1000")
	spec.FrameworkCapabilities = []string{"TASK_KILLING_STATE"}
	spec.KillPolicy = &api.KillPolicy{GracePeriod: &api.DurationInfo{Nanoseconds: int64(time.Second)}}
	cid1 = a.launch(spec).ContainerID
	a.waitState("killing", time.Minute, "TASK_RUNNING")
	m := dockerMetrics(t, a)
	if len(m) != 1 || m["containerizer/docker/image_pull_ms"] <= 0 {
		t.Errorf("docker metrics after one pull: %v", m)
	}
	t0 := time.Now()
	if code, b := a.do("POST", api.TaskPath+"/killing/kill", nil); code != 202 {
		t.Fatalf("kill: %d %s", code, b)
	}
	done := a.waitState("killing", time.Minute, "TASK_KILLED", "TASK_FAILED", "TASK_FINISHED")
	if took := time.Since(t0); took > 20*time.Second {
		t.Errorf("the kill took %s: the KillPolicy's 1s grace period was not used", took)
	}
	if got := statesOf(done); got != "TASK_STARTING,TASK_RUNNING,TASK_KILLING,TASK_KILLED" ||
		done.Statuses[len(done.Statuses)-1].Message != "Container exited with status 137" {
		t.Errorf("statuses %s: %+v", got, done.Statuses)
	}
	if out, _ := os.ReadFile(filepath.Join(done.Sandbox, "stderr")); !strings.Contains(string(out), "Received killTask with grace period of 1s (the task's kill policy)") {
		t.Errorf("executor's stderr:\n%s", out)
	}

	plain := dockerTask("plain", "NONE", `trap "exit 0" TERM; sleep 1000 & wait`)
	cid2 = a.launch(plain).ContainerID
	a.waitState("plain", time.Minute, "TASK_RUNNING")
	a.do("POST", api.TaskPath+"/plain/kill", nil)
	done = a.waitState("plain", time.Minute, "TASK_KILLED", "TASK_FAILED", "TASK_FINISHED")
	if got := statesOf(done); got != "TASK_STARTING,TASK_RUNNING,TASK_KILLED" {
		t.Errorf("without TASK_KILLING_STATE: %s", got)
	}
	m = dockerMetrics(t, a)
	for _, k := range []string{"", "/count", "/min", "/max", "/p50", "/p90", "/p95", "/p99", "/p999", "/p9999"} {
		if _, ok := m["containerizer/docker/image_pull_ms"+k]; !ok {
			t.Errorf("docker metrics after two pulls lack image_pull_ms%s: %v", k, m)
		}
	}
	if len(m) != 10 || m["containerizer/docker/image_pull_ms/count"] != 2 {
		t.Errorf("docker metrics after two pulls: %v", m)
	}
}
