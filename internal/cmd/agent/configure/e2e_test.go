package configure_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/mesosctl"
	"github.com/mesosctl/mesosctl/internal/testcluster"
)

// One test cluster for the whole package (starting one takes seconds).
var (
	cluster    *testcluster.Cluster
	clusterErr error
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "agentcfg-e2e-")
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
	cluster, clusterErr = testcluster.Start(testcluster.Options{Dir: filepath.Join(tmp, "cluster"), Nodes: 3, Binaries: bins,
		Subnet: "127.0.210", KillWithParent: true})
	if clusterErr != nil {
		fmt.Fprintln(os.Stderr, "test cluster:", clusterErr)
		return 1
	}
	code := m.Run()
	if err := cluster.Down(); err != nil {
		fmt.Fprintln(os.Stderr, "cluster down:", err)
		code = 1
	}
	return code
}

func setup(t *testing.T) *testcluster.Cluster {
	t.Helper()
	t.Setenv("MESOSCTL_CONFIG", cluster.ConfigFile)
	t.Setenv("NODES", "")
	t.Setenv("SSH_AUTH_SOCK", "")
	for _, n := range cluster.NodeNames() {
		if err := cluster.WaitAgent(n, 30*time.Second); err != nil {
			// A previous test may have stopped it.
			cluster.SSH(n, "systemctl start mesos-slave")
			if err := cluster.WaitAgent(n, 30*time.Second); err != nil {
				t.Fatal(err)
			}
		}
	}
	return cluster
}

func run(t *testing.T, args ...string) (cmdutil.ExitCode, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	code := mesosctl.Run(context.Background(), ios, append([]string{"mesosctl"}, args...))
	return code, out.String(), errOut.String()
}

type state struct {
	ID         string            `json:"id"`
	Attributes map[string]any    `json:"attributes"`
	Resources  map[string]any    `json:"resources"`
	Flags      map[string]string `json:"flags"`
	Frameworks []json.RawMessage `json:"frameworks"`
}

