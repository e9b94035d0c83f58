package mesosgo

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/agent"
	"github.com/mesos/mesos-go/api/v1/lib/agent/calls"
	"github.com/mesos/mesos-go/api/v1/lib/encoding/codecs"
	"github.com/mesos/mesos-go/api/v1/lib/httpcli"
	"github.com/mesos/mesos-go/api/v1/lib/httpcli/httpagent"
)

// TestMesosGoAgentCalls runs every v1 call agentd implements through
// mesos-go's httpagent sender: with its default codec (protobuf) and with
// JSON. mesos-go checks what a real client checks: the exact Content-Type,
// no Content-Type on 200s without a body, proto2 required fields.
func TestMesosGoAgentCalls(t *testing.T) {
	a := startAgent(t)
	fid := a.launchTask(t, "mg-sleep", "printf hello > out.txt; sleep 600")

	for _, c := range []struct {
		name string
		opts []httpcli.Opt
	}{
		{"protobuf", nil}, // httpcli.DefaultCodec
		{"json", []httpcli.Opt{httpcli.Codec(codecs.ByMediaType[codecs.MediaTypeJSON])}},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts := append([]httpcli.Opt{httpcli.Endpoint(a.URL + "/api/v1")}, c.opts...)
			s := httpagent.NewSender(httpcli.New(opts...).Send)
			runCalls(t, s, a, fid, "mg-"+c.name)
		})
	}
}

// call sends a call that answers with a body and decodes it.
func call(t *testing.T, s calls.Sender, c *agent.Call) *agent.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	resp, err := s.Send(ctx, calls.NonStreaming(c))
	if err != nil {
		t.Fatalf("%s: %v", c.GetType(), err)
	}
	defer resp.Close()
	var r agent.Response
	if err := resp.Decode(&r); err != nil {
		t.Fatalf("%s: decode: %v", c.GetType(), err)
	}
	return &r
}

// noData sends a call that answers without a body.
func noData(t *testing.T, s calls.Sender, c *agent.Call) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := calls.SendNoData(ctx, s, calls.NonStreaming(c)); err != nil {
		t.Fatalf("%s: %v", c.GetType(), err)
	}
}

