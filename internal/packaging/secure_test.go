package packaging_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/testutil/syncbuf"
)

// TestPackagedNodeIsSecureByDefault runs the installed agentd with the
// installed /etc/default/mesosctl-agentd, as the unit does (paths moved
// into the test's root): it listens on every address, requires read-write
// authentication with the credential the package made (no open-port
// warning), refuses an anonymous launch, and mesosctl on the same host runs
// a task through it with no credentials configured.
func TestPackagedNodeIsSecureByDefault(t *testing.T) {
	d := packages(t)
	root := dpkgRoot(t)
	mustDpkg(t, root, "-i", d.deb)
	bin := filepath.Join(root, "usr/bin/mesosctl")
	env := []string{"PATH=" + os.Getenv("PATH")}
	for _, line := range strings.Split(readFile(t, filepath.Join(root, "etc/default/mesosctl-agentd")), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && strings.HasPrefix(k, "MESOS_") {
			if strings.HasPrefix(v, "/") && k != "MESOS_WORK_DIR" {
				v = filepath.Join(root, v)
			}
			env = append(env, k+"="+v)
		}
	}
	work := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	agent := exec.Command(bin, "agentd", "--work_dir="+work, "--runtime_dir="+filepath.Join(work, "run"),
		"--config_dir="+filepath.Join(root, "etc/mesos-slave"), fmt.Sprintf("--port=%d", port), "--hostname=packaged")
	agent.Env = env
	var stderr syncbuf.Buffer
	agent.Stderr = &stderr
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		agent.Process.Signal(syscall.SIGTERM)
		agent.Wait()
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(url + "/state"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("packaged agentd not up:\n%s", stderr.String())
		}
	}
	if strings.Contains(stderr.String(), "anyone who can reach this port") {
		t.Errorf("the packaged configuration warns about an open port:\n%s", stderr.String())
	}
	resp, err := http.Post(url+"/mesosctl/v1/tasks", "application/json", strings.NewReader(`{"task_id":"anon","command":"true"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous launch on a packaged node: %d, want 401", resp.StatusCode)
	}
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("nodes:\n  - name: node1\n    address: 127.0.0.1\n    agent_port: %d\n", port)), 0o644)
	run := exec.Command(bin, "exec", "--agent", "node1", "--name", "hello", "--resources", "cpus:0.1;mem:32", "--command", "echo hi")
	run.Env = append(os.Environ(), "MESOSCTL_CONFIG="+cfg, "NODES=", "MESOSCTL_HTTP_CREDENTIALS=")
	out, err := run.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "TASK_FINISHED") {
		t.Errorf("mesosctl exec on the packaged node, no credentials configured: %v\n%s\nagentd:\n%s", err, out, stderr.String())
	}
}
