package agentd

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
)

// environOf reads /proc/<pid>/environ.
func environOf(t *testing.T, pid int) map[string]string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, kv := range strings.Split(string(b), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestTaskEnvironment: a task sees the environment Mesos 1.11 builds
// (--executor_environment_variables, the executor variables, MESOS_SANDBOX,
// MESOS_ALLOCATION_ROLE, the user's HOME/USER/LOGNAME) and its own, and
// nothing else of agentd's: not in the task, not in its executor, not in
// its launcher.
func TestTaskEnvironment(t *testing.T) {
	a := startBinaryAgentEnv(t, []string{"AGENTD_ONLY=leak", "LIBPROCESS_IP=127.0.0.1"},
		`--executor_environment_variables={"FROM_FLAG":"f","PATH":"/bin:/usr/bin"}`)
	spec := sh("env", "sleep 300")
	spec.Env = map[string]string{"TASK_VAR": "t", "FROM_FLAG": "task wins"}
	ti := a.launch(spec)
	a.waitState("env", 20*time.Second, "TASK_RUNNING")
	var pt api.ProcessTree
	var chain []api.Process
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, body := a.do("GET", api.ProcessesPath, nil)
		if err := json.Unmarshal(body, &pt); err != nil {
			t.Fatal(err)
		}
		chain = chain[:0]
		for p := pt.Agent; len(p.Children) > 0; p = p.Children[0] {
			chain = append(chain, p.Children[0])
		}
		// The task's process counts once it is sleep itself: between sh's
		// fork and exec its environment may read empty.
		if len(chain) >= 4 && strings.HasPrefix(chain[3].Command, "sleep") || time.Now().After(deadline) {
			break
		}
	}
	if len(chain) < 4 {
		t.Fatalf("process chain below agentd: %+v", chain)
	}
	launcherEnv, executorEnv, taskEnv := environOf(t, chain[0].PID), environOf(t, chain[1].PID), environOf(t, chain[3].PID)
	delete(taskEnv, "PWD") // sh -c exports it before it execs the command
	port := fmt.Sprint(a.port)
	want := map[string]string{
		"LIBPROCESS_IP": "127.0.0.1", "LIBPROCESS_PORT": "0", "FROM_FLAG": "task wins", "PATH": "/bin:/usr/bin",
		"MESOS_SLAVE_PID": "slave(1)@127.0.0.1:" + port, "MESOS_AGENT_ENDPOINT": "127.0.0.1:" + port,
		"MESOS_CHECKPOINT": "1", "MESOS_HTTP_COMMAND_EXECUTOR": "0", "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD": "1secs",
		"MESOS_RECOVERY_TIMEOUT": "15mins", "MESOS_SUBSCRIPTION_BACKOFF_MAX": "2secs",
		"MESOS_FRAMEWORK_ID": ti.FrameworkID, "MESOS_EXECUTOR_ID": "env", "MESOS_SLAVE_ID": ti.AgentID,
		"MESOS_DIRECTORY": ti.Sandbox, "MESOS_SANDBOX": ti.Sandbox, "MESOS_ALLOCATION_ROLE": "*",
		"HOME": "/root", "USER": "root", "LOGNAME": "root", "TASK_VAR": "t",
	}
	if got := fmt.Sprint(taskEnv); got != fmt.Sprint(want) {
		t.Errorf("task environment:\n got %v\nwant %v", taskEnv, want)
	}
	// The executor has the executor part (no task variables) and
	// launcher.HelperEnv, which the task above does not inherit; the
	// launcher only PATH and HelperEnv.
	for _, k := range []string{"TASK_VAR", "MESOS_ALLOCATION_ROLE", "HOME", "USER", "LOGNAME"} {
		delete(want, k)
	}
	want["FROM_FLAG"] = "f"
	want["GOMAXPROCS"] = "1"
	if got := fmt.Sprint(executorEnv); got != fmt.Sprint(want) {
		t.Errorf("executor environment:\n got %v\nwant %v", executorEnv, want)
	}
	if got := keys(launcherEnv); !slices.Equal(got, []string{"GOMAXPROCS", "PATH"}) {
		t.Errorf("launcher environment: %v", launcherEnv)
	}
	// A standalone container: MESOS_SANDBOX, PATH (default), the user's
	// variables and its own; no executor variables (as Mesos).
	code, body := a.do("POST", "/api/v1", `{"type":"LAUNCH_CONTAINER","launch_container":{"container_id":{"value":"c"},`+
		`"command":{"value":"env > env.txt","environment":{"variables":[{"name":"MINE","value":"m"}]}}}}`)
	if code != 200 {
		t.Fatalf("launch container: %d %s", code, body)
	}
	a.do("POST", "/api/v1", `{"type":"WAIT_CONTAINER","wait_container":{"container_id":{"value":"c"}}}`)
	var got []string
	for _, kv := range strings.Split(strings.TrimSpace(sandboxFile(t, a, a.dir+"/work/containers/c", "env.txt")), "\n") {
		k, _, _ := strings.Cut(kv, "=")
		if k != "PWD" && k != "SHLVL" && k != "_" && k != "OLDPWD" {
			got = append(got, kv)
		}
	}
	slices.Sort(got)
	wantC := []string{"HOME=/root", "LOGNAME=root", "MESOS_SANDBOX=" + a.dir + "/work/containers/c", "MINE=m",
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "USER=root"}
	if !slices.Equal(got, wantC) {
		t.Errorf("standalone container environment:\n got %q\nwant %q", got, wantC)
	}
}
