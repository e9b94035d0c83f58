package task_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/mesosctl"
	"github.com/mesosctl/mesosctl/internal/taskwatch"
)

// mesosAgent stands in for a real Apache Mesos agent (no task API: plain
// 404 for /mesosctl/…): /state in Mesos' shape with one command task whose
// stdout grows on every read until the task finishes.
type mesosAgent struct {
	mu     sync.Mutex
	reads  int
	stdout string
	state  string
}

func (m *mesosAgent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch r.URL.Path {
	case "/state":
		task := fmt.Sprintf(`{"id":"job.1","name":"job","framework_id":"F1","executor_id":"","slave_id":"S1","state":%q,"resources":{"cpus":0.5,"mem":64.0,"disk":0.0},"role":"*","statuses":[{"state":"TASK_RUNNING","timestamp":100.0}%s]}`,
			m.state, map[bool]string{true: `,{"state":"TASK_FINISHED","timestamp":101.0}`}[m.state == "TASK_FINISHED"])
		fmt.Fprintf(w, `{"id":"S1","hostname":"m1","resources":{"cpus":2.0,"mem":1024.0},"attributes":{},"frameworks":[{"id":"F1","name":"marathon","executors":[{"id":"job.1","name":"Command Executor","source":"job.1","container":"C1","directory":"/var/lib/mesos/slaves/S1/frameworks/F1/executors/job.1/runs/C1","resources":{},"tasks":[%s],"queued_tasks":[],"completed_tasks":[]}],"completed_executors":[]}],"completed_frameworks":[]}`, task)
	case "/files/read":
		if r.URL.Query().Get("path") != "/var/lib/mesos/slaves/S1/frameworks/F1/executors/job.1/runs/C1/stdout" {
			http.Error(w, "Failed to find", 404)
			return
		}
		m.reads++
		if m.state == "TASK_RUNNING" && m.reads%2 == 0 {
			m.stdout += fmt.Sprintf("line %d\n", len(strings.Split(m.stdout, "\n")))
			if strings.Count(m.stdout, "\n") == 3 {
				m.state = "TASK_FINISHED"
			}
		}
		var off int
		fmt.Sscan(r.URL.Query().Get("offset"), &off)
		data := ""
		if off < len(m.stdout) {
			data = m.stdout[off:]
		}
		json.NewEncoder(w).Encode(map[string]any{"data": data, "offset": off})
	default:
		http.NotFound(w, r)
	}
}

func TestRealMesosAgentTasks(t *testing.T) {
	m := &mesosAgent{state: "TASK_RUNNING"}
	srv := httptest.NewServer(m)
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(cfg, []byte("defaults: {ssh_config: /dev/null}\nnodes:\n  - {name: m1, address: 127.0.0.1, agent_port: "+port+"}\n"), 0o600)
	t.Setenv("MESOSCTL_CONFIG", cfg)
	t.Setenv("NODES", "")
	taskwatch.StatePollInterval = 10 * time.Millisecond
	run := func(args ...string) (cmdutil.ExitCode, string, string) {
		ios, _, out, errOut := iostreams.Test()
		code := mesosctl.Run(context.Background(), ios, append([]string{"mesosctl"}, args...))
		return code, out.String(), errOut.String()
	}

	code, out, errOut := run("tasks", "-o", "json", "--jq", `.[] | [.id, .state, .node, .framework_name, .resources.cpus] | @csv`, "-r")
	if code != 0 || out != `"job.1","TASK_RUNNING","m1","marathon",0.5`+"\n" {
		t.Fatalf("tasks: %d %q %s", code, out, errOut)
	}
	// An agent that does not answer: the others are listed, it is named, exit 3.
	os.WriteFile(cfg, []byte("defaults: {ssh_config: /dev/null}\nnodes:\n  - {name: m1, address: 127.0.0.1, agent_port: "+port+"}\n  - {name: m2, address: 127.0.0.1, agent_port: 1}\n"), 0o600)
	code, out, errOut = run("tasks")
	if code != cmdutil.ExitPartial || !strings.Contains(out, "job.1") || !strings.HasPrefix(errOut, "m2: ") || !strings.Contains(errOut, "1 of 2 nodes failed") {
		t.Fatalf("tasks with an unreachable agent: %d %q %q", code, out, errOut)
	}
	code, _, errOut = run("task", "kill", "job.1")
	if code != 1 || !strings.Contains(errOut, "a Mesos agent without mesosctl's task API: kill it through its framework or the master") {
		t.Fatalf("kill: %d %s", code, errOut)
	}
	code, out, errOut = run("task", "logs", "-f", "job.1")
	if code != 0 || out != "line 1\nline 2\nline 3\n" {
		t.Fatalf("logs -f: %d %q %s", code, out, errOut)
	}
	code, out, _ = run("task", "wait", "job.1")
	if code != 0 || out != "Received status update TASK_FINISHED for task 'job.1'\n" {
		t.Fatalf("wait: %d %q", code, out)
	}
	code, _, errOut = run("exec", "--name", "x", "--command", "true", "--resources", "cpus:0.1;mem:8")
	if code != 1 || !strings.Contains(errOut, "m1 (http://127.0.0.1:"+port+") has no mesosctl task API: exec launches tasks through mesosctl agentd") {
		t.Fatalf("exec: %d %s", code, errOut)
	}
	code, _, errOut = run("task", "wait", "nope")
	if code != 1 || !strings.Contains(errOut, "task nope not found on 2 agents; could not ask m2 (") {
		t.Fatalf("unknown: %d %s", code, errOut)
	}
}