func getState(t *testing.T, c *testcluster.Cluster, node string) state {
	t.Helper()
	n, err := c.Node(node)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(fmt.Sprintf("http://%s:%d/state", n.IP, c.AgentPort))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st state
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// files returns the flag files and the latest link of a node with their
// modification times, to show nothing was touched.
func files(t *testing.T, c *testcluster.Cluster, node string) string {
	t.Helper()
	out, err := c.SSH(node, "cd /etc/mesos-slave && for f in *; do [ -f \"$f\" ] && echo \"$f $(stat -c %Y.%y \"$f\") $(cat \"$f\")\"; done; readlink /var/lib/mesos/meta/slaves/latest")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDryRunTouchesNothingAndBadValuesAreRefused(t *testing.T) {
	c := setup(t)
	before := map[string]string{}
	ids := map[string]string{}
	for _, n := range c.NodeNames() {
		before[n] = files(t, c, n)
		ids[n] = getState(t, c, n).ID
	}
	code, out, errOut := run(t, "agent", "set-attributes", "lxb00[1-3]", "os:centos7", "rack:3", "--dry-run")
	if code != 0 {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"lxb001: agentd " + ids["lxb001"], "write  /etc/mesos-slave/attributes", "live: POST /mesosctl/v1/attributes"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
	code, out, errOut = run(t, "agent", "set-resources", "lxb001", "cpus:2;mem:1000", "--dry-run")
	if code != 0 || !strings.Contains(out, "clear  /var/lib/mesos/meta/slaves/latest → new agent ID") ||
		!strings.Contains(out, "restart: systemctl restart mesos-slave") {
		t.Errorf("resources dry run: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = run(t, "agent", "clear-latest", "lxb002", "--dry-run", "-o", "json")
	var plans []struct {
		Node   string `json:"node"`
		Action string `json:"action"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &plans) != nil || len(plans) != 1 || plans[0].Action != "clear-latest+restart" {
		t.Errorf("clear-latest dry run -o json: %d %s", code, out)
	}
	// Wrong values: usage errors, before any node is touched.
	for _, args := range [][]string{
		{"set-resources", "lxb001", "cpus:two;mem"},
		{"set-resources", "lxb001", "cpus:-1"},
		{"set-attributes", "lxb001", "zone:{a,b}"},
		{"set-attributes", "lxb001", "rack"},
		{"set-containerizers", "lxb001", "mesos,rkt"},
		{"config", "set", "lxb001", "reconfiguration_policy=loose"},
		{"config", "set", "lxb001", "port=http"},
		{"set-attributes", "lxb001", "--replace", "a:1", "--remove", "b"},
		{"clear-latest", "lxb001", "--force", "--drain"},
	} {
		code, _, errOut := run(t, append([]string{"agent"}, args...)...)
		if code != cmdutil.ExitUsage || errOut == "" {
			t.Errorf("%v: exit %d (want 2) %s", args, code, errOut)
		}
	}
	for _, n := range c.NodeNames() {
		if got := files(t, c, n); got != before[n] {
			t.Errorf("%s changed:\n%s\nwas:\n%s", n, got, before[n])
		}
		if id := getState(t, c, n).ID; id != ids[n] {
			t.Errorf("%s agent ID %s, was %s", n, id, ids[n])
		}
	}
}

func TestLiveAttributesAndRestartPath(t *testing.T) {
	c := setup(t)
	id1 := getState(t, c, "lxb001").ID
	code, out, errOut := run(t, "agent", "set-attributes", "lxb001", "os:centos7", "rack:3")
	if code != 0 || !strings.Contains(out, "live") || !strings.Contains(out, "ok") {
		t.Fatalf("live: exit %d\n%s\n%s", code, out, errOut)
	}
	st := getState(t, c, "lxb001")
	if st.ID != id1 || st.Attributes["os"] != "centos7" || st.Attributes["rack"] != 3.0 {
		t.Errorf("after live change: %+v (id was %s)", st, id1)
	}
	if got, _ := c.SSH("lxb001", "cat /etc/mesos-slave/attributes"); got != "os:centos7;rack:3\n" {
		t.Errorf("flag file = %q", got)
	}
	// Merge, then remove.
	if code, _, errOut := run(t, "agent", "set-attributes", "lxb001", "zone:b", "--remove", "rack"); code != 0 {
		t.Fatalf("merge: %d %s", code, errOut)
	}
	if got, _ := c.SSH("lxb001", "cat /etc/mesos-slave/attributes"); got != "os:centos7;zone:b\n" {
		t.Errorf("merged flag file = %q", got)
	}
	// The persisted change survives a restart with the same ID.
	code, out, errOut = run(t, "agent", "restart", "lxb001")
	if code != 0 {
		t.Fatalf("restart: %d\n%s\n%s", code, out, errOut)
	}
	st = getState(t, c, "lxb001")
	if st.ID != id1 || st.Attributes["zone"] != "b" {
		t.Errorf("after restart: %+v (id was %s)", st, id1)
	}
	// Same value again: nothing to do. Piped, stderr stays quiet; on a
	// terminal each node is reported on stderr as it finishes.
	code, out, errOut = run(t, "agent", "set-attributes", "lxb001", "zone:b")
	if code != 0 || !strings.Contains(out, "unchanged") || errOut != "" {
		t.Errorf("no-op: %d %s %q", code, out, errOut)
	}
	ios, _, tout, terr := iostreams.Test()
	ios.StderrTTY = true
	ios.StdoutTTY = true
	if code := mesosctl.Run(context.Background(), ios, []string{"mesosctl", "agent", "set-attributes", "lxb001", "zone:b"}); code != 0 ||
		terr.String() != "lxb001: none unchanged\n" || !strings.Contains(tout.String(), "unchanged") {
		t.Errorf("tty: %d stdout %q stderr %q", code, tout, terr)
	}

	// Resources: the restart path, with latest cleared (policy equal).
	id2 := getState(t, c, "lxb002").ID
	code, out, errOut = run(t, "agent", "set-resources", "lxb002", "cpus:3;mem:2000")
	if code != 0 || !strings.Contains(out, "clear-latest+restart") {
		t.Fatalf("set-resources: exit %d\n%s\n%s", code, out, errOut)
	}
	st = getState(t, c, "lxb002")
	if st.ID == id2 || st.Resources["cpus"] != 3.0 || st.Resources["mem"] != 2000.0 {
		t.Errorf("after set-resources: id %s (was %s) resources %v", st.ID, id2, st.Resources)
	}
	// --restart forces the restart path for attributes; additive policy
	// lets a new attribute keep the ID.
	if code, _, errOut := run(t, "agent", "config", "set", "lxb002", "reconfiguration_policy=additive"); code != 0 {
		t.Fatalf("policy: %d %s", code, errOut)
	}
	id2 = getState(t, c, "lxb002").ID
	code, out, errOut = run(t, "agent", "set-attributes", "lxb002", "extra:1", "--restart")
	if code != 0 || !strings.Contains(out, " restart ") {
		t.Fatalf("additive: %d\n%s\n%s", code, out, errOut)
	}
	if st := getState(t, c, "lxb002"); st.ID != id2 || st.Attributes["extra"] != 1.0 {
		t.Errorf("additive kept ID? %s vs %s, attrs %v", st.ID, id2, st.Attributes)
	}
	// config get shows file and running values.
	code, out, _ = run(t, "agent", "config", "get", "lxb002", "reconfiguration_policy", "containerizers")
	if code != 0 || !strings.Contains(out, "additive") || !strings.Contains(out, "(no file)") {
		t.Errorf("config get: %d\n%s", code, out)
	}
	// unset returns to the default.
	if code, _, errOut := run(t, "agent", "config", "unset", "lxb002", "reconfiguration_policy"); code != 0 {
		t.Errorf("unset: %d %s", code, errOut)
	}
	// clear-latest on its own: a new ID.
	id2 = getState(t, c, "lxb002").ID
	if code, out, errOut := run(t, "agent", "clear-latest", "lxb002"); code != 0 {
		t.Fatalf("clear-latest: %d\n%s\n%s", code, out, errOut)
	}
	if st := getState(t, c, "lxb002"); st.ID == id2 {
		t.Errorf("clear-latest kept ID %s", id2)
	}
}

func TestDownNodeIsThatNodesFailure(t *testing.T) {
	c := setup(t)
	if out, err := c.SSH("lxb003", "systemctl stop mesos-slave"); err != nil {
		t.Fatalf("stop: %v %s", err, out)
	}
	t.Cleanup(func() { c.SSH("lxb003", "systemctl start mesos-slave") })
	code, out, errOut := run(t, "agent", "set-containerizers", "lxb00[2-3]", "mesos", "--batch", "1")
	if code != cmdutil.ExitPartial || !strings.Contains(errOut, "lxb003: agent http://127.0.210.3:5051 does not answer") {
		t.Errorf("down node: exit %d\n%s\n%s", code, out, errOut)
	}
	if st := getState(t, c, "lxb002"); st.Flags["containerizers"] != "mesos" {
		t.Errorf("lxb002 not changed: %v", st.Flags["containerizers"])
	}
	// A node without sshd or agent at all.
	code, _, errOut = run(t, "agent", "set-attributes", "lxb002,nosuchnode", "a:1")
	if code != cmdutil.ExitPartial || !strings.Contains(errOut, "nosuchnode: ") {
		t.Errorf("unknown node: exit %d %s", code, errOut)
	}
	// restart brings the stopped agent back.
	code, out, errOut = run(t, "agent", "restart", "lxb003")
	if code != 0 {
		t.Errorf("restart of a stopped agent: %d\n%s\n%s", code, out, errOut)
	}
}

// launch starts a task on node through agentd's task API and waits until
// it runs.
func launch(t *testing.T, c *testcluster.Cluster, node, id, command string) {
	t.Helper()
	n, _ := c.Node(node)
	base := fmt.Sprintf("http://%s:%d/mesosctl/v1/tasks", n.IP, c.AgentPort)
	body := fmt.Sprintf(`{"task_id":%q,"name":%q,"command":%q,"resources":{"cpus":0.1,"mem":32}}`, id, id, command)
	resp, err := http.Post(base, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("launch %s: HTTP %d", id, resp.StatusCode)
	}
	if s := taskState(t, c, node, id); s != "TASK_RUNNING" {
		t.Fatalf("task %s is %s", id, s)
	}
}

// taskState waits until the task leaves TASK_STAGING/STARTING and returns
// its state.
func taskState(t *testing.T, c *testcluster.Cluster, node, id string) string {
	t.Helper()
	n, _ := c.Node(node)
	url := fmt.Sprintf("http://%s:%d/mesosctl/v1/tasks/%s", n.IP, c.AgentPort, id)
	var st struct {
		State string `json:"state"`
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(url)
		if err != nil {
			continue
		}
		json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if st.State != "TASK_STAGING" && st.State != "TASK_STARTING" && st.State != "" {
			return st.State
		}
	}
	return st.State
}

func TestRunningTasksAreNotLostSilently(t *testing.T) {
	c := setup(t)
	launch(t, c, "lxb003", "long", "sleep 600")
	before := files(t, c, "lxb003")
	id := getState(t, c, "lxb003").ID

	// Clearing latest is refused with the count; nothing changes.
	for _, args := range [][]string{
		{"set-resources", "lxb003", "cpus:3;mem:1800"},
		{"clear-latest", "lxb003"},
		{"clear-latest", "lxb003", "--drain", "--drain-timeout", "1s"},
	} {
		code, out, errOut := run(t, append([]string{"agent"}, args...)...)
		if code != cmdutil.ExitPartial {
			t.Errorf("%v: exit %d\n%s\n%s", args, code, out, errOut)
		}
		if !strings.Contains(errOut, "1 running task(s) would be orphaned") && !strings.Contains(errOut, "1 task(s) still running after 1s") {
			t.Errorf("%v: stderr %s", args, errOut)
		}
	}
	code, out, errOut := run(t, "agent", "set-resources", "lxb003", "cpus:3;mem:1800", "--dry-run")
	if code != cmdutil.ExitPartial || !strings.Contains(out, "1 running task(s)") || strings.Count(out+errOut, "refusing to clear") != 1 ||
		!strings.Contains(out, "would be orphaned (long)") {
		t.Errorf("dry run with a task (the refusal once, with the task's ID): %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = run(t, "agent", "clear-latest", "lxb003", "--dry-run")
	if code != cmdutil.ExitPartial || strings.Count(out+errOut, "refusing to clear") != 1 || strings.Contains(out+errOut, "asked for (") {
		t.Errorf("clear-latest --dry-run with a task: %d\n%s\n%s", code, out, errOut)
	}
	if got := files(t, c, "lxb003"); got != before {
		t.Errorf("files changed by refused commands:\n%s\nwas:\n%s", got, before)
	}
	if st := getState(t, c, "lxb003"); st.ID != id {
		t.Errorf("agent ID changed: %s → %s", id, st.ID)
	}

	// A live attribute change keeps the ID and the task.
	code, out, errOut = run(t, "agent", "set-attributes", "lxb003", "team:ops")
	if code != 0 || !strings.Contains(out, "live") {
		t.Fatalf("live with a task: %d\n%s\n%s", code, out, errOut)
	}
	if st := getState(t, c, "lxb003"); st.ID != id || st.Attributes["team"] != "ops" {
		t.Errorf("after live change: %s %v", st.ID, st.Attributes)
	}
	if s := taskState(t, c, "lxb003", "long"); s != "TASK_RUNNING" {
		t.Errorf("task after live change: %s", s)
	}
	// A plain restart recovers the task.
	if code, out, errOut := run(t, "agent", "restart", "lxb003"); code != 0 {
		t.Fatalf("restart with a task: %d\n%s\n%s", code, out, errOut)
	}
	if s := taskState(t, c, "lxb003", "long"); s != "TASK_RUNNING" {
		t.Errorf("task after restart: %s", s)
	}

	// --drain waits for a short task, then clears.
	launch(t, c, "lxb002", "short", "sleep 2")
	id2 := getState(t, c, "lxb002").ID
	t0 := time.Now()
	code, out, errOut = run(t, "agent", "clear-latest", "lxb002", "--drain", "--drain-timeout", "60s")
	if code != 0 || time.Since(t0) < time.Second {
		t.Errorf("--drain: exit %d after %s\n%s\n%s", code, time.Since(t0), out, errOut)
	}
	if st := getState(t, c, "lxb002"); st.ID == id2 {
		t.Errorf("--drain did not clear: ID %s", st.ID)
	}
	// --force orphans the long task and says so: how many and which. The
	// agent comes back with a new ID and, as a Mesos agent does at
	// recovery, destroys the containers of the old one.
	code, out, errOut = run(t, "agent", "clear-latest", "lxb003", "--force")
	if code != 0 || !strings.Contains(out, "lxb003: orphaned 1 task (long) and 1 executor (long) of agent "+id+"\n") ||
		!strings.Contains(out, "none still runs: the agent destroyed them when it started") {
		t.Errorf("--force: %d\n%s\n%s", code, out, errOut)
	}
	if st := getState(t, c, "lxb003"); st.ID == id || len(st.Frameworks) != 0 {
		t.Errorf("after --force: ID %s (was %s), frameworks %d", st.ID, id, len(st.Frameworks))
	}
	if got, _ := c.SSH("lxb003", "pgrep -f '^sleep 600' || echo none"); strings.TrimSpace(got) != "none" {
		t.Errorf("the orphan's command still runs: %s", got)
	}
	if code, out, errOut = run(t, "tasks", "--orphans", "--agent", "lxb003"); code != 0 || out != "" || !strings.Contains(errOut, "no orphaned executors on 1 node") {
		t.Errorf("tasks --orphans after the agent destroyed them: %d\n%s\n%s", code, out, errOut)
	}

	// With --mesosctl_keep_orphans (mesosctl's flag) the agent keeps them:
	// they still run, are listed, and are killed by task ID.
	if code, out, errOut = run(t, "agent", "config", "set", "lxb003", "mesosctl_keep_orphans=true"); code != 0 {
		t.Fatalf("config set mesosctl_keep_orphans: %d\n%s\n%s", code, out, errOut)
	}
	t.Cleanup(func() { run(t, "agent", "config", "unset", "lxb003", "mesosctl_keep_orphans") })
	launch(t, c, "lxb003", "kept", "sleep 600")
	id = getState(t, c, "lxb003").ID
	code, out, errOut = run(t, "agent", "clear-latest", "lxb003", "--force")
	if code != 0 || !strings.Contains(out, "lxb003: orphaned 1 task (kept) and 1 executor (kept) of agent "+id+"\n") ||
		!strings.Contains(out, "still running without an agent: kept; list them with 'mesosctl tasks --orphans --agent lxb003'") {
		t.Errorf("--force, orphans kept: %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = run(t, "tasks", "--orphans", "--agent", "lxb00[2-3]", "-o", "json", "--jq", `.[] | [.tasks[0], .executor_id, .node, .agent_id, .found] | join(" ")`, "-r")
	if code != 0 || strings.TrimSpace(out) != "kept kept lxb003 "+id+" work_dir" {
		t.Fatalf("tasks --orphans: %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = run(t, "task", "kill", "--agent", "lxb003", "kept")
	if code != 0 || !strings.Contains(out, "Killed orphaned executor 'kept' (tasks: kept) of agent '"+id+"' on lxb003") {
		t.Fatalf("task kill of the orphan: %d\n%s\n%s", code, out, errOut)
	}
	if got, _ := c.SSH("lxb003", "pgrep -f '^sleep 600' || echo none"); strings.TrimSpace(got) != "none" {
		t.Errorf("the orphan's command still runs: %s", got)
	}
	if code, out, errOut = run(t, "tasks", "--orphans", "--agent", "lxb003"); code != 0 || out != "" || !strings.Contains(errOut, "no orphaned executors on 1 node") {
		t.Errorf("tasks --orphans after the kill: %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut = run(t, "task", "kill", "--agent", "lxb003", "kept"); code != cmdutil.ExitError || !strings.Contains(errOut, "no orphaned executor of that ID on 1 node(s) either") {
		t.Errorf("second kill: %d %s", code, errOut)
	}
}

func TestBatchStopsAtTheFirstFailedBatch(t *testing.T) {
	c := setup(t)
	// lxb001's restart command fails.
	inv := c.Inventory()
	i := strings.Index(inv, "name: lxb001")
	j := i + strings.Index(inv[i:], "restart_command: ")
	k := j + strings.Index(inv[j:], "\n")
	inv = inv[:j] + "restart_command: echo restart refused >&2; exit 1" + inv[k:]
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(inv), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MESOSCTL_CONFIG", path)
	code, out, errOut := run(t, "agent", "config", "set", "lxb00[1-3]", "executor_registration_timeout=2mins", "--batch", "1")
	if code != cmdutil.ExitPartial || !strings.Contains(errOut, "lxb001: echo restart refused") ||
		!strings.Contains(errOut, "restart refused") || !strings.Contains(errOut, "lxb002: not done: a node of batch 1 failed") ||
		strings.Count(out, "skipped") != 2 {
		t.Errorf("batch 1: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, n := range []string{"lxb002", "lxb003"} {
		if got, _ := c.SSH(n, "cat /etc/mesos-slave/executor_registration_timeout 2>&1 || true"); strings.Contains(got, "2mins") {
			t.Errorf("%s was changed after the failed batch: %q", n, got)
		}
	}
	// Batches of two with working restart commands: everything done,
	// including lxb001 whose file was written but whose agent was not
	// restarted.
	t.Setenv("MESOSCTL_CONFIG", c.ConfigFile)
	code, out, errOut = run(t, "agent", "config", "set", "lxb00[1-3]", "executor_registration_timeout=2mins", "--batch", "2")
	if code != 0 || strings.Count(out, " ok ") != 3 {
		t.Errorf("batch 2: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, n := range c.NodeNames() {
		if st := getState(t, c, n); st.Flags["executor_registration_timeout"] != "2mins" {
			t.Errorf("%s runs with %q", n, st.Flags["executor_registration_timeout"])
		}
	}
	run(t, "agent", "config", "unset", "lxb00[1-3]", "executor_registration_timeout")
}

// TestLocalAgentCredentialFound: on a node whose agentd requires read-write
// authentication (as the package sets it up), mesosctl on the same host
// needs no configured credentials: it reads the agent's own credential
// file, so set-attributes works out of the box.
func TestLocalAgentCredentialFound(t *testing.T) {
	c := setup(t)
	creds := filepath.Join(t.TempDir(), "agentd-credentials.json") // /tmp: seen by the node as by the CLI
	if err := os.WriteFile(creds, []byte(`{"credentials":[{"principal":"mesosctl","secret":"local-only"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run(t, "agent", "config", "set", "lxb003", "http_credentials="+creds, "authenticate_http_readwrite=true"); code != 0 {
		t.Fatalf("enable authentication: %d\n%s\n%s", code, out, errOut)
	}
	t.Cleanup(func() {
		run(t, "agent", "set-attributes", "lxb003", "--remove", "authtest")
		if code, out, errOut := run(t, "agent", "config", "unset", "lxb003", "http_credentials", "authenticate_http_readwrite"); code != 0 {
			t.Errorf("disable authentication: %d\n%s\n%s", code, out, errOut)
		}
	})
	if st := getState(t, c, "lxb003"); st.Flags["authenticate_http_readwrite"] != "true" {
		t.Fatalf("agent flags: %v", st.Flags)
	}
	code, out, errOut := run(t, "agent", "set-attributes", "lxb003", "authtest:1")
	if code != 0 || !strings.Contains(out, "live") {
		t.Fatalf("set-attributes without configured credentials: %d\n%s\n%s", code, out, errOut)
	}
	if st := getState(t, c, "lxb003"); st.Attributes["authtest"] != 1.0 {
		t.Errorf("attributes: %v", st.Attributes)
	}
	// Configured credentials are used as given (a wrong one is not
	// replaced by the local one).
	t.Setenv("MESOSCTL_HTTP_CREDENTIALS", "mesosctl:wrong")
	if code, _, errOut := run(t, "agent", "set-attributes", "lxb003", "authtest:2"); code == 0 || !strings.Contains(errOut, "401") {
		t.Errorf("wrong configured credentials: %d %s", code, errOut)
	}
}

// TestWhereChangesOnlySelectedNodes: every changing verb that takes
// --where (and cp) touches the nodes whose agents match it, and leaves the
// others' flag files, latest link, agent ID and process alone.
func TestWhereChangesOnlySelectedNodes(t *testing.T) {
	c := setup(t)
	if code, _, errOut := run(t, "agent", "set-attributes", "lxb00[1,3]", "pick:no"); code != 0 {
		t.Fatalf("set-attributes: %d %s", code, errOut)
	}
	if code, _, errOut := run(t, "agent", "set-attributes", "lxb002", "pick:yes"); code != 0 {
		t.Fatalf("set-attributes: %d %s", code, errOut)
	}
	t.Cleanup(func() {
		run(t, "agent", "config", "unset", "lxb002", "resources", "containerizers")
		run(t, "agent", "set-attributes", "lxb00[1-3]", "--remove", "pick", "--remove", "zone")
	})
	type snap struct {
		files, id string
		start     float64
	}
	take := func() map[string]snap {
		m := map[string]snap{}
		for _, n := range c.NodeNames() {
			st := getStateStart(t, c, n)
			m[n] = snap{files(t, c, n), st.ID, st.StartTime}
		}
		return m
	}
	where := []string{"--where", `.attributes.pick=="yes"`}
	for _, v := range []struct {
		args []string
		// changed checks lxb002 after the verb, against before.
		changed func(before snap, st stateStart) string
	}{
		{[]string{"agent", "set-attributes", "lxb00[1-3]", "zone:w"}, func(b snap, st stateStart) string {
			if st.Attributes["zone"] != "w" || st.ID != b.id {
				return fmt.Sprintf("attributes %v, id %s (was %s)", st.Attributes, st.ID, b.id)
			}
			return ""
		}},
		{[]string{"agent", "set-resources", "lxb00[1-3]", "cpus:3;mem:1500"}, func(b snap, st stateStart) string {
			if st.Resources["cpus"] != 3.0 || st.ID == b.id {
				return fmt.Sprintf("resources %v, id %s (was %s)", st.Resources, st.ID, b.id)
			}
			return ""
		}},
		{[]string{"agent", "set-containerizers", "lxb00[1-3]", "mesos"}, func(b snap, st stateStart) string {
			if st.Flags["containerizers"] != "mesos" || st.StartTime == b.start {
				return fmt.Sprintf("containerizers %q, start_time %v (was %v)", st.Flags["containerizers"], st.StartTime, b.start)
			}
			return ""
		}},
		{[]string{"agent", "config", "set", "lxb00[1-3]", "reconfiguration_policy=additive"}, func(b snap, st stateStart) string {
			if st.Flags["reconfiguration_policy"] != "additive" {
				return fmt.Sprintf("reconfiguration_policy %q", st.Flags["reconfiguration_policy"])
			}
			return ""
		}},
		{[]string{"agent", "config", "unset", "lxb00[1-3]", "reconfiguration_policy"}, func(b snap, st stateStart) string {
			if st.Flags["reconfiguration_policy"] != "equal" {
				return fmt.Sprintf("reconfiguration_policy %q", st.Flags["reconfiguration_policy"])
			}
			return ""
		}},
		{[]string{"agent", "restart", "lxb00[1-3]"}, func(b snap, st stateStart) string {
			if st.StartTime == b.start || st.ID != b.id {
				return fmt.Sprintf("start_time %v (was %v), id %s (was %s)", st.StartTime, b.start, st.ID, b.id)
			}
			return ""
		}},
		{[]string{"agent", "clear-latest", "lxb00[1-3]"}, func(b snap, st stateStart) string {
			if st.ID == b.id {
				return "same agent ID " + st.ID
			}
			return ""
		}},
	} {
		before := take()
		code, out, errOut := run(t, append(v.args, where...)...)
		if code != 0 || !strings.Contains(out, "lxb002") || strings.Contains(out, "lxb001") || strings.Contains(out, "lxb003") {
			t.Fatalf("%v --where: exit %d\n%s\n%s", v.args, code, out, errOut)
		}
		if msg := v.changed(before["lxb002"], getStateStart(t, c, "lxb002")); msg != "" {
			t.Errorf("%v --where: the selected node lxb002 was not changed: %s", v.args, msg)
		}
		after := take()
		for _, n := range []string{"lxb001", "lxb003"} {
			if after[n] != before[n] {
				t.Errorf("%v --where touched %s, which it did not select:\n%+v\nwas:\n%+v", v.args, n, after[n], before[n])
			}
		}
	}

	src := filepath.Join(t.TempDir(), "picked")
	os.WriteFile(src, []byte("x\n"), 0o644)
	if code, _, errOut := run(t, append([]string{"cp", "lxb00[1-3]", src, "/root/where-picked"}, where...)...); code != 0 {
		t.Fatalf("cp --where: exit %d %s", code, errOut)
	}
	for _, n := range c.NodeNames() {
		got, _ := c.SSH(n, "cat /root/where-picked 2>/dev/null; rm -f /root/where-picked")
		if want := map[bool]string{true: "x\n", false: ""}[n == "lxb002"]; got != want {
			t.Errorf("cp --where: %s has %q, want %q", n, got, want)
		}
	}
}

type stateStart struct {
	state
	StartTime float64 `json:"start_time"`
}

func getStateStart(t *testing.T, c *testcluster.Cluster, node string) stateStart {
	t.Helper()
	n, err := c.Node(node)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(fmt.Sprintf("http://%s:%d/state", n.IP, c.AgentPort))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st stateStart
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}
