package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/testutil/syncbuf"
)

// TestDemoScript runs `make demo`'s script as a person does (on its own
// cluster) and `demo.sh down` after it, and checks that the workflows
// printed their commands and the expected output.
func TestDemoScript(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo-cluster")
	// XDG_RUNTIME_DIR: mesosctl's ssh-mux daemon goes when the test's
	// directory does.
	env := append(os.Environ(), "CLUSTER_DIR="+dir, "CLUSTER_SUBNET=127.0.207", "NO_COLOR=1",
		"XDG_RUNTIME_DIR="+t.TempDir(), "XDG_STATE_HOME="+t.TempDir())
	demo := exec.Command("bash", "../scripts/demo.sh")
	demo.Env = env
	out, err := demo.CombinedOutput()
	down := exec.Command("bash", "../scripts/demo.sh", "down")
	down.Env = env
	downOut, downErr := down.CombinedOutput()
	if err != nil {
		t.Fatalf("demo.sh: %v\n%s", err, out)
	}
	if downErr != nil || !strings.Contains(string(downOut), "is down") {
		t.Errorf("demo.sh down: %v\n%s", downErr, downOut)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("%s still exists after demo.sh down", dir)
	}
	s := string(out)
	for _, want := range []string{
		"$ mesosctl-testcluster up --dir " + dir,
		"$ ssh lxb001 'ps -eo pid,args | grep [m]esos-slave'",
		"/usr/sbin/mesos-slave --ip=127.0.207.1 --port=5051",
		"$ curl -s http://127.0.207.1:5051/state | jq '{resources,attributes}'",
		`"rack": 3`,
		`"ports": "[21000-29000]"`,
		"mesos,docker\nmesos,docker\nmesos,docker\nmesos,docker\n",
		// the seed's change by hand, then with mesosctl's verbs
		"$ mesosctl agent set-resources lxb002 'cpus:24;mem:122880;disk:921600;ports:[21000-29000]' --dry-run",
		"clear-latest+restart  ok",
		"$ mesosctl agent set-attributes lxb002 os:centos7 rack:3",
		"$ mesosctl agent set-containerizers lxb00[3-4] mesos,docker",
		"-- lxb004 --\nmesos,docker\n",
		"Received status update TASK_RUNNING for task 'sleep'",
		"$ mesosctl tree \"$node\"",
		" containerizer launch --launch_info=",
		"/bin/sh -c echo sleep... ; sleep 300",
		"Asked to kill task 'sleep.",
		"Received status update TASK_KILLED for task 'sleep.",
		// the Docker task
		"Received status update TASK_RUNNING for task 'web'",
		"  mesosctl-test/busybox  ",
		" mesos-docker-executor --cgroups_enable_cfs=false --container=mesos-",
		"its processes are children of containerd-shim-runc-v2",
		"serving from /mnt/mesos/sandbox\n",
		"Received status update TASK_KILLED for task 'web.",
		"message: 'Failed to launch container: Failed to run '",
		"pull mesosctl-test/absent:latest': exited with status 1; stderr=",
		"The cluster keeps running.",
		"export PATH=",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	// Every "-- NODE --" header has output under it, and the process
	// tree comes from mesosctl tree, not ps | grep (which shows the grep).
	if m := regexp.MustCompile(`(?m)^-- lxb\d+ --\n(-- |\n|\$ |#)`).FindString(s); m != "" {
		t.Errorf("an empty node header in the demo: %q", m)
	}
	if strings.Contains(s, "grep mesos-slave -A") || strings.Contains(s, "ps -A --forest") {
		t.Error("the demo still shows the tree with ps | grep")
	}
	if t.Failed() {
		t.Logf("demo output:\n%s", s)
	}
}

// TestDemoCtrlC: Ctrl-C during the demo (SIGINT to its process group, as
// a terminal sends it) tears the cluster down.
func TestDemoCtrlC(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo-cluster")
	demo := exec.Command("bash", "../scripts/demo.sh")
	demo.Env = append(os.Environ(), "CLUSTER_DIR="+dir, "CLUSTER_SUBNET=127.0.208", "NO_COLOR=1",
		"XDG_RUNTIME_DIR="+t.TempDir(), "XDG_STATE_HOME="+t.TempDir())
	demo.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out syncbuf.Buffer
	demo.Stdout, demo.Stderr = &out, &out
	if err := demo.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := os.Stat(filepath.Join(dir, "cluster.json")); err == nil {
			_ = exec.Command(harness, "down", "--dir", dir).Run()
		}
	})
	deadline := time.Now().Add(3 * time.Minute)
	for !strings.Contains(out.String(), "## 1.") {
		if time.Now().After(deadline) {
			_ = syscall.Kill(-demo.Process.Pid, syscall.SIGKILL)
			t.Fatalf("demo did not reach step 1:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = syscall.Kill(-demo.Process.Pid, syscall.SIGINT)
	err := demo.Wait()
	if err == nil || !strings.Contains(out.String(), "demo: stopped before the end, tearing the cluster down") ||
		!strings.Contains(out.String(), "is down.") {
		t.Errorf("after Ctrl-C: %v\n%s", err, out.String())
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("%s still exists after Ctrl-C", dir)
	}
}
