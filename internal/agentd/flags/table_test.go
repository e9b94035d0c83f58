package flags

import (
	"slices"
	"strings"
	"testing"
)

// defaultKeys is what /flags of a default Linux Mesos 1.11 build shows
// when started as root with only --master and --work_dir: 78 keys.
var defaultKeys = strings.Fields(`appc_simple_discovery_uri_prefix appc_store_dir
authenticate_http_readonly authenticate_http_readwrite authenticatee authentication_backoff_factor
authentication_timeout_max authentication_timeout_min authorizer cgroups_cpu_enable_pids_and_tids_count
cgroups_destroy_timeout cgroups_enable_cfs cgroups_hierarchy cgroups_limit_swap cgroups_root
container_disk_watch_interval containerizers default_role disallow_sharing_agent_ipc_namespace
disallow_sharing_agent_pid_namespace disk_watch_interval docker docker_ignore_runtime
docker_kill_orphans docker_registry docker_remove_delay docker_socket docker_stop_timeout
docker_store_dir docker_volume_checkpoint_dir docker_volume_chown enforce_container_disk_quota
executor_registration_timeout executor_reregistration_timeout executor_shutdown_grace_period
fetcher_cache_dir fetcher_cache_size fetcher_stall_timeout frameworks_home gc_delay gc_disk_headroom
gc_non_executor_container_sandboxes help hostname_lookup http_command_executor
http_executor_domain_sockets http_heartbeat_interval initialize_driver_logging isolation launcher
launcher_dir logbufsecs logging_level master max_completed_executors_per_framework memory_profiling
network_cni_metrics network_cni_root_dir_persist oversubscribed_resources_interval perf_duration
perf_interval port qos_correction_interval_min quiet reconfiguration_policy recover recovery_timeout
registration_backoff_factor revocable_cpu_low_priority runtime_dir sandbox_directory strict
switch_user systemd_enable_support systemd_runtime_directory version work_dir zk_session_timeout`)

func TestTableIsMesos111(t *testing.T) {
	if len(Table) != 150 {
		t.Errorf("Table has %d flags, Mesos 1.11's agent has 150", len(Table))
	}
	names := map[string]bool{}
	for i, s := range Table {
		if i > 0 && Table[i-1].Name >= s.Name {
			t.Errorf("Table is not sorted at %s", s.Name)
		}
		for _, n := range []string{s.Name, s.Alias} {
			if n != "" && names[n] {
				t.Errorf("%s appears twice", n)
			}
			names[n] = true
		}
		if (s.Effect == Warned) != (s.Needs != "") {
			t.Errorf("%s: a warned flag says what it needs, an acted-on one does not (Needs %q)", s.Name, s.Needs)
		}
		if s.Help == "" {
			t.Errorf("%s has no help", s.Name)
		}
		if s.HasDefault && !s.Computed {
			// Defaults are written as stout renders them.
			if got, err := s.Render(s.Default); err != nil || got != s.Default {
				t.Errorf("%s: default %q renders as %q (%v)", s.Name, s.Default, got, err)
			}
		}
	}
	var emitted []string
	for _, s := range Table {
		if (s.HasDefault && !s.Build.Optional()) || s.Required || s.Name == "master" {
			emitted = append(emitted, s.Name)
		}
	}
	if !slices.Equal(emitted, defaultKeys) {
		t.Errorf("flags with defaults in a default build:\n got %q\nwant %q", emitted, defaultKeys)
	}
}

func TestEveryFlagHasAValidValue(t *testing.T) {
	for _, s := range Table {
		v, ok := ExampleValues[s.Name]
		if !ok {
			t.Errorf("no valid value for %s", s.Name)
			continue
		}
		if _, err := s.Render(v); err != nil {
			t.Errorf("%s=%s: %v", s.Name, v, err)
		}
	}
	if len(ExampleValues) != len(Table) {
		t.Errorf("%d values for %d flags", len(ExampleValues), len(Table))
	}
}

func TestRender(t *testing.T) {
	spec := func(name string) *Spec {
		for i := range Table {
			if Table[i].Name == name {
				return &Table[i]
			}
		}
		t.Fatalf("no flag %s", name)
		return nil
	}
	for _, c := range []struct{ flag, in, want string }{
		{"perf_interval", "60secs", "1mins"},
		{"executor_registration_timeout", "1.5mins", "90secs"},
		{"fetcher_cache_size", "2048MB", "2GB"},
		{"fetcher_cache_size", "2gb", "2GB"},
		{"switch_user", "0", "false"},
		{"gc_disk_headroom", "0.10", "0.1"},
		{"port", "05051", "5051"},
		{"executor_environment_variables", `{ "PATH": "/bin", "A": "b&c" }`, `{"A":"b&c","PATH":"/bin"}`},
		{"nvidia_gpu_devices", "0,1", "[ 0, 1 ]"},
		{"master", "file:///etc/mesos/master", "/etc/mesos/master"},
		{"credential", "file:///etc/mesos/cred", "file:///etc/mesos/cred"},
		{"domain", `{"fault_domain": {"region": {"name": "r1"}, "zone": {"name": "z1"}}}`, `{"fault_domain":{"region":{"name":"r1"},"zone":{"name":"z1"}}}`},
	} {
		got, err := spec(c.flag).Render(c.in)
		if err != nil || got != c.want {
			t.Errorf("%s: Render(%q) = %q, %v; want %q", c.flag, c.in, got, err, c.want)
		}
	}
	for _, c := range []struct{ flag, in, msg string }{
		{"perf_interval", "60s", "Unknown duration unit 's'"},
		{"fetcher_cache_size", "1.5GB", "Fractional bytes '1.5GB'"},
		{"switch_user", "yes", "Expecting a boolean"},
		{"port", "70000", "0 to 65535"},
		{"executor_environment_variables", `["a"]`, "Expecting a JSON object"},
		{"nvidia_gpu_devices", "0,x", "'x'"},
	} {
		if _, err := spec(c.flag).Render(c.in); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: Render(%q) error = %v, want %q", c.flag, c.in, err, c.msg)
		}
	}
}
