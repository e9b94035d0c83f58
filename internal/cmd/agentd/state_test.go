package agentd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
)

// TestStateJSONExact: /state is written by splicing each executor's cached
// encoding (api.State.AppendJSON); what a real agentd answers must be
// exactly what encoding/json writes for the same document (re-encoding
// the decoded body gives the same bytes: same key order, escaping,
// numbers), and jq reads it, with no tasks, one task, and many running
// and completed executors in active and completed frameworks.
func TestStateJSONExact(t *testing.T) {
	a := startBinaryAgent(t)
	check := func(stage string, wantTotal int) {
		t.Helper()
		code, body := a.do("GET", "/state", nil)
		if code != 200 {
			t.Fatalf("%s: /state: %d %s", stage, code, body)
		}
		var st api.State
		if err := json.Unmarshal(body, &st); err != nil {
			t.Fatalf("%s: %v", stage, err)
		}
		again, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(body, again) {
			t.Errorf("%s: /state is not what encoding/json writes:\n got %s\nwant %s", stage, body, again)
		}
		// jq sees the executors encoding/json sees, and every task's.
		live, done := 0, 0
		for _, f := range append(st.Frameworks, st.CompletedFrameworks...) {
			live += len(f.Executors)
			done += len(f.CompletedExecutors)
		}
		if live+done != wantTotal {
			t.Errorf("%s: %d executors and %d completed executors, want %d in all", stage, live, done, wantTotal)
		}
		jq := exec.Command("jq", "-r", `[([(.frameworks + .completed_frameworks)[].executors[]] | length), ([(.frameworks + .completed_frameworks)[].completed_executors[]] | length)] | @tsv`)
		jq.Stdin = bytes.NewReader(body)
		out, err := jq.Output()
		if err != nil {
			t.Fatalf("%s: jq: %v", stage, err)
		}
		if got, want := strings.TrimSpace(string(out)), fmt.Sprintf("%d\t%d", live, done); got != want {
			t.Errorf("%s: jq counts executors / completed executors %q, want %q", stage, got, want)
		}
		// ?jsonp= wraps the same document.
		if _, js := a.do("GET", "/state?jsonp=cb", nil); stage == "no tasks" && string(js) != "cb("+string(body)+");" {
			t.Errorf("%s: jsonp = %.200s", stage, js)
		}
	}
	check("no tasks", 0)

	spec := sh("one <&> é", "sleep 3600")
	a.launch(spec)
	a.waitState(spec.TaskID, 20*time.Second, "TASK_RUNNING")
	check("one task", 1)

	// Framework "done" ends up completed; "live" keeps running and
	// completed executors.
	for i := range 6 {
		s := sh(fmt.Sprintf("done-%d", i), "true")
		s.FrameworkID, s.FrameworkName = "done", "finished framework"
		a.launch(s)
	}
	for i := range 12 {
		cmd := "sleep 3600"
		if i%3 == 0 {
			cmd = "exit 3"
		}
		s := sh(fmt.Sprintf("live-%d", i), cmd)
		s.FrameworkID, s.FrameworkName = "live", "live framework"
		a.launch(s)
	}
	for i := range 6 {
		a.waitState(fmt.Sprintf("done-%d", i), 20*time.Second, "TASK_FINISHED")
	}
	for i := range 12 {
		want := "TASK_RUNNING"
		if i%3 == 0 {
			want = "TASK_FAILED"
		}
		a.waitState(fmt.Sprintf("live-%d", i), 20*time.Second, want)
	}
	// The "done" framework is completed once its executors have exited.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		st := a.state()
		if len(st.CompletedFrameworks) == 1 && st.CompletedFrameworks[0].ID == "done" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("framework done is not completed: %+v", st.CompletedFrameworks)
		}
	}
	check("many tasks", 1+6+12)

	// Mesos gzips bodies of 1 KiB or more for a client that accepts gzip;
	// agentd answers uncompressed, with the body's length
	// (docs/compatibility.md).
	req, _ := http.NewRequest("GET", a.URL+"/state", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if ce := resp.Header.Get("Content-Encoding"); ce != "" || resp.ContentLength != int64(len(raw)) || !json.Valid(raw) {
		t.Errorf("/state with Accept-Encoding: gzip: Content-Encoding %q, Content-Length %d for %d bytes, valid JSON %v",
			ce, resp.ContentLength, len(raw), json.Valid(raw))
	}
}
