package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/testcluster"
)

var (
	exe        string // the mesosctl built for the tests
	harness    string // mesosctl-testcluster, next to it
	runtimeDir string
	c          *testcluster.Cluster
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "e2e tests need root (namespaces, mounts, sshd on port 22)")
		return 1
	}
	for _, tool := range []string{"ssh", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			fmt.Fprintf(os.Stderr, "e2e tests need %s: run scripts/install-deps.sh\n", tool)
			return 1
		}
	}
	tmp, err := os.MkdirTemp("", "mesosctl-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	bins, err := testcluster.Build(tmp)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	exe, harness = bins.Mesosctl, bins.Harness
	// mesosctl's ssh-mux daemon (started by the first fan-out) lives in
	// this directory and exits once it is removed.
	runtimeDir = filepath.Join(tmp, "run")
	os.Mkdir(runtimeDir, 0o700)
	c, err = testcluster.Start(testcluster.Options{Binaries: bins, Subnet: "127.0.202", KillWithParent: true, Docker: true, Log: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the 4-node test cluster:", err)
		return 1
	}
	code := m.Run()
	cgroups := c.Cgroups()
	if err := c.Down(); err != nil {
		fmt.Fprintln(os.Stderr, "tearing the test cluster down:", err)
		code = 1
	}
	if left := testcluster.Leftovers(c, cgroups); len(left) > 0 {
		fmt.Fprintln(os.Stderr, "left after teardown:\n  "+strings.Join(left, "\n  "))
		code = 1
	}
	return code
}

// sh runs a shell pipeline on the host the way an operator types it, with
// `ssh` meaning `ssh -F <cluster>/ssh_config` and mesosctl on PATH and
// pointed at the cluster's inventory.
func sh(t *testing.T, script string) string {
	t.Helper()
	cmd := exec.Command("bash", "-o", "pipefail", "-c", "ssh() { command ssh -F \"$SSH_CONFIG\" \"$@\"; }\n"+script)
	cmd.Env = append(os.Environ(),
		"SSH_CONFIG="+c.SSHConfig,
		"MESOSCTL_CONFIG="+c.ConfigFile,
		"XDG_RUNTIME_DIR="+runtimeDir,
		"XDG_STATE_HOME="+filepath.Join(filepath.Dir(runtimeDir), "state"),
		"PATH="+filepath.Dir(exe)+":"+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("$ %s\n%s\n%v", script, out, err)
	}
	return string(out)
}

func ip(t *testing.T, node string) string {
	t.Helper()
	n, err := c.Node(node)
	if err != nil {
		t.Fatal(err)
	}
	return n.IP
}

// state fetches the node agent's /state.
func state(t *testing.T, node string) map[string]any {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://%s:%d/state", ip(t, node), c.AgentPort))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatalf("%s /state: %v", node, err)
	}
	return st
}

// waitState polls /state until ok accepts it (after a restart).
func waitState(t *testing.T, node string, ok func(map[string]any) bool) map[string]any {
	t.Helper()
	if err := c.WaitAgent(node, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if st = state(t, node); ok(st) {
			return st
		}
	}
	b, _ := json.Marshal(st)
	t.Fatalf("%s /state never matched; last: %.2000s", node, b)
	return nil
}

// Workflow 1: show the running agent daemon with its arguments.
func TestWorkflow1AgentProcessWithArguments(t *testing.T) {
	for _, n := range c.Nodes {
		out := sh(t, fmt.Sprintf(`ssh %s 'ps -eo args | grep [m]esos-slave'`, n.Name))
		want := fmt.Sprintf("/usr/sbin/mesos-slave --ip=%s --port=5051 --work_dir=/var/lib/mesos --log_dir=/var/log/mesos --master=%s", n.IP, c.ZooKeeper)
		if !strings.Contains(out, want) {
			t.Errorf("%s: ps shows\n%s\nwant %s", n.Name, out, want)
		}
	}
}

// Workflow 2: {resources,attributes} from /state through jq.
func TestWorkflow2StateThroughJQ(t *testing.T) {
	out := sh(t, fmt.Sprintf(`ssh lxb002 'curl -s http://%s:5051/state' | jq '{resources,attributes}'`, ip(t, "lxb002")))
	var got struct {
		Resources  map[string]any `json:"resources"`
		Attributes map[string]any `json:"attributes"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("jq output: %v\n%s", err, out)
	}
	for _, r := range []string{"cpus", "mem", "disk", "ports"} {
		if _, ok := got.Resources[r]; !ok {
			t.Errorf("resources lack %s:\n%s", r, out)
		}
	}
	if got.Attributes == nil {
		t.Errorf("no attributes object:\n%s", out)
	}
}

// Workflow 3: resources and attributes by files in /etc/mesos-slave, clear
// meta/slaves/latest, restart, see them in /state.
func TestWorkflow3ResourcesAndAttributesByFiles(t *testing.T) {
	sh(t, `ssh lxb001 "echo 'cpus:24;mem:122880;disk:921600;ports:[21000-29000]' > /etc/mesos-slave/resources"
ssh lxb001 "echo 'os:centos7;rack:3' > /etc/mesos-slave/attributes"
ssh lxb001 'rm -rf /var/lib/mesos/meta/slaves/latest && systemctl restart mesos-slave'`)
	waitState(t, "lxb001", func(st map[string]any) bool {
		a, _ := st["attributes"].(map[string]any)
		return a != nil && a["rack"] == 3.0
	})
	out := sh(t, fmt.Sprintf(`curl -s http://%s:5051/state | jq '{resources,attributes}'`, ip(t, "lxb001")))
	for _, want := range []string{`"rack": 3`, `"os": "centos7"`, `"cpus": 24`, `"mem": 122880`, `"disk": 921600`, `"ports": "[21000-29000]"`} {
		if !strings.Contains(out, want) {
			t.Errorf("jq output lacks %s:\n%s", want, out)
		}
	}
	// The other nodes keep their defaults.
	if a, _ := state(t, "lxb002")["attributes"].(map[string]any); a["rack"] != nil {
		t.Errorf("lxb002 got rack too: %v", a)
	}
}

// Workflow 4: containerizers mesos,docker on lxb00[1-4], read back from
// .flags.containerizers.
func TestWorkflow4Containerizers(t *testing.T) {
	sh(t, `for n in lxb00{1..4}; do ssh $n 'echo mesos,docker > /etc/mesos-slave/containerizers && systemctl restart mesos-slave'; done`)
	for _, n := range c.Nodes {
		waitState(t, n.Name, func(st map[string]any) bool {
			f, _ := st["flags"].(map[string]any)
			return f != nil && f["containerizers"] == "mesos,docker"
		})
		out := sh(t, fmt.Sprintf(`curl -s http://%s:5051/state | jq -r .flags.containerizers`, n.IP))
		if out != "mesos,docker\n" {
			t.Errorf("%s: .flags.containerizers = %q", n.Name, out)
		}
	}
}
