package agentd

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/testutil/syncbuf"
)

// v2Hierarchy is this machine's cgroup v2 mount (next to the v1 mounts
// under /sys/fs/cgroup): its controllers are bound to v1, so none of
// cpu, memory and pids is available there.
const v2Hierarchy = "/sys/fs/cgroup/unified"

// runAgentdOnce runs the agentd binary expecting it to refuse to start:
// it returns the exit code and stderr.
func runAgentdOnce(t *testing.T, args ...string) (int, string) {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	all := append([]string{"agentd", "--work_dir=" + filepath.Join(dir, "work"), "--runtime_dir=" + filepath.Join(dir, "run"),
		"--ip=127.0.0.1", "--port=0", "--config_dir=", "--cgroups_root=mesosctl-test-refused"}, args...)
	cmd := exec.CommandContext(ctx, mesosctlBinary(t), all...)
	var stderr syncbuf.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("agentd %v: %v (it should have refused to start)\n%s", args, err, stderr.String())
	}
	return ee.ExitCode(), stderr.String()
}

// TestIsolationThatCannotBeAppliedIsRefused: a cgroups/* isolator that
// cannot be applied stops agentd at start with an error naming it, on the
// v2 mount as on v1; isolators agentd does not implement are refused.
func TestIsolationThatCannotBeAppliedIsRefused(t *testing.T) {
	if _, err := os.Stat(filepath.Join(v2Hierarchy, "cgroup.controllers")); err != nil {
		t.Fatalf("no cgroup v2 mount at %s: %v", v2Hierarchy, err)
	}
	for _, tt := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"--cgroups_hierarchy=" + v2Hierarchy, "--isolation=cgroups/mem"}, 1,
			[]string{"cgroup controller memory is not available in the cgroup v2 hierarchy " + v2Hierarchy, "drop cgroups/mem from --isolation"}},
		{[]string{"--cgroups_hierarchy=" + v2Hierarchy, "--isolation=cgroups/cpu,cgroups/pids"}, 1,
			[]string{"cgroup controller cpu is not available in the cgroup v2 hierarchy"}},
		{[]string{"--cgroups_hierarchy=" + v2Hierarchy, "--isolation=cgroups/all"}, 1,
			[]string{"cgroups/all: the cgroup v2 hierarchy " + v2Hierarchy + " offers none of the controllers agentd applies"}},
		{[]string{"--cgroups_hierarchy=" + t.TempDir(), "--isolation=cgroups/mem"}, 1,
			[]string{"is neither a cgroup v2 mount nor a directory of cgroup v1 mounts"}},
		{[]string{"--isolation=cgroups/devices"}, 2,
			[]string{"agentd cannot apply the isolator 'cgroups/devices'"}},
	} {
		code, stderr := runAgentdOnce(t, tt.args...)
		for _, w := range tt.want {
			if code != tt.code || !strings.Contains(stderr, w) {
				t.Errorf("agentd %v: exit %d, want %d with %q:\n%s", tt.args, code, tt.code, w, stderr)
			}
		}
	}
}

// TestIsolationInForce: the log says which isolation is in force (for
// cgroups/all, which controllers), and a limit the kernel refuses fails the
// launch with the kernel's error instead of running the task without it.
func TestIsolationInForce(t *testing.T) {
	a := startBinaryAgent(t, "--isolation=cgroups/all")
	want := "Isolation in force: cgroups v1 (one mount per controller) at /sys/fs/cgroup, root " + a.cgroups + ": cpu, memory, pids, cpuacct"
	if log := a.waitLog(want); !strings.Contains(log, want) {
		t.Errorf("no log line naming the isolation in force:\n%s", log)
	}
	spec := sh("too-many-pids", "true")
	spec.PidsMax = 1 << 30 // above the kernel's PID_MAX_LIMIT: pids.max refuses it
	code, body := a.do("POST", api.TaskPath, spec)
	if code != 500 || !strings.Contains(string(body), "pids.max") || !strings.Contains(string(body), "invalid argument") {
		t.Errorf("launch with an impossible pids limit: %d %s", code, body)
	}
	if code, _ := a.do("GET", api.TaskPath+"/too-many-pids", nil); code != 404 {
		t.Errorf("the refused task exists: %d", code)
	}
	spec.TaskID, spec.PidsMax = "fine", 64
	a.launch(spec)
	if ti := a.waitState("fine", 20*time.Second, "TASK_FINISHED", "TASK_FAILED"); ti.State != "TASK_FINISHED" {
		t.Errorf("fine: %+v", ti)
	}
}
