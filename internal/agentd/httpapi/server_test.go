package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
)

type fakeSource struct{}

func (fakeSource) State() api.State {
	return api.State{Version: "1.11.0", ID: "a-S0", Resources: json.RawMessage(`{"cpus":2.0}`),
		Attributes: json.RawMessage(`{"rack":3.0}`), Flags: map[string]string{"port": "5051"},
		Frameworks: []api.Framework{}, CompletedFrameworks: []api.Framework{}}
}
func (fakeSource) Flags() map[string]string {
	return map[string]string{"port": "5051", "work_dir": "/w"}
}
func (fakeSource) Version() api.Version { return api.Version{Version: "1.11.0", BuildTime: 5} }
func (fakeSource) Metrics() map[string]float64 {
	return map[string]float64{"slave/tasks_running": 1, "system/cpus_total": 2}
}
func (fakeSource) Containers() []api.Container {
	return []api.Container{
		{FrameworkID: "f", ExecutorID: "e", ContainerID: api.ContainerID{Value: "c1"}},
		{Standalone: true, ContainerID: api.ContainerID{Value: "s1"}},
		{ContainerID: api.ContainerID{Value: "n1", Parent: &api.ContainerID{Value: "c1"}}},
	}
}
func (fakeSource) Frameworks() (active, completed []api.Framework) {
	return []api.Framework{{ID: "f", Name: "fw", User: "root", Executors: []api.Executor{{ID: "t1",
		FrameworkID: "f", Tasks: []api.Task{{ID: "t1", Name: "t1", FrameworkID: "f", SlaveID: "a-S0",
			State: "TASK_RUNNING", Statuses: []api.Status{{State: "TASK_RUNNING", Timestamp: 1, Source: "SOURCE_EXECUTOR"}}}}}}}}, nil
}
func (fakeSource) AgentInfo() api.AgentInfo { return api.AgentInfo{Hostname: "h", Port: 5051} }
func (fakeSource) Monitor() []api.MonitorStatistics {
	return []api.MonitorStatistics{{ExecutorID: "t", ExecutorName: "Command Executor", FrameworkID: "F", Source: "t",
		Statistics: api.ResourceStatistics{Timestamp: 1}}}
}

func newTestServer(t *testing.T, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	cfg.Source = fakeSource{}
	s := New(cfg)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts
}

