package flags

import (
	"slices"
	"strings"
	"testing"
)

// ValidValues sets every Mesos 1.11 agent flag to a value Mesos accepts
// (our own values; the types and rules are Mesos'). The exclusive pairs
// (master/master_detector, ip/ip_discovery_command, ip6/…,
// modules/modules_dir) are all present here: users of the map drop one of
// each pair.
var ValidValues = map[string]string{
	"acls":                                     `{"permissive":true}`,
	"advertise_ip":                             "10.0.0.5",
	"advertise_port":                           "5051",
	"agent_features":                           `{"capabilities":[{"type":"MULTI_ROLE"},{"type":"HIERARCHICAL_ROLE"},{"type":"RESERVATION_REFINEMENT"},{"type":"AGENT_OPERATION_FEEDBACK"},{"type":"RESOURCE_PROVIDER"},{"type":"AGENT_DRAINING"},{"type":"TASK_RESOURCE_LIMITS"}]}`,
	"agent_subsystems":                         "cpu,memory",
	"allowed_devices":                          `{"allowed_devices":[{"device":{"path":"/dev/fuse"},"access":{"read":true,"write":true,"mknod":true}}]}`,
	"appc_simple_discovery_uri_prefix":         "http://",
	"appc_store_dir":                           "/var/lib/mesos/store/appc",
	"attributes":                               "rack:r1;zone:a",
	"authenticate_http_executors":              "false",
	"authenticate_http_readonly":               "false",
	"authenticate_http_readwrite":              "false",
	"authenticatee":                            "crammd5",
	"authentication_backoff_factor":            "1secs",
	"authentication_timeout_max":               "1mins",
	"authentication_timeout_min":               "5secs",
	"authorizer":                               "local",
	"bounding_capabilities":                    `{"capabilities":["NET_BIND_SERVICE","CHOWN"]}`,
	"cgroups_cpu_enable_pids_and_tids_count":   "false",
	"cgroups_destroy_timeout":                  "1mins",
	"cgroups_enable_cfs":                       "false",
	"cgroups_hierarchy":                        "/sys/fs/cgroup",
	"cgroups_limit_swap":                       "false",
	"cgroups_net_cls_primary_handle":           "0x0012",
	"cgroups_net_cls_secondary_handles":        "0x0001,0xffff",
	"cgroups_root":                             "mesos",
	"check_agent_port_range_only":              "false",
	"container_disk_watch_interval":            "15secs",
	"container_logger":                         "org_apache_mesos_LogrotateContainerLogger",
	"container_ports_isolated_range":           "[0-35000]",
	"container_ports_watch_interval":           "30secs",
	"containerizers":                           "mesos",
	"credential":                               "/etc/mesos/agent-credential.json",
	"csi_plugin_config_dir":                    "/etc/mesos/csi",
	"default_container_dns":                    `{"mesos":[{"network_mode":"CNI","network_name":"net1","dns":{"nameservers":["8.8.8.8"]}}]}`,
	"default_container_info":                   `{"type":"MESOS","volumes":[{"host_path":"tmp","container_path":"/tmp","mode":"RW"}]}`,
	"default_container_shm_size":               "64MB",
	"default_role":                             "*",
	"disallow_sharing_agent_ipc_namespace":     "false",
	"disallow_sharing_agent_pid_namespace":     "false",
	"disk_profile_adaptor":                     "org_apache_mesos_UriDiskProfileAdaptor",
	"disk_watch_interval":                      "1mins",
	"docker":                                   "docker",
	"docker_config":                            `{"auths":{"https://index.docker.io/v1/":{"auth":"dXNlcjpwYXNz"}}}`,
	"docker_ignore_runtime":                    "false",
	"docker_kill_orphans":                      "true",
	"docker_mesos_image":                       "mesosphere/mesos-slave:1.11.0",
	"docker_registry":                          "https://registry-1.docker.io",
	"docker_remove_delay":                      "6hrs",
	"docker_socket":                            "/var/run/docker.sock",
	"docker_stop_timeout":                      "0ns",
	"docker_store_dir":                         "/var/lib/mesos/store/docker",
	"docker_volume_checkpoint_dir":             "/var/run/mesos/isolators/docker/volume",
	"docker_volume_chown":                      "false",
	"domain":                                   `{"fault_domain":{"region":{"name":"r1"},"zone":{"name":"z1"}}}`,
	"domain_socket_location":                   "/var/run/mesos/agent.sock",
	"effective_capabilities":                   `{"capabilities":["NET_BIND_SERVICE"]}`,
	"egress_flow_classifier_parent":            "root",
	"egress_rate_limit_per_container":          "10MB",
	"egress_unique_flow_per_container":         "false",
	"enforce_container_disk_quota":             "false",
	"enforce_container_ports":                  "false",
	"ephemeral_ports_per_container":            "1024",
	"eth0_name":                                "eth0",
	"executor_environment_variables":           `{"PATH":"/usr/bin:/bin"}`,
	"executor_registration_timeout":            "5mins",
	"executor_reregistration_retry_interval":   "1secs",
	"executor_reregistration_timeout":          "2secs",
	"executor_shutdown_grace_period":           "5secs",
	"external_log_file":                        "/var/log/mesos/agent.log",
	"fetcher_cache_dir":                        "/var/lib/mesos/fetch",
	"fetcher_cache_size":                       "2GB",
	"fetcher_stall_timeout":                    "1mins",
	"firewall_rules":                           `{"disabled_endpoints":{"paths":["/files/browse"]}}`,
	"frameworks_home":                          "/opt/frameworks",
	"gc_delay":                                 "1weeks",
	"gc_disk_headroom":                         "0.1",
	"gc_non_executor_container_sandboxes":      "false",
	"hadoop_home":                              "/opt/hadoop",
	"help":                                     "false",
	"hooks":                                    "org_apache_mesos_TestHook",
	"host_path_volume_force_creation":          "/var/lib/mesos/volumes",
	"hostname":                                 "agent1.example.com",
	"hostname_lookup":                          "true",
	"http_authenticators":                      "basic",
	"http_command_executor":                    "false",
	"http_credentials":                         "/etc/mesos/http-credentials.json",
	"http_executor_domain_sockets":             "false",
	"http_heartbeat_interval":                  "30secs",
	"image_gc_config":                          `{"image_disk_headroom":0.1,"image_disk_watch_interval":{"nanoseconds":3600000000000}}`,
	"image_providers":                          "DOCKER",
	"image_provisioner_backend":                "copy",
	"initialize_driver_logging":                "true",
	"ip":                                       "127.0.0.1",
	"ip6":                                      "::1",
	"ip6_discovery_command":                    "echo ::1",
	"ip_discovery_command":                     "echo 127.0.0.1",
	"isolation":                                "cgroups/cpu,cgroups/mem",
	"jwt_secret_key":                           "/etc/mesos/jwt.key",
	"launcher":                                 "linux",
	"launcher_dir":                             "/usr/libexec/mesos",
	"lo_name":                                  "lo",
	"log_dir":                                  "/var/log/mesos",
	"logbufsecs":                               "0",
	"logging_level":                            "INFO",
	"master":                                   "zk://127.0.0.1:2181/mesos",
	"master_detector":                          "org_apache_mesos_ZooKeeperMasterDetector",
	"max_completed_executors_per_framework":    "150",
	"memory_profiling":                         "false",
	"modules":                                  `{"libraries":[]}`,
	"modules_dir":                              "/etc/mesos/modules.d",
	"network_cni_config_dir":                   "/etc/cni/net.d",
	"network_cni_metrics":                      "true",
	"network_cni_plugins_dir":                  "/opt/cni/bin",
	"network_cni_root_dir_persist":             "false",
	"network_enable_snmp_statistics":           "false",
	"network_enable_socket_statistics_details": "false",
	"network_enable_socket_statistics_summary": "false",
	"nvidia_gpu_devices":                       "0,1",
	"oversubscribed_resources_interval":        "15secs",
	"perf_duration":                            "10secs",
	"perf_events":                              "cycles,task-clock",
	"perf_interval":                            "1mins",
	"port":                                     "5051",
	"qos_controller":                           "org_apache_mesos_LoadQoSController",
	"qos_correction_interval_min":              "0ns",
	"quiet":                                    "false",
	"reconfiguration_policy":                   "equal",
	"recover":                                  "reconnect",
	"recovery_timeout":                         "15mins",
	"registration_backoff_factor":              "1secs",
	"resource_estimator":                       "org_apache_mesos_FixedResourceEstimator",
	"resource_provider_config_dir":             "/etc/mesos/resource-providers",
	"resources":                                "cpus:2;mem:1024;disk:4096;ports:[31000-32000]",
	"revocable_cpu_low_priority":               "true",
	"runtime_dir":                              "/var/run/mesos",
	"sandbox_directory":                        "/mnt/mesos/sandbox",
	"seccomp_config_dir":                       "/etc/mesos/seccomp",
	"seccomp_profile_name":                     "default.json",
	"secret_resolver":                          "org_apache_mesos_SecretResolver",
	"strict":                                   "true",
	"switch_user":                              "false",
	"systemd_enable_support":                   "true",
	"systemd_runtime_directory":                "/run/systemd/system",
	"version":                                  "false",
	"volume_gid_range":                         "[10000-20000]",
	"work_dir":                                 "/var/lib/mesos",
	"xfs_kill_containers":                      "false",
	"xfs_project_range":                        "[5000-10000]",
	"zk_session_timeout":                       "10secs",
}

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
		v, ok := ValidValues[s.Name]
		if !ok {
			t.Errorf("no valid value for %s", s.Name)
			continue
		}
		if _, err := s.Render(v); err != nil {
			t.Errorf("%s=%s: %v", s.Name, v, err)
		}
	}
	if len(ValidValues) != len(Table) {
		t.Errorf("%d values for %d flags", len(ValidValues), len(Table))
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
