package agentd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/flags"
)

// TestEveryMesosFlag starts agentd with a flag directory holding every
// flag of the Mesos 1.11 agent, each set to a valid value (one of each
// exclusive pair), and checks that it runs, that /flags shows them as
// stout renders them, and that one warning names those without effect.
func TestEveryMesosFlag(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "etc-mesos-slave")
	if err := os.MkdirAll(conf, 0o755); err != nil {
		t.Fatal(err)
	}
	creds := filepath.Join(dir, "http-credentials.json")
	os.WriteFile(creds, []byte(`{"credentials":[{"principal":"ops","secret":"s3cret"}]}`), 0o600)
	logFile := filepath.Join(dir, "agent.log")
	os.WriteFile(logFile, []byte("I started\n"), 0o644)
	values := map[string]string{}
	for k, v := range flags.ExampleValues {
		values[k] = v
	}
	for _, k := range []string{"master_detector", "ip_discovery_command", "ip6_discovery_command", "modules_dir"} {
		delete(values, k)
	}
	values["http_credentials"] = creds
	values["log_dir"] = filepath.Join(dir, "log")
	values["external_log_file"] = logFile
	values["master"] = "127.0.0.1:5050"
	values["isolation"] = "posix/cpu,posix/mem"
	for k, v := range values {
		if err := os.WriteFile(filepath.Join(conf, k), []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a := startBinaryAgent(t, "--config_dir="+conf)

	var doc struct {
		Flags map[string]string `json:"flags"`
	}
	if err := json.Unmarshal(httpGet(t, a.URL+"/flags"), &doc); err != nil {
		t.Fatal(err)
	}
	for k := range values {
		if _, ok := doc.Flags[k]; !ok {
			t.Errorf("/flags lacks %s", k)
		}
	}
	for _, s := range flags.Table {
		if _, ok := doc.Flags[s.Name]; !ok && s.HasDefault && !s.Build.Optional() {
			t.Errorf("/flags lacks %s, which Mesos always shows", s.Name)
		}
	}
	if _, ok := doc.Flags["config_dir"]; ok {
		t.Error("/flags shows config_dir, which is not a Mesos flag")
	}
	for k, want := range map[string]string{"nvidia_gpu_devices": "[ 0, 1 ]", "fetcher_cache_size": "2GB",
		"perf_interval": "1mins", "executor_environment_variables": `{"PATH":"/usr/bin:/bin"}`,
		"hostname": "agent1", "advertise_ip": "10.0.0.5",
		// protobuf-typed flags as Mesos prints them: DebugString, or
		// JSON::protobuf with sorted keys.
		"acls":                   "permissive: true\n",
		"default_container_info": "type: MESOS\nvolumes {\n  container_path: \"/tmp\"\n  host_path: \"tmp\"\n  mode: RW\n}\n",
		"allowed_devices":        `{"allowed_devices":[{"access":{"mknod":true,"read":true,"write":true},"device":{"path":"/dev/fuse"}}]}`} {
		if doc.Flags[k] != want {
			t.Errorf("/flags %s = %q, want %q", k, doc.Flags[k], want)
		}
	}
	var st struct {
		PID string `json:"pid"`
	}
	json.Unmarshal(httpGet(t, a.URL+"/state"), &st)
	if st.PID != "slave(1)@10.0.0.5:5051" {
		t.Errorf("/state pid = %q, want the advertised address", st.PID)
	}
	// /metrics/snapshot: the 68 keys of a default Mesos 1.11 agent run as
	// root, nothing else.
	var metrics map[string]float64
	if err := json.Unmarshal(httpGet(t, a.URL+"/metrics/snapshot"), &metrics); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, r := range []string{"cpus", "gpus", "mem", "disk"} {
		for _, k := range []string{"total", "used", "percent", "revocable_total", "revocable_used", "revocable_percent"} {
			want["slave/"+r+"_"+k] = true
		}
	}
	for _, k := range strings.Fields(`slave/uptime_secs slave/registered slave/recovery_errors slave/recovery_time_secs
		slave/frameworks_active slave/tasks_staging slave/tasks_starting slave/tasks_running slave/tasks_killing
		slave/tasks_finished slave/tasks_failed slave/tasks_killed slave/tasks_lost slave/tasks_gone
		slave/executors_registering slave/executors_running slave/executors_terminating slave/executors_terminated
		slave/executors_preempted slave/valid_status_updates slave/invalid_status_updates
		slave/valid_framework_messages slave/invalid_framework_messages slave/executor_directory_max_allowed_age_secs
		slave/container_launch_errors system/cpus_total system/load_1min system/load_5min system/load_15min
		system/mem_total_bytes system/mem_free_bytes gc/path_removals_succeeded gc/path_removals_failed
		gc/path_removals_pending containerizer/fetcher/task_fetches_succeeded containerizer/fetcher/task_fetches_failed
		containerizer/fetcher/cache_size_total_bytes containerizer/fetcher/cache_size_used_bytes
		containerizer/mesos/container_destroy_errors containerizer/mesos/provisioner/remove_container_errors
		containerizer/mesos/provisioner/bind/remove_rootfs_errors resource_provider_manager/subscribed
		resource_provider_manager/events/subscribe resource_provider_manager/events/disconnect`) {
		want[k] = true
	}
	if len(want) != 68 {
		t.Fatalf("the list has %d keys", len(want))
	}
	for k := range metrics {
		if !want[k] {
			t.Errorf("/metrics/snapshot has %s, which a Mesos 1.11 agent does not", k)
		}
	}
	for k := range want {
		if _, ok := metrics[k]; !ok {
			t.Errorf("/metrics/snapshot lacks %s", k)
		}
	}
	if metrics["containerizer/fetcher/cache_size_total_bytes"] != 2<<30 {
		t.Errorf("cache_size_total_bytes = %v, want --fetcher_cache_size", metrics["containerizer/fetcher/cache_size_total_bytes"])
	}

	logs := a.stderr.String()
	warning := ""
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "These flags are accepted but have no effect in agentd") {
			if warning != "" {
				t.Errorf("more than one no-effect warning:\n%s\n%s", warning, line)
			}
			warning = line
		}
	}
	for _, s := range flags.Table {
		_, given := values[s.Name]
		named := strings.Contains(warning, "--"+s.Name+" ") || strings.Contains(warning, "--"+s.Name+",")
		if s.Effect == flags.Acted && named {
			t.Errorf("the warning names %s, which agentd acts on", s.Name)
		}
		if s.Effect == flags.Warned && given && values[s.Name] != s.Default && !named {
			t.Errorf("the warning does not name %s", s.Name)
		}
	}
}