func runCalls(t *testing.T, s calls.Sender, a *agentd, fid, cid string) {
	if r := call(t, s, calls.GetHealth()); r.GetType() != agent.Response_GET_HEALTH || !r.GetGetHealth().GetHealthy() {
		t.Errorf("GET_HEALTH = %v", r)
	}

	flags := map[string]string{}
	for _, f := range call(t, s, calls.GetFlags()).GetGetFlags().GetFlags() {
		flags[f.GetName()] = f.GetValue()
	}
	for k, want := range map[string]string{"work_dir": a.WorkDir, "port": strings.TrimPrefix(a.URL[strings.LastIndex(a.URL, ":"):], ":"),
		"perf_interval": "1mins", "help": "false", "fetcher_cache_size": "2GB"} {
		if flags[k] != want {
			t.Errorf("GET_FLAGS %s = %q, want %q", k, flags[k], want)
		}
	}

	if v := call(t, s, calls.GetVersion()).GetGetVersion().GetVersionInfo(); v.GetVersion() != "1.11.0" {
		t.Errorf("GET_VERSION = %v", v)
	}

	timeout := 5 * time.Second
	for _, d := range []*time.Duration{nil, &timeout} {
		metrics := map[string]float64{}
		for _, m := range call(t, s, calls.GetMetrics(d)).GetGetMetrics().GetMetrics() {
			metrics[m.GetName()] = m.GetValue()
		}
		for _, k := range []string{"slave/uptime_secs", "slave/tasks_running", "gc/path_removals_succeeded",
			"containerizer/fetcher/cache_size_total_bytes", "system/load_1min"} {
			if _, ok := metrics[k]; !ok {
				t.Errorf("GET_METRICS has no %s", k)
			}
		}
		if metrics["slave/tasks_running"] != 1 {
			t.Errorf("GET_METRICS slave/tasks_running = %v", metrics["slave/tasks_running"])
		}
	}

	// The logging level is glog's verbosity: 0, raised for a while, back
	// to the original when the duration is over.
	if l := call(t, s, calls.GetLoggingLevel()).GetGetLoggingLevel().GetLevel(); l != 0 {
		t.Errorf("GET_LOGGING_LEVEL = %d, want 0", l)
	}
	noData(t, s, calls.SetLoggingLevel(2, 2*time.Second))
	if l := call(t, s, calls.GetLoggingLevel()).GetGetLoggingLevel().GetLevel(); l != 2 {
		t.Errorf("GET_LOGGING_LEVEL after SET_LOGGING_LEVEL 2 = %d", l)
	}
	deadline := time.Now().Add(20 * time.Second)
	for call(t, s, calls.GetLoggingLevel()).GetGetLoggingLevel().GetLevel() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the logging level did not revert to 0 after its duration")
		}
		time.Sleep(200 * time.Millisecond)
	}

	// The task: in every GET_* call, and its sandbox through the virtual
	// path Mesos attaches.
	state := call(t, s, calls.GetState()).GetGetState()
	var task *mesos.Task
	for i, tk := range state.GetGetTasks().GetLaunchedTasks() {
		if tk.GetTaskID().Value == "mg-sleep" {
			task = &state.GetGetTasks().LaunchedTasks[i]
		}
	}
	if task == nil || task.GetState() != mesos.TASK_RUNNING || task.GetFrameworkID().Value != fid {
		t.Fatalf("GET_STATE launched tasks = %v", state.GetGetTasks().GetLaunchedTasks())
	}
	st := task.GetStatuses()[len(task.GetStatuses())-1]
	if ips := st.GetContainerStatus().GetNetworkInfos(); len(ips) != 1 || len(ips[0].GetIPAddresses()) == 0 ||
		ips[0].GetIPAddresses()[0].GetIPAddress() != "127.0.0.1" {
		t.Errorf("TASK_RUNNING container_status.network_infos = %v", ips)
	}
	if tasks := call(t, s, calls.GetTasks()).GetGetTasks().GetLaunchedTasks(); len(tasks) != 1 || tasks[0].GetName() != "mg-sleep" {
		t.Errorf("GET_TASKS launched = %v", tasks)
	}
	if fws := call(t, s, calls.GetFrameworks()).GetGetFrameworks().GetFrameworks(); len(fws) != 1 ||
		fws[0].FrameworkInfo.GetID().Value != fid || fws[0].FrameworkInfo.GetName() != "mesos-execute instance" {
		t.Errorf("GET_FRAMEWORKS = %v", fws)
	}
	if ex := call(t, s, calls.GetExecutors()).GetGetExecutors().GetExecutors(); len(ex) != 1 || ex[0].ExecutorInfo.GetExecutorID().Value != "mg-sleep" {
		t.Errorf("GET_EXECUTORS = %v", ex)
	}
	cs := call(t, s, calls.GetContainers()).GetGetContainers().GetContainers()
	if len(cs) != 1 || cs[0].GetExecutorID().GetValue() != "mg-sleep" || cs[0].GetResourceStatistics() == nil ||
		cs[0].GetResourceStatistics().GetTimestamp() == 0 {
		t.Errorf("GET_CONTAINERS = %v", cs)
	}
	if ai := call(t, s, calls.GetAgent()).GetGetAgent().GetAgentInfo(); ai == nil || ai.GetHostname() == "" || len(ai.GetResources()) == 0 {
		t.Errorf("GET_AGENT = %v", ai)
	}

	latest := "/frameworks/" + fid + "/executors/mg-sleep/runs/latest"
	names := map[string]bool{}
	for _, fi := range call(t, s, calls.ListFiles(latest)).GetListFiles().GetFileInfos() {
		names[strings.TrimPrefix(fi.GetPath(), latest+"/")] = true
	}
	for _, n := range []string{"out.txt", "stdout", "stderr"} {
		if !names[n] {
			t.Errorf("LIST_FILES %s has no %s: %v", latest, n, names)
		}
	}
	if rf := call(t, s, calls.ReadFile(latest+"/out.txt", 0)).GetReadFile(); rf.GetSize_() != 5 || string(rf.GetData()) != "hello" {
		t.Errorf("READ_FILE = %d %q", rf.GetSize_(), rf.GetData())
	}
	if rf := call(t, s, calls.ReadFileWithLength(latest+"/out.txt", 1, 2)).GetReadFile(); rf.GetSize_() != 5 || string(rf.GetData()) != "el" {
		t.Errorf("READ_FILE offset 1 length 2 = %d %q", rf.GetSize_(), rf.GetData())
	}
	if rf := call(t, s, calls.ReadFile(latest+"/out.txt", 9)).GetReadFile(); rf.GetSize_() != 5 || len(rf.GetData()) != 0 {
		t.Errorf("READ_FILE past the end = %d %q", rf.GetSize_(), rf.GetData())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.Send(ctx, calls.NonStreaming(calls.ReadFile(latest+"/nope", 0))); err == nil {
		t.Error("READ_FILE of a missing file succeeded")
	}

	// A standalone container: launch, kill, wait, remove.
	id := mesos.ContainerID{Value: cid}
	shell := true
	cmd := "sleep 600"
	cpus, mem := mesos.SCALAR, mesos.SCALAR
	noData(t, s, calls.LaunchContainer(id, &mesos.CommandInfo{Shell: &shell, Value: &cmd}, nil, []mesos.Resource{
		{Name: "cpus", Type: &cpus, Scalar: &mesos.Value_Scalar{Value: 0.1}},
		{Name: "mem", Type: &mem, Scalar: &mesos.Value_Scalar{Value: 32}},
	}))
	noData(t, s, calls.KillContainer(id))
	wctx, wcancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer wcancel()
	wresp, err := s.Send(wctx, calls.NonStreaming(calls.WaitContainer(id)))
	if err != nil {
		// What still runs of the container says which part did not end
		// (the launcher, or the command it started).
		ps, _ := exec.Command("ps", "-eo", "pid,ppid,stat,etime,args", "--forest").Output()
		var keep []string
		for _, l := range strings.Split(string(ps), "\n") {
			if strings.Contains(l, cid) || strings.Contains(l, cmd) {
				keep = append(keep, l)
			}
		}
		t.Fatalf("WAIT_CONTAINER after KILL_CONTAINER: %v; processes of the container:\n%s", err, strings.Join(keep, "\n"))
	}
	defer wresp.Close()
	var wr agent.Response
	if err := wresp.Decode(&wr); err != nil {
		t.Fatalf("WAIT_CONTAINER: decode: %v", err)
	}
	w := wr.GetWaitContainer()
	if w.GetExitStatus() != 9 { // killed by SIGKILL: the raw wait(2) status
		t.Errorf("WAIT_CONTAINER = %v", w)
	}
	noData(t, s, calls.RemoveContainer(id))
	if _, err := s.Send(ctx, calls.NonStreaming(calls.WaitContainer(id))); err == nil {
		t.Error("WAIT_CONTAINER of a removed container succeeded")
	}
}