func do(t *testing.T, req *http.Request) (int, http.Header, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func get(t *testing.T, url string) (int, string) {
	req, _ := http.NewRequest("GET", url, nil)
	code, _, body := do(t, req)
	return code, body
}

func call(t *testing.T, url, body string, hdr map[string]string) (int, string) {
	req, _ := http.NewRequest("POST", url+"/api/v1", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	code, _, b := do(t, req)
	return code, b
}

func TestRecoveryGate(t *testing.T) {
	s, ts := newTestServer(t, Config{})
	if code, body := get(t, ts.URL+"/state"); code != 503 || !strings.Contains(body, "Agent has not finished recovery") {
		t.Fatalf("/state during recovery: %d %q", code, body)
	}
	if code, _ := call(t, ts.URL, `{"type":"GET_HEALTH"}`, nil); code != 503 {
		t.Fatalf("/api/v1 during recovery: %d", code)
	}
	if code, body := get(t, ts.URL+"/health"); code != 200 || body != "" {
		t.Fatalf("/health: %d %q", code, body)
	}
	s.MarkRecovered()
	if code, _ := get(t, ts.URL+"/state"); code != 200 {
		t.Fatalf("/state after recovery: %d", code)
	}
}

func TestRoutes(t *testing.T) {
	s, ts := newTestServer(t, Config{})
	s.MarkRecovered()
	for _, p := range []string{"/state", "/state/", "/state.json", "/slave(1)/state", "/slave(1)/state/"} {
		code, body := get(t, ts.URL+p)
		if code != 200 || !strings.HasPrefix(body, `{"version":"1.11.0","build_date":""`) {
			t.Errorf("%s: %d %q", p, code, body)
		}
	}
	if _, body := get(t, ts.URL+"/flags"); body != `{"flags":{"port":"5051","work_dir":"/w"}}` {
		t.Errorf("/flags = %s", body)
	}
	if _, body := get(t, ts.URL+"/version"); !strings.Contains(body, `"build_time":5`) {
		t.Errorf("/version = %s", body)
	}
	if _, body := get(t, ts.URL+"/metrics/snapshot"); body != `{"slave/tasks_running":1.0,"system/cpus_total":2.0}` {
		t.Errorf("/metrics/snapshot = %s", body)
	}
	// The text exposition format, byte for byte as the Prometheus client
	// library's handler wrote it before agentd wrote it itself.
	if _, body := get(t, ts.URL+"/metrics"); body != "# HELP mesos_slave_tasks_running Mesos metric slave/tasks_running\n"+
		"# TYPE mesos_slave_tasks_running gauge\nmesos_slave_tasks_running 1\n"+
		"# HELP mesos_system_cpus_total Mesos metric system/cpus_total\n"+
		"# TYPE mesos_system_cpus_total gauge\nmesos_system_cpus_total 2\n" {
		t.Errorf("/metrics = %q", body)
	}
	if _, body := get(t, ts.URL+"/containers"); !strings.Contains(body, `"container_id":"c1"`) || strings.Contains(body, "s1") || strings.Contains(body, "n1") {
		t.Errorf("/containers = %s", body)
	}
	if code, _ := get(t, ts.URL+"/containers?executor_id=e"); code != 400 {
		t.Errorf("/containers?executor_id alone: %d", code)
	}
	if _, body := get(t, ts.URL+"/flags?jsonp=cb"); !strings.HasPrefix(body, "cb({") || !strings.HasSuffix(body, ");") {
		t.Errorf("jsonp = %s", body)
	}
	if code, _ := get(t, ts.URL+"/nope"); code != 404 {
		t.Errorf("/nope: %d", code)
	}
	s.Handle("/files/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "files:"+r.URL.Path) }))
	if _, body := get(t, ts.URL+"/files/browse/"); body != "files:/files/browse" {
		t.Errorf("/files/browse = %q", body)
	}
}

func TestV1Calls(t *testing.T) {
	s, ts := newTestServer(t, Config{})
	s.MarkRecovered()
	cases := map[string]string{
		`{"type":"GET_HEALTH"}`:                   `{"type":"GET_HEALTH","get_health":{"healthy":true}}`,
		`{"type":1}`:                              `{"type":"GET_HEALTH","get_health":{"healthy":true}}`,
		`{"type":"GET_FLAGS"}`:                    `{"type":"GET_FLAGS","get_flags":{"flags":[{"name":"port","value":"5051"},{"name":"work_dir","value":"/w"}]}}`,
		`{"type":"GET_METRICS","get_metrics":{}}`: `{"type":"GET_METRICS","get_metrics":{"metrics":[{"name":"slave/tasks_running","value":1.0},{"name":"system/cpus_total","value":2.0}]}}`,
		`{"type":"GET_VERSION"}`:                  `{"type":"GET_VERSION","get_version":{"version_info":{"version":"1.11.0","build_time":5.0}}}`,
		`{"type":"GET_AGENT"}`:                    `{"type":"GET_AGENT","get_agent":{"agent_info":{"hostname":"h","port":5051,"resources":null,"attributes":null}}}`,
		`{"type":"GET_CONTAINERS","get_containers":{"show_standalone":true}}`: `{"type":"GET_CONTAINERS","get_containers":{"containers":[{"framework_id":{"value":"f"},"executor_id":{"value":"e"},"container_id":{"value":"c1"}},{"container_id":{"value":"s1"}}]}}`,
	}
	for req, want := range cases {
		code, body := call(t, ts.URL, req, nil)
		if code != 200 || body != want {
			t.Errorf("%s:\n got %d %s\nwant %s", req, code, body, want)
		}
	}
	code, body := call(t, ts.URL, `{"type":"GET_TASKS"}`, nil)
	if code != 200 || !strings.Contains(body, `"launched_tasks":[{"name":"t1","task_id":{"value":"t1"},"framework_id":{"value":"f"},"agent_id":{"value":"a-S0"},"state":"TASK_RUNNING","resources":[],"statuses":[{"task_id":{"value":"t1"},"state":"TASK_RUNNING","source":"SOURCE_EXECUTOR","agent_id":{"value":"a-S0"},"timestamp":1.0}]}]`) {
		t.Errorf("GET_TASKS = %d %s", code, body)
	}
	code, body = call(t, ts.URL, `{"type":"GET_STATE"}`, nil)
	if code != 200 || !strings.Contains(body, `"get_frameworks":{"frameworks":[{"framework_info":{"user":"root","name":"fw","id":{"value":"f"}`) {
		t.Errorf("GET_STATE = %d %s", code, body)
	}
	s.HandleCall(api.CallKillContainer, func(ctx context.Context, c *api.Call) (any, error) {
		return nil, CodedError(404, "Container "+c.KillContainer.ContainerID.Value+" cannot be found")
	})
	if code, body := call(t, ts.URL, `{"type":"KILL_CONTAINER","kill_container":{"container_id":{"value":"x"}}}`, nil); code != 404 || !strings.Contains(body, "Container x cannot be found") {
		t.Errorf("KILL_CONTAINER = %d %s", code, body)
	}
}

func TestV1TransportErrors(t *testing.T) {
	s, ts := newTestServer(t, Config{MaxBody: 64})
	s.MarkRecovered()
	cases := []struct {
		body string
		hdr  map[string]string
		code int
		msg  string
	}{
		{`{"type":"GET_HEALTH"}`, map[string]string{"Content-Type": ""}, 400, "Expecting 'Content-Type' to be present"},
		{`{"type":"GET_HEALTH"}`, map[string]string{"Content-Type": "text/plain"}, 415, "Content-Type"},
		{`{"type":"GET_HEALTH"}`, map[string]string{"Accept": "text/html"}, 406, "Accept"},
		{`{"type":"GET_HEALTH"}`, map[string]string{"Message-Accept": "application/json"}, 406, "Message-Accept"},
		{`{"type":`, nil, 400, "Failed to parse body into Call protobuf"},
		{`{"type":"GET_HEALTH","get_metrics":{"timeout":"x"}}`, nil, 400, "timeout"},
		{`{}`, nil, 400, "Expecting 'type' to be present"},
		{`{"type":"FLY"}`, nil, 501, "Unsupported call type 'FLY'"},
		{`{"type":"LAUNCH_CONTAINER"}`, nil, 400, "Failed to validate agent::Call: Expecting 'launch_container' to be present"},
		{`{"type":"PRUNE_IMAGES"}`, nil, 501, "not implemented"},
		{`{"type":"GET_HEALTH","pad":"` + strings.Repeat("x", 100) + `"}`, nil, 413, "larger than 64 bytes"},
	}
	for _, c := range cases {
		code, body := call(t, ts.URL, c.body, c.hdr)
		if code != c.code || !strings.Contains(body, c.msg) {
			t.Errorf("%s %v: got %d %q, want %d %q", c.body, c.hdr, code, body, c.code, c.msg)
		}
	}
	if code, _ := get(t, ts.URL+"/api/v1"); code != 405 {
		t.Errorf("GET /api/v1: %d", code)
	}
}

func TestAuth(t *testing.T) {
	s, ts := newTestServer(t, Config{Credentials: map[string]string{"ops": "s3cret"}, AuthenticateReadwrite: true})
	s.MarkRecovered()
	req, _ := http.NewRequest("POST", ts.URL+"/api/v1", strings.NewReader(`{"type":"GET_HEALTH"}`))
	req.Header.Set("Content-Type", "application/json")
	code, hdr, body := do(t, req)
	if code != 401 || hdr.Get("WWW-Authenticate") != `Basic realm="mesos-agent-readwrite"` || !strings.Contains(body, "--http_credentials") {
		t.Fatalf("unauthenticated: %d %q %q", code, hdr.Get("WWW-Authenticate"), body)
	}
	req, _ = http.NewRequest("POST", ts.URL+"/api/v1", strings.NewReader(`{"type":"GET_HEALTH"}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("ops", "wrong")
	if code, _, body := do(t, req); code != 401 || !strings.Contains(body, "wrong secret") {
		t.Fatalf("wrong secret: %d %q", code, body)
	}
	req, _ = http.NewRequest("POST", ts.URL+"/api/v1", strings.NewReader(`{"type":"GET_HEALTH"}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("ops", "s3cret")
	if code, _, _ := do(t, req); code != 200 {
		t.Fatalf("authenticated: %d", code)
	}
	// Readonly endpoints stay open unless --authenticate_http_readonly.
	if code, _ := get(t, ts.URL+"/state"); code != 200 {
		t.Fatalf("/state: %d", code)
	}

	_, ts2 := newTestServer(t, Config{Credentials: map[string]string{"ops": "s3cret"}, AuthenticateReadonly: true})
	req, _ = http.NewRequest("GET", ts2.URL+"/flags", nil)
	code, hdr, _ = do(t, req)
	if code != 401 || hdr.Get("WWW-Authenticate") != `Basic realm="mesos-agent-readonly"` {
		t.Fatalf("readonly: %d %q", code, hdr.Get("WWW-Authenticate"))
	}
	if code, _ := get(t, ts2.URL+"/health"); code != 200 {
		t.Fatalf("/health needs no auth: %d", code)
	}
}

// TestV1AdversarialCalls: malformed, oversized and hostile bodies get 400
// or 413 with a message naming the problem, and the server keeps serving.
func TestV1AdversarialCalls(t *testing.T) {
	s, ts := newTestServer(t, Config{MaxBody: 1 << 16})
	s.MarkRecovered()
	s.HandleCall(api.CallKillContainer, func(context.Context, *api.Call) (any, error) { return nil, nil })
	deep := strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000)
	cases := []struct {
		body string
		code int
		msg  string
	}{
		{``, 400, "empty body"},
		{`   `, 400, "empty body"},
		{`null`, 400, "expected a JSON object"},
		{`[{"type":"GET_HEALTH"}]`, 400, "expected a JSON object"},
		{`"GET_HEALTH"`, 400, "expected a JSON object"},
		{`{"type":"GET_HEALTH"} trailing`, 400, "Failed to parse body into Call protobuf"},
		{`{"type":true}`, 400, "field 'type': expected a call type name or number"},
		{`{"type":1e400}`, 400, "Failed to parse body into Call protobuf"},
		{`{"type":"GET_METRICS"}`, 400, "Expecting 'get_metrics' to be present"},
		{`{"type":"GET_METRICS","get_metrics":{"timeout":{"nanoseconds":"soon"}}}`, 400, "wrong type"},
		{deep, 413, "larger than 65536 bytes"},
		{`{"type":"GET_HEALTH","x":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`, 200, ""},
		{`{"type":"KILL_CONTAINER","kill_container":{"container_id":{"value":""}}}`, 400, "'kill_container.container_id' is invalid: ID must not be empty"},
		{`{"type":"KILL_CONTAINER","kill_container":{"container_id":{"value":"../etc"}}}`, 400, "contains invalid characters"},
		{`{"type":"KILL_CONTAINER","kill_container":{"container_id":{"value":"a\u0000b"}}}`, 400, "contains invalid characters"},
		{`{"type":"KILL_CONTAINER","kill_container":{"container_id":{"value":"` + strings.Repeat("x", 300) + `"}}}`, 400, "must not be greater than 255"},
		{`{"type":"KILL_CONTAINER","kill_container":{"container_id":{"value":"c","parent":{"value":".."}}}}`, 400, "'ContainerID.parent' is invalid"},
		{`{"type":"KILL_CONTAINER","kill_container":{"container_id":{"value":"c"},"signal":-9}}`, 400, "'kill_container.signal' is invalid"},
		{`{"type":"KILL_CONTAINER","kill_container":{"container_id":{"value":"c"},"signal":99999999999}}`, 400, "wrong type"},
		{`{"type":"KILL_CONTAINER","kill_container":{"container_id":{"value":"c"},"signal":15}}`, 200, ""},
		{`{"type":"WAIT_NESTED_CONTAINER","wait_nested_container":{"container_id":{"value":"c"}}}`, 400, "Expecting 'wait_nested_container.container_id.parent' to be present"},
		{"{\"type\":\"GET_HEALTH\",\"\xff\xfe\":1}", 200, ""},
	}
	for _, c := range cases {
		code, body := call(t, ts.URL, c.body, nil)
		short := c.body
		if len(short) > 80 {
			short = short[:80] + "…"
		}
		if code != c.code || !strings.Contains(body, c.msg) {
			t.Errorf("%s: got %d %q, want %d %q", short, code, body, c.code, c.msg)
		}
	}
	if code, _ := call(t, ts.URL, `{"type":"GET_HEALTH"}`, nil); code != 200 {
		t.Errorf("the server does not serve after the adversarial calls: %d", code)
	}
}

// TestJSONPCallbackValidated: ?jsonp= must name a JavaScript identifier;
// anything else is refused, never reflected as script.
func TestJSONPCallbackValidated(t *testing.T) {
	s, ts := newTestServer(t, Config{})
	s.MarkRecovered()
	for cb, ok := range map[string]bool{"cb": true, "jQuery123_abc": true, "$.x.y": true, "_": true,
		"alert(1);x": false, "a-b": false, "1x": false, "a..b": false, "</script>": false, "a b": false,
		strings.Repeat("a", 129): false, "x\u2028": false} {
		resp, err := http.Get(ts.URL + "/flags?jsonp=" + url.QueryEscape(cb))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case ok && (resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/javascript" || !strings.HasPrefix(string(b), cb+"({")):
			t.Errorf("valid callback %q: %d %s %q", cb, resp.StatusCode, resp.Header.Get("Content-Type"), b)
		case !ok && (resp.StatusCode != 400 || strings.Contains(string(b), cb) || resp.Header.Get("Content-Type") == "text/javascript"):
			t.Errorf("invalid callback %q: %d %q", cb, resp.StatusCode, b)
		}
		if ok && resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("no nosniff for %q", cb)
		}
	}
}

// TestBodyLimitEverywhere: every route's request body is limited (413).
func TestBodyLimitEverywhere(t *testing.T) {
	s, ts := newTestServer(t, Config{MaxBody: 1024})
	s.MarkRecovered()
	var got int64
	s.Handle("POST /echo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		got = n
		if err != nil {
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		}
	}))
	resp, err := http.Post(ts.URL+"/echo", "application/octet-stream", strings.NewReader(strings.Repeat("x", 4096)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 || got > 1024 {
		t.Errorf("oversized body to an added route: %d, %d bytes read", resp.StatusCode, got)
	}
}

// Protobuf requests and responses, chosen by Content-Type and Accept as
// Mesos chooses them; the bytes are GET_HEALTH's encodings.
func TestV1Protobuf(t *testing.T) {
	s, ts := newTestServer(t, Config{})
	s.MarkRecovered()
	getHealth := "\x08\x01"
	for _, c := range []struct {
		ct, accept, body string
		code             int
		wantCT, wantBody string
	}{
		{"application/x-protobuf", "application/x-protobuf", getHealth, 200, "application/x-protobuf", "\x08\x01\x12\x02\x08\x01"},
		{"application/x-protobuf", "", getHealth, 200, "application/json", `{"type":"GET_HEALTH","get_health":{"healthy":true}}`},
		{"application/json", "application/x-protobuf", `{"type":"GET_HEALTH"}`, 200, "application/x-protobuf", "\x08\x01\x12\x02\x08\x01"},
		{"application/x-protobuf", "application/json;q=0.5, application/x-protobuf;q=0.9", getHealth, 200, "application/json", `{"type":"GET_HEALTH","get_health":{"healthy":true}}`},
		{"application/x-protobuf", "application/x-protobuf", "\xff\xff", 400, "text/plain; charset=utf-8", "Failed to parse body into a protobuf object\n"},
		{"application/x-protobuf", "application/recordio", getHealth, 406, "text/plain; charset=utf-8", "Streaming response is not supported for GET_HEALTH call\n"},
		{"application/json; charset=utf-8", "", `{"type":"GET_HEALTH"}`, 415, "text/plain; charset=utf-8", "Expecting 'Content-Type' of application/json or application/x-protobuf or application/recordio\n"},
		{"application/recordio", "", "2\n" + getHealth, 415, "text/plain; charset=utf-8", "Streaming 'Content-Type' application/recordio is not supported for GET_HEALTH call\n"},
	} {
		req, _ := http.NewRequest("POST", ts.URL+"/api/v1", strings.NewReader(c.body))
		req.Header.Set("Content-Type", c.ct)
		if c.ct == "application/recordio" {
			req.Header.Set("Message-Content-Type", "application/x-protobuf")
		}
		if c.accept != "" {
			req.Header.Set("Accept", c.accept)
		}
		code, hdr, body := do(t, req)
		if code != c.code || hdr.Get("Content-Type") != c.wantCT || body != c.wantBody {
			t.Errorf("%s accept %q: %d %q %q, want %d %q %q", c.ct, c.accept, code, hdr.Get("Content-Type"), body, c.code, c.wantCT, c.wantBody)
		}
	}
}

// /monitor/statistics answers two requests a second; more wait their turn.
func TestMonitorStatisticsPaced(t *testing.T) {
	s, ts := newTestServer(t, Config{})
	s.MarkRecovered()
	start := time.Now()
	for i := 0; i < 3; i++ {
		code, body := get(t, ts.URL+"/monitor/statistics")
		if code != 200 || body != `[{"executor_id":"t","executor_name":"Command Executor","framework_id":"F","source":"t","statistics":{"timestamp":1.0}}]` {
			t.Fatalf("%d %s", code, body)
		}
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("3 requests took %v: not paced at 2 per second", d)
	}
}

func TestPrometheusValues(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 1.5: "1.5", 1e21: "1e+21", math.Inf(1): "+Inf", math.Inf(-1): "-Inf", math.NaN(): "NaN"} {
		if got := promFloat(v); got != want {
			t.Errorf("promFloat(%v) = %q, want %q", v, got, want)
		}
	}
	if got := escapeHelp("a\\b\nc"); got != `a\\b\nc` {
		t.Errorf("escapeHelp = %q", got)
	}
}