// Counters count from the agent's start and do not go down when garbage
// collection forgets an ended task (they did count retained tasks).
func TestMetricsCountersAreCumulative(t *testing.T) {
	a := startBinaryAgent(t, "--gc_delay=1secs")
	metrics := func() map[string]float64 {
		var m map[string]float64
		if err := json.Unmarshal(httpGet(t, a.URL+"/metrics/snapshot"), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	a.launch(sh("done", "true"))
	a.waitState("done", 30*time.Second, "TASK_FINISHED")
	deadline := time.Now().Add(30 * time.Second)
	for metrics()["gc/path_removals_succeeded"] < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the ended task was not garbage-collected: %v", metrics())
		}
		time.Sleep(200 * time.Millisecond)
	}
	m := metrics()
	for k, want := range map[string]float64{"slave/tasks_finished": 1, "slave/executors_terminated": 1,
		"containerizer/fetcher/task_fetches_succeeded": 1, "gc/path_removals_succeeded": 2, "gc/path_removals_pending": 0,
		"slave/tasks_running": 0, "slave/frameworks_active": 0} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
	if m["slave/valid_status_updates"] < 3 { // STARTING, RUNNING, FINISHED
		t.Errorf("slave/valid_status_updates = %v", m["slave/valid_status_updates"])
	}
}
