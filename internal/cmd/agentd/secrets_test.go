package agentd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
)

// TestNoSecretLeaves plants secrets where an operator puts them: inline
// --http_credentials JSON, a --credential file, the password of a zk://
// --master, and a variable in agentd's own environment. None of them may
// appear on any endpoint (v0, v1, files, task API, with and without
// ?jsonp), in any log, in a task's environment, or in a file agentd
// writes; the paths stay visible.
func TestNoSecretLeaves(t *testing.T) {
	secrets := map[string]string{
		"http_credentials": "httpSecret-7c1f", "credential": "credSecret-93ab", "zk password": "zkSecret-5d20",
		"agentd environment": "envSecret-e4c8",
	}
	dir := t.TempDir()
	credFile := filepath.Join(dir, "credential.json")
	os.WriteFile(credFile, []byte(`{"principal":"agent","secret":"`+secrets["credential"]+`"}`), 0o600)
	logDir := filepath.Join(dir, "log")
	a := startBinaryAgentEnv(t, []string{"AGENTD_TOKEN=" + secrets["agentd environment"]},
		`--http_credentials={"credentials":[{"principal":"ops","secret":"`+secrets["http_credentials"]+`"}]}`,
		"--authenticate_http_readwrite", "--credential=file://"+credFile,
		"--master=zk://ops:"+secrets["zk password"]+"@127.0.0.1:1/mesos", "--log_dir="+logDir)

	auth := func(req *http.Request) *http.Request {
		req.SetBasicAuth("ops", secrets["http_credentials"])
		return req
	}
	post := func(path, body string) []byte {
		t.Helper()
		req, _ := http.NewRequest("POST", a.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(auth(req))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode/100 != 2 {
			t.Fatalf("POST %s: %d %s", path, resp.StatusCode, b)
		}
		return b
	}
	spec, _ := json.Marshal(sh("envdump", "env; sleep 300"))
	var ti api.TaskInfo
	json.Unmarshal(post(api.TaskPath, string(spec)), &ti)
	a.waitState("envdump", 20*time.Second, "TASK_RUNNING")
	post("/api/v1", `{"type":"LAUNCH_CONTAINER","launch_container":{"container_id":{"value":"c"},"command":{"value":"env; sleep 300"}}}`)
	// The task's output is in: env ran before sleep.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if b, _ := os.ReadFile(filepath.Join(ti.Sandbox, "stdout")); bytes.Contains(b, []byte("MESOS_SANDBOX=")) || time.Now().After(deadline) {
			break
		}
	}

	var scanned []string
	scan := func(where string, b []byte) {
		t.Helper()
		scanned = append(scanned, where)
		for what, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("the %s secret leaks through %s", what, where)
			}
		}
	}
	get := func(path string) []byte {
		t.Helper()
		code, b := a.do("GET", path, nil)
		if code != 200 {
			t.Errorf("GET %s: %d %s", path, code, b)
		}
		return b
	}
	for _, path := range []string{"/state", "/state.json", "/slave(1)/state", "/flags", "/slave(1)/flags", "/health", "/version",
		"/metrics/snapshot", "/metrics", "/containers", "/monitor/statistics", "/files/debug", api.TaskPath, api.TaskPath + "/envdump",
		api.ProcessesPath, api.AttributesPath, "/state?jsonp=cb", "/flags?jsonp=cb",
		"/files/browse?path=" + url.QueryEscape(ti.Sandbox), "/files/read?offset=0&path=" + url.QueryEscape(ti.Sandbox+"/stdout"),
		"/files/download?path=" + url.QueryEscape(ti.Sandbox+"/stdout"),
		"/files/read?offset=0&path=" + url.QueryEscape(a.workDir()+"/containers/c/stdout")} {
		scan("GET "+path, get(path))
	}
	for _, call := range []string{"GET_HEALTH", "GET_FLAGS", "GET_VERSION", "GET_METRICS", "GET_LOGGING_LEVEL", "GET_STATE",
		"GET_FRAMEWORKS", "GET_EXECUTORS", "GET_TASKS", "GET_AGENT", "GET_OPERATIONS", "GET_RESOURCE_PROVIDERS"} {
		req, _ := http.NewRequest("POST", a.URL+"/api/v1", strings.NewReader(`{"type":"`+call+`"}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(auth(req))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		scan("v1 "+call, b)
	}
	scan("v1 GET_CONTAINERS", post("/api/v1", `{"type":"GET_CONTAINERS","get_containers":{"show_nested":true,"show_standalone":true}}`))

	// The task saw its environment (and printed it): the executor
	// variables, not agentd's.
	stdout, _ := os.ReadFile(filepath.Join(ti.Sandbox, "stdout"))
	if !bytes.Contains(stdout, []byte("MESOS_EXECUTOR_ID=envdump")) || bytes.Contains(stdout, []byte("AGENTD_TOKEN")) {
		t.Errorf("task environment:\n%s", stdout)
	}
	scan("the task's printed environment", stdout)
	// Every process of the containers, by /proc/<pid>/environ.
	for cid, pids := range a.liveContainers() {
		for _, pid := range pids {
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
			scan(fmt.Sprintf("the environment of container %s process %d", cid, pid), b)
		}
	}
	if n := len(a.liveContainers()); n < 1 {
		t.Errorf("%d live containers scanned", n)
	}
	// Logs (stderr and --log_dir) and every file agentd wrote.
	scan("agentd's stderr", []byte(a.stderr.String()))
	for _, root := range []string{logDir, a.workDir(), filepath.Join(a.dir, "run")} {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				b, _ := os.ReadFile(p)
				scan(p, b)
			}
			return nil
		})
	}
	if len(scanned) < 40 {
		t.Errorf("only %d places scanned: %v", len(scanned), scanned)
	}

	// What is shown instead: the paths, a redacted password, no JSON.
	var flags api.Flags
	json.Unmarshal(get("/flags"), &flags)
	want := map[string]string{"credential": "file://" + credFile, "http_credentials": api.Redacted,
		"master": "zk://ops:xxxxx@127.0.0.1:1/mesos"}
	for k, v := range want {
		if flags.Flags[k] != v {
			t.Errorf("/flags %s = %q, want %q", k, flags.Flags[k], v)
		}
	}
	logText, _ := os.ReadFile(filepath.Join(logDir, "mesos-agent.INFO"))
	if !strings.Contains(string(logText), `--master=\"zk://ops:xxxxx@127.0.0.1:1/mesos\"`) || !strings.Contains(string(logText), `--http_credentials=\"<redacted>\"`) {
		t.Errorf("start-up log line:\n%s", logText)
	}
}

// TestOpenReadwriteWarning: one start-up warning when agentd listens
// beyond loopback without read-write authentication; none on loopback or
// with authentication.
func TestOpenReadwriteWarning(t *testing.T) {
	const warning = "anyone who can reach this port can launch tasks, and so run commands as root on this host"
	// The warning comes before "Finished recovery": once that is logged,
	// every warning there will be is.
	const later = "Finished recovery"
	a := startBinaryAgent(t, "--ip=0.0.0.0")
	log := a.waitLog(later)
	if n := strings.Count(log, warning); n != 1 {
		t.Errorf("--ip=0.0.0.0 without read-write auth: %d warnings\n%s", n, log)
	}
	if !strings.Contains(log, "level=WARN") {
		t.Errorf("not a warning:\n%s", log)
	}
	b := startBinaryAgent(t) // 127.0.0.1
	creds := filepath.Join(t.TempDir(), "creds.json")
	os.WriteFile(creds, []byte(`{"credentials":[{"principal":"ops","secret":"s"}]}`), 0o600)
	c := startBinaryAgent(t, "--ip=0.0.0.0", "--authenticate_http_readwrite", "--http_credentials="+creds)
	for name, p := range map[string]*agentProc{"loopback": b, "authenticated": c} {
		if log := p.waitLog(later); !strings.Contains(log, later) || strings.Contains(log, warning) {
			t.Errorf("%s agent warns (or never finished recovery):\n%s", name, log)
		}
	}
}
