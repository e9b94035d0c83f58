package flags

import (
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// ValueType is a flag's value type as Mesos 1.11 declares it
// (src/slave/flags.hpp, src/logging/flags.hpp); it decides how a value is
// parsed and how /flags renders it (stout's stringify).
type ValueType int

// Value types.
const (
	TypeString            ValueType = iota // as given (file:// expanded)
	TypeBool                               // true/1, false/0; --name, --no-name
	TypeInt                                // int
	TypeSize                               // size_t
	TypeUint16                             // uint16_t
	TypeDouble                             // double, rendered with 6 significant digits
	TypeDuration                           // stout Duration: 1mins, 15secs
	TypeBytes                              // stout Bytes: 2GB
	TypePath                               // Path: kept verbatim, file:// not expanded
	TypeJSONObject                         // JSON object, rendered compact with sorted keys
	TypeProtoJSON                          // protobuf message as JSON, rendered compact
	TypeProtoText                          // protobuf message as JSON, rendered by Mesos as DebugString
	TypeUintList                           // comma-separated unsigned integers, rendered "[ 0, 1 ]"
	TypeSecurePathOrValue                  // file:///p is read, /flags shows the path
)

var typeNames = [...]string{"string", "bool", "int", "size_t", "uint16", "double", "duration",
	"bytes", "path", "JSON object", "JSON (protobuf)", "JSON (protobuf)", "list of unsigned", "string or file:// path"}

func (t ValueType) String() string { return typeNames[t] }

// Build says in which Mesos builds a flag exists. agentd accepts them all.
type Build int

// Builds.
const (
	BuildAll          Build = iota // every platform
	BuildLinux                     // #ifdef __linux__
	BuildNonWindows                // #ifndef __WINDOWS__
	BuildSSL                       // --enable-ssl
	BuildPortMapping               // --enable-port-mapping-isolator
	BuildNetworkPorts              // --enable-network-ports-isolator
	BuildXFS                       // --enable-xfs-disk-isolator
	BuildSeccomp                   // --enable-seccomp-isolator
	BuildMesosctl                  // no Mesos build: mesosctl's own flag (Ours)
)

var buildNames = [...]string{"all", "Linux", "not Windows", "SSL build", "port_mapping build",
	"network/ports build", "XFS build", "seccomp build", "none: mesosctl only"}

func (b Build) String() string { return buildNames[b] }

// Optional reports whether the flag exists only in an optional Mesos
// build (or in none: mesosctl's own): a default build does not emit it in
// /flags, so agentd shows it only when it was given.
func (b Build) Optional() bool { return b >= BuildSSL }

// Effect says what agentd does with a flag.
type Effect int

// Effects.
const (
	// Acted: agentd does what Mesos 1.11 does with the value.
	Acted Effect = iota
	// Warned: accepted and shown in /flags, but acting on it needs
	// something agentd does not have (Spec.Needs); giving it a value
	// other than its default logs one start-up warning naming it.
	Warned
)

func (e Effect) String() string { return [...]string{"acted on", "warned"}[e] }

// Spec is one flag of the Mesos 1.11 agent.
type Spec struct {
	Name string
	Type ValueType
	// Default is the stout rendering of the default value. HasDefault
	// marks flags that always have a value (Mesos' non-Option flags, which
	// /flags always shows); an Option flag has none and shows only when
	// given.
	Default    string
	HasDefault bool
	// Computed defaults depend on the host (launcher, runtime_dir, the
	// $TMPDIR-based directories); Default is the usual value and
	// DefaultValue computes the actual one.
	Computed bool
	Required bool   // work_dir
	Alias    string // deprecated alias
	Build    Build
	Effect   Effect
	// Needs names what acting on a Warned flag needs that agentd lacks.
	Needs string
	Help  string
}

// DefaultValue is the flag's default on this host (for computed
// defaults, as Mesos computes them at start-up).
func (s *Spec) DefaultValue() string {
	if !s.Computed {
		return s.Default
	}
	tmp := os.Getenv("TMPDIR")
	if tmp == "" {
		tmp = "/tmp"
	}
	switch s.Name {
	case "launcher":
		if os.Geteuid() == 0 && freezerEnabled() {
			return "linux"
		}
		return "posix"
	case "runtime_dir":
		if writableDir("/var/run") {
			return "/var/run/mesos"
		}
		return filepath.Join(tmp, "mesos", "runtime")
	case "appc_store_dir":
		return filepath.Join(tmp, "mesos", "store", "appc")
	case "docker_store_dir":
		return filepath.Join(tmp, "mesos", "store", "docker")
	case "fetcher_cache_dir":
		return filepath.Join(tmp, "mesos", "fetch")
	}
	return s.Default // launcher_dir: where packages put Mesos' helpers
}

// freezerEnabled reports whether /proc/cgroups lists the freezer
// subsystem as enabled (Mesos' test for the linux launcher).
func freezerEnabled() bool {
	b, err := os.ReadFile("/proc/cgroups")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 4 && f[0] == "freezer" && f[3] == "1" {
			return true
		}
	}
	return false
}

// writableDir reports whether dir may be read and written (access(2)).
func writableDir(dir string) bool {
	return unix.Access(dir, unix.R_OK|unix.W_OK) == nil
}

// Table is every flag of the Mesos 1.11 agent binary on Linux, sorted by
// name: the 143 of src/slave/flags.cpp, the 6 logging flags and stout's
// help, including those of optional builds (SSL, port_mapping,
// network/ports, XFS, seccomp). Names, types and defaults are Mesos'.
var Table = []Spec{
	{Name: "acls", Type: TypeProtoText, Effect: Warned, Needs: "an authorizer", Help: "JSON ACLs"},
	{Name: "advertise_ip", Type: TypeString, Effect: Acted, Help: "IP address advertised to reach this agent"},
	{Name: "advertise_port", Type: TypeString, Effect: Acted, Help: "port advertised to reach this agent"},
	{Name: "agent_features", Type: TypeProtoText, Effect: Warned, Needs: "a Mesos master (agent features)", Help: "JSON agent capabilities"},
	{Name: "agent_subsystems", Type: TypeString, Alias: "slave_subsystems", Build: BuildLinux, Effect: Warned, Needs: "cgroups for the agent process itself", Help: "cgroups subsystems the agent itself is placed in"},
	{Name: "allowed_devices", Type: TypeProtoJSON, Build: BuildLinux, Effect: Warned, Needs: "the cgroups/devices isolator", Help: "JSON device whitelist of the devices cgroup"},
	{Name: "appc_simple_discovery_uri_prefix", Type: TypeString, Default: "http://", HasDefault: true, Effect: Warned, Needs: "image provisioning", Help: "URI prefix of appc simple discovery"},
	{Name: "appc_store_dir", Type: TypeString, Default: "/tmp/mesos/store/appc", HasDefault: true, Computed: true, Effect: Warned, Needs: "image provisioning", Help: "appc image store directory"},
	{Name: "attributes", Type: TypeString, Effect: Acted, Help: "attributes of this agent, e.g. 'rack:2;os:centos7'"},
	{Name: "authenticate_http_executors", Type: TypeBool, Default: "false", HasDefault: true, Build: BuildSSL, Effect: Warned, Needs: "SSL and HTTP executors", Help: "require executor authentication"},
	{Name: "authenticate_http_readonly", Type: TypeBool, Default: "false", HasDefault: true, Effect: Acted, Help: "require HTTP basic auth for read-only endpoints (realm mesos-agent-readonly)"},
	{Name: "authenticate_http_readwrite", Type: TypeBool, Default: "false", HasDefault: true, Effect: Acted, Help: "require HTTP basic auth for read-write endpoints and /api/v1 (realm mesos-agent-readwrite)"},
	{Name: "authenticatee", Type: TypeString, Default: "crammd5", HasDefault: true, Effect: Warned, Needs: "a Mesos master", Help: "authenticatee used with the master"},
	{Name: "authentication_backoff_factor", Type: TypeDuration, Default: "1secs", HasDefault: true, Effect: Warned, Needs: "a Mesos master", Help: "backoff factor of authentication with the master"},
	{Name: "authentication_timeout_max", Type: TypeDuration, Default: "1mins", HasDefault: true, Effect: Warned, Needs: "a Mesos master", Help: "maximum timeout of authentication with the master"},
	{Name: "authentication_timeout_min", Type: TypeDuration, Default: "5secs", HasDefault: true, Effect: Warned, Needs: "a Mesos master", Help: "minimum timeout of authentication with the master"},
	{Name: "authorizer", Type: TypeString, Default: "local", HasDefault: true, Effect: Warned, Needs: "an authorizer", Help: "authorizer"},
	{Name: "bounding_capabilities", Type: TypeProtoJSON, Build: BuildLinux, Effect: Warned, Needs: "Linux capability isolation", Help: "JSON bounding capabilities of tasks"},
	{Name: "cgroups_cpu_enable_pids_and_tids_count", Type: TypeBool, Default: "false", HasDefault: true, Build: BuildLinux, Effect: Acted, Help: "report processes and threads in /monitor/statistics"},
	{Name: "cgroups_destroy_timeout", Type: TypeDuration, Default: "1mins", HasDefault: true, Build: BuildLinux, Effect: Acted, Help: "time to wait for a cgroup to be destroyed"},
	{Name: "cgroups_enable_cfs", Type: TypeBool, Default: "false", HasDefault: true, Build: BuildLinux, Effect: Acted, Help: "hard CPU limits via CFS bandwidth"},
	{Name: "cgroups_hierarchy", Type: TypeString, Default: "/sys/fs/cgroup", HasDefault: true, Build: BuildLinux, Effect: Acted, Help: "base of the cgroup hierarchies"},
	{Name: "cgroups_limit_swap", Type: TypeBool, Default: "false", HasDefault: true, Build: BuildLinux, Effect: Acted, Help: "limit swap together with memory"},
	{Name: "cgroups_net_cls_primary_handle", Type: TypeString, Build: BuildLinux, Effect: Warned, Needs: "the cgroups/net_cls isolator", Help: "net_cls primary handle, e.g. 0x0012"},
	{Name: "cgroups_net_cls_secondary_handles", Type: TypeString, Build: BuildLinux, Effect: Warned, Needs: "the cgroups/net_cls isolator", Help: "net_cls secondary handle range, e.g. 0x0001,0xffff"},
	{Name: "cgroups_root", Type: TypeString, Default: "mesos", HasDefault: true, Build: BuildLinux, Effect: Acted, Help: "name of the root cgroup"},
	{Name: "check_agent_port_range_only", Type: TypeBool, Default: "false", HasDefault: true, Build: BuildNetworkPorts, Effect: Acted, Help: "check only ports in the agent ports range (network/ports)"},
	{Name: "container_disk_watch_interval", Type: TypeDuration, Default: "15secs", HasDefault: true, Effect: Warned, Needs: "disk quotas", Help: "disk usage check interval of disk/du"},
	{Name: "container_logger", Type: TypeString, Effect: Warned, Needs: "Mesos modules", Help: "container logger module, e.g. org_apache_mesos_LogrotateContainerLogger"},
	{Name: "container_ports_isolated_range", Type: TypeString, Build: BuildNetworkPorts, Effect: Acted, Help: "port range checked (network/ports), e.g. [0-35000]"},
	{Name: "container_ports_watch_interval", Type: TypeDuration, Default: "30secs", HasDefault: true, Build: BuildNetworkPorts, Effect: Acted, Help: "interval of the listening-port check (network/ports)"},
	{Name: "containerizers", Type: TypeString, Default: "mesos", HasDefault: true, Effect: Acted, Help: "comma-separated list of containerizers: mesos, docker"},
	{Name: "credential", Type: TypePath, Effect: Warned, Needs: "a Mesos master", Help: "JSON credential file (or file:// URL) to authenticate with the master (shown as given; inline JSON is redacted)"},
	{Name: "csi_plugin_config_dir", Type: TypeString, Effect: Warned, Needs: "resource providers (CSI)", Help: "directory of CSI plugin configs (JSON CSIPluginInfo files)"},
	{Name: "default_container_dns", Type: TypeProtoText, Effect: Warned, Needs: "container images and IPC/PID namespace policies", Help: "JSON default DNS of containers"},
	{Name: "default_container_info", Type: TypeProtoText, Effect: Warned, Needs: "container images and IPC/PID namespace policies", Help: "JSON default ContainerInfo of tasks without one"},
	{Name: "default_container_shm_size", Type: TypeBytes, Build: BuildLinux, Effect: Warned, Needs: "container images and IPC/PID namespace policies", Help: "default /dev/shm size of containers, e.g. 64MB"},
	{Name: "default_role", Type: TypeString, Default: "*", HasDefault: true, Effect: Acted, Help: "role of resources given without one and of auto-detected resources"},
	{Name: "disallow_sharing_agent_ipc_namespace", Type: TypeBool, Default: "false", HasDefault: true, Build: BuildLinux, Effect: Warned, Needs: "container images and IPC/PID namespace policies", Help: "refuse containers that share the agent IPC namespace"},
	{Name: "disallow_sharing_agent_pid_namespace", Type: TypeBool, Default: "false", HasDefault: true, Build: BuildLinux, Effect: Warned, Needs: "container images and IPC/PID namespace policies", Help: "refuse containers that share the agent PID namespace"},
	{Name: "disk_profile_adaptor", Type: TypeString, Effect: Warned, Needs: "resource providers (CSI)", Help: "disk profile adaptor module"},
	{Name: "disk_watch_interval", Type: TypeDuration, Default: "1mins", HasDefault: true, Effect: Acted, Help: "interval of the work_dir disk usage checks that prune sandboxes early"},
	{Name: "docker", Type: TypeString, Default: "docker", HasDefault: true, Effect: Acted, Help: "path to the docker CLI"},
	{Name: "docker_config", Type: TypeJSONObject, Effect: Acted, Help: "JSON docker config (registry credentials)"},
	{Name: "docker_ignore_runtime", Type: TypeBool, Default: "false", HasDefault: true, Effect: Warned, Needs: "image provisioning", Help: "ignore the runtime config of docker images"},
	{Name: "docker_kill_orphans", Type: TypeBool, Default: "true", HasDefault: true, Effect: Acted, Help: "kill orphaned mesos-* docker containers"},
	{Name: "docker_mesos_image", Type: TypeString, Effect: Warned, Needs: "executors in Docker containers of that image (agentd forks them on the host)", Help: "docker image the agent runs in"},
	{Name: "docker_registry", Type: TypeString, Default: "https://registry-1.docker.io", HasDefault: true, Effect: Warned, Needs: "image provisioning", Help: "default docker registry"},
	{Name: "docker_remove_delay", Type: TypeDuration, Default: "6hrs", HasDefault: true, Effect: Acted, Help: "delay before removing exited docker containers"},
	{Name: "docker_socket", Type: TypeString, Default: "/var/run/docker.sock", HasDefault: true, Effect: Acted, Help: "docker daemon socket"},
	{Name: "docker_stop_timeout", Type: TypeDuration, Default: "0ns", HasDefault: true, Effect: Acted, Help: "deprecated"},
	{Name: "docker_store_dir", Type: TypeString, Default: "/tmp/mesos/store/docker", HasDefault: true, Computed: true, Effect: Warned, Needs: "image provisioning", Help: "docker image store"},
	{Name: "docker_volume_checkpoint_dir", Type: TypeString, Default: "/var/run/mesos/isolators/docker/volume", HasDefault: true, Effect: Warned, Needs: "the Mesos containerizer's docker/volume isolator", Help: "checkpoint directory of the docker/volume isolator"},
	{Name: "docker_volume_chown", Type: TypeBool, Default: "false", HasDefault: true, Effect: Warned, Needs: "the Mesos containerizer's docker/volume isolator", Help: "chown docker volumes to the task user"},
	{Name: "domain", Type: TypeProtoJSON, Effect: Acted, Help: "fault domain JSON"},
	{Name: "domain_socket_location", Type: TypeString, Build: BuildNonWindows, Effect: Warned, Needs: "SSL and HTTP executors", Help: "domain socket of HTTP executors"},
	{Name: "effective_capabilities", Type: TypeProtoJSON, Alias: "allowed_capabilities", Build: BuildLinux, Effect: Warned, Needs: "Linux capability isolation", Help: "capabilities of tasks"},
	{Name: "egress_flow_classifier_parent", Type: TypeString, Default: "root", HasDefault: true, Build: BuildPortMapping, Effect: Warned, Needs: "the port_mapping isolator", Help: "parent qdisc of egress flow classifiers (port_mapping)"},
	{Name: "egress_rate_limit_per_container", Type: TypeBytes, Build: BuildPortMapping, Effect: Warned, Needs: "the port_mapping isolator", Help: "egress rate limit per container, e.g. 10MB (port_mapping)"},
	{Name: "egress_unique_flow_per_container", Type: TypeBool, Default: "false", HasDefault: true, Build: BuildPortMapping, Effect: Warned, Needs: "the port_mapping isolator", Help: "unique egress flow per container (port_mapping)"},
	{Name: "enforce_container_disk_quota", Type: TypeBool, Default: "false", HasDefault: true, Effect: Warned, Needs: "disk quotas", Help: "enforce disk quota (disk/du)"},
	{Name: "enforce_container_ports", Type: TypeBool, Default: "false", HasDefault: true, Build: BuildNetworkPorts, Effect: Acted, Help: "enforce ports (network/ports)"},
	{Name: "ephemeral_ports_per_container", Type: TypeUint16, Default: "1024", HasDefault: true, Build: BuildPortMapping, Effect: Warned, Needs: "the port_mapping isolator", Help: "ephemeral ports per container (port_mapping)"},
	{Name: "eth0_name", Type: TypeString, Build: BuildPortMapping, Effect: Warned, Needs: "the port_mapping isolator", Help: "public interface (port_mapping)"},
	{Name: "executor_environment_variables", Type: TypeJSONObject, Effect: Acted, Help: "JSON object of environment variables for executors"},
	{Name: "executor_registration_timeout", Type: TypeDuration, Default: "1mins", HasDefault: true, Effect: Acted, Help: "time an executor has to register"},
	{Name: "executor_reregistration_retry_interval", Type: TypeDuration, Effect: Warned, Needs: "SSL and HTTP executors", Help: "retry interval of reregistration (PID executors)"},
	{Name: "executor_reregistration_timeout", Type: TypeDuration, Default: "2secs", HasDefault: true, Effect: Acted, Help: "time executors have to reregister after an agent restart"},
	{Name: "executor_shutdown_grace_period", Type: TypeDuration, Default: "5secs", HasDefault: true, Effect: Acted, Help: "grace period before an executor is killed"},
	{Name: "external_log_file", Type: TypeString, Effect: Acted, Help: "log file shown instead of log_dir"},
	{Name: "fetcher_cache_dir", Type: TypeString, Default: "/tmp/mesos/fetch", HasDefault: true, Computed: true, Effect: Warned, Needs: "the URI fetcher", Help: "fetcher cache directory"},
	{Name: "fetcher_cache_size", Type: TypeBytes, Default: "2GB", HasDefault: true, Effect: Warned, Needs: "the URI fetcher", Help: "fetcher cache size"},
	{Name: "fetcher_stall_timeout", Type: TypeDuration, Default: "1mins", HasDefault: true, Effect: Warned, Needs: "the URI fetcher", Help: "fetcher stall timeout"},
	{Name: "firewall_rules", Type: TypeProtoText, Effect: Warned, Needs: "endpoint firewall rules", Help: "JSON firewall rules for endpoints"},
	{Name: "frameworks_home", Type: TypeString, Default: "", HasDefault: true, Effect: Warned, Needs: "the URI fetcher", Help: "directory prepended to relative executor paths"},
	{Name: "gc_delay", Type: TypeDuration, Default: "1weeks", HasDefault: true, Effect: Acted, Help: "maximum age of sandboxes before GC"},
	{Name: "gc_disk_headroom", Type: TypeDouble, Default: "0.1", HasDefault: true, Effect: Acted, Help: "disk headroom: ended sandboxes older than gc_delay * max(0, 1 - headroom - disk usage) are removed at each disk check (0.0 to 1.0)"},
	{Name: "gc_non_executor_container_sandboxes", Type: TypeBool, Default: "false", HasDefault: true, Effect: Warned, Needs: "nested containers", Help: "GC nested container sandboxes"},
	{Name: "hadoop_home", Type: TypeString, Effect: Warned, Needs: "the URI fetcher", Help: "hadoop home"},
	{Name: "help", Type: TypeBool, Default: "false", HasDefault: true, Effect: Acted, Help: "print this help and exit"},
	{Name: "hooks", Type: TypeString, Effect: Warned, Needs: "Mesos modules", Help: "hooks modules"},
	{Name: "host_path_volume_force_creation", Type: TypeString, Build: BuildLinux, Effect: Warned, Needs: "volume isolators", Help: "colon-separated host paths created for host_path volumes"},
	{Name: "hostname", Type: TypeString, Effect: Acted, Help: "hostname advertised (default: reverse lookup of the bound IP)"},
	{Name: "hostname_lookup", Type: TypeBool, Default: "true", HasDefault: true, Effect: Acted, Help: "look the hostname up via DNS"},
	{Name: "http_authenticators", Type: TypeString, Effect: Acted, Help: "HTTP authenticators (basic)"},
	{Name: "http_command_executor", Type: TypeBool, Default: "false", HasDefault: true, Effect: Acted, Help: "command executor uses the HTTP executor API"},
	{Name: "http_credentials", Type: TypePath, Effect: Acted, Help: "JSON credentials file (or file:// URL, or inline JSON, which /flags and the log redact) for HTTP basic authentication"},
	{Name: "http_executor_domain_sockets", Type: TypeBool, Default: "false", HasDefault: true, Build: BuildNonWindows, Effect: Warned, Needs: "SSL and HTTP executors", Help: "HTTP executors talk to the agent over a domain socket"},
	{Name: "http_heartbeat_interval", Type: TypeDuration, Default: "30secs", HasDefault: true, Effect: Warned, Needs: "SSL and HTTP executors", Help: "heartbeat interval of streaming calls"},
	{Name: "image_gc_config", Type: TypeProtoText, Effect: Warned, Needs: "image provisioning", Help: "JSON image garbage collection config"},
	{Name: "image_providers", Type: TypeString, Effect: Warned, Needs: "image provisioning", Help: "image providers: docker, appc"},
	{Name: "image_provisioner_backend", Type: TypeString, Effect: Warned, Needs: "image provisioning", Help: "image provisioner backend"},
	{Name: "initialize_driver_logging", Type: TypeBool, Default: "true", HasDefault: true, Effect: Warned, Needs: "glog buffering and driver logging", Help: "initialize logging of scheduler/executor drivers"},
	{Name: "ip", Type: TypeString, Effect: Acted, Help: "IP address to listen on (default: all interfaces)"},
	{Name: "ip6", Type: TypeString, Effect: Acted, Help: "IPv6 address of the agent, reported in network_infos of status updates"},
	{Name: "ip6_discovery_command", Type: TypeString, Effect: Acted, Help: "command printing the agent IPv6 address"},
	{Name: "ip_discovery_command", Type: TypeString, Effect: Acted, Help: "command printing the IP to listen on"},
	{Name: "isolation", Type: TypeString, Default: "posix/cpu,posix/mem", HasDefault: true, Effect: Acted, Help: "comma-separated list of isolators"},
	{Name: "jwt_secret_key", Type: TypePath, Alias: "executor_secret_key", Build: BuildSSL, Effect: Warned, Needs: "SSL and HTTP executors", Help: "secret key file for executor JWTs (SSL builds)"},
	{Name: "launcher", Type: TypeString, Default: "linux", HasDefault: true, Computed: true, Effect: Warned, Needs: "Mesos' launcher binaries (agentd launches through itself)", Help: "launcher: linux or posix (default linux when root and the freezer cgroup exists)"},
	{Name: "launcher_dir", Type: TypeString, Default: "/usr/libexec/mesos", HasDefault: true, Computed: true, Effect: Warned, Needs: "Mesos' launcher binaries (agentd launches through itself)", Help: "directory of the Mesos helper binaries"},
	{Name: "lo_name", Type: TypeString, Build: BuildPortMapping, Effect: Warned, Needs: "the port_mapping isolator", Help: "loopback interface (port_mapping)"},
	{Name: "log_dir", Type: TypeString, Effect: Acted, Help: "directory for log files (default: stderr only)"},
	{Name: "logbufsecs", Type: TypeInt, Default: "0", HasDefault: true, Effect: Warned, Needs: "glog buffering and driver logging", Help: "seconds to buffer log output"},
	{Name: "logging_level", Type: TypeString, Default: "INFO", HasDefault: true, Effect: Acted, Help: "INFO, WARNING or ERROR"},
	{Name: "master", Type: TypeSecurePathOrValue, Effect: Acted, Help: "master: host:port, zk://host1:port1,host2:port2,.../path, or file:///path (a zk:// password and the file's content are not shown)"},
	{Name: "master_detector", Type: TypeString, Effect: Warned, Needs: "Mesos modules", Help: "master detector module"},
	{Name: "max_completed_executors_per_framework", Type: TypeSize, Default: "150", HasDefault: true, Effect: Acted, Help: "completed executors kept per framework"},
	{Name: "memory_profiling", Type: TypeBool, Default: "false", HasDefault: true, Effect: Warned, Needs: "memory profiling", Help: "memory profiling of the agent process"},
	{Name: "modules", Type: TypeProtoText, Effect: Warned, Needs: "Mesos modules", Help: "JSON modules"},
	{Name: "modules_dir", Type: TypeString, Effect: Warned, Needs: "Mesos modules", Help: "modules directory"},
	{Name: "network_cni_config_dir", Type: TypeString, Effect: Warned, Needs: "CNI networking", Help: "CNI network config directory"},
	{Name: "network_cni_metrics", Type: TypeBool, Default: "true", HasDefault: true, Effect: Warned, Needs: "CNI networking", Help: "collect CNI network metrics"},
	{Name: "network_cni_plugins_dir", Type: TypeString, Effect: Warned, Needs: "CNI networking", Help: "colon-separated CNI plugin directories"},
	{Name: "network_cni_root_dir_persist", Type: TypeBool, Default: "false", HasDefault: true, Effect: Warned, Needs: "CNI networking", Help: "keep the CNI root directory across reboots"},
	{Name: "network_enable_snmp_statistics", Type: TypeBool, Default: "false", HasDefault: true, Build: BuildPortMapping, Effect: Warned, Needs: "the port_mapping isolator", Help: "SNMP statistics (port_mapping)"},
	{Name: "network_enable_socket_statistics_details", Type: TypeBool, Default: "false", HasDefault: true, Build: BuildPortMapping, Effect: Warned, Needs: "the port_mapping isolator", Help: "socket statistics details (port_mapping)"},
	{Name: "network_enable_socket_statistics_summary", Type: TypeBool, Default: "false", HasDefault: true, Build: BuildPortMapping, Effect: Warned, Needs: "the port_mapping isolator", Help: "socket statistics summary (port_mapping)"},
	{Name: "nvidia_gpu_devices", Type: TypeUintList, Build: BuildLinux, Effect: Warned, Needs: "GPU isolation", Help: "GPU devices"},
	{Name: "oversubscribed_resources_interval", Type: TypeDuration, Default: "15secs", HasDefault: true, Effect: Warned, Needs: "oversubscription", Help: "oversubscription interval"},
	{Name: "perf_duration", Type: TypeDuration, Default: "10secs", HasDefault: true, Build: BuildLinux, Effect: Warned, Needs: "perf_event sampling", Help: "perf sampling duration"},
	{Name: "perf_events", Type: TypeString, Build: BuildLinux, Effect: Warned, Needs: "perf_event sampling", Help: "perf events to sample, e.g. cycles,task-clock"},
	{Name: "perf_interval", Type: TypeDuration, Default: "1mins", HasDefault: true, Build: BuildLinux, Effect: Warned, Needs: "perf_event sampling", Help: "perf sampling interval"},
	{Name: "port", Type: TypeUint16, Default: "5051", HasDefault: true, Effect: Acted, Help: "port to listen on"},
	{Name: "qos_controller", Type: TypeString, Effect: Warned, Needs: "oversubscription", Help: "QoS controller module (oversubscription)"},
	{Name: "qos_correction_interval_min", Type: TypeDuration, Default: "0ns", HasDefault: true, Effect: Warned, Needs: "oversubscription", Help: "minimum interval of QoS corrections"},
	{Name: "quiet", Type: TypeBool, Default: "false", HasDefault: true, Effect: Acted, Help: "disable logging to stderr"},
	{Name: "reconfiguration_policy", Type: TypeString, Default: "equal", HasDefault: true, Effect: Acted, Help: "equal or additive: which agent info changes a restart accepts"},
	{Name: "recover", Type: TypeString, Default: "reconnect", HasDefault: true, Effect: Acted, Help: "reconnect or cleanup"},
	{Name: "recovery_timeout", Type: TypeDuration, Default: "15mins", HasDefault: true, Effect: Acted, Help: "time executors wait for the agent to come back"},
	{Name: "registration_backoff_factor", Type: TypeDuration, Default: "1secs", HasDefault: true, Effect: Warned, Needs: "a Mesos master", Help: "registration backoff factor"},
	{Name: "resource_estimator", Type: TypeString, Effect: Warned, Needs: "oversubscription", Help: "resource estimator module (oversubscription)"},
	{Name: "resource_provider_config_dir", Type: TypeString, Effect: Warned, Needs: "resource providers (CSI)", Help: "directory of resource provider configs (JSON ResourceProviderInfo files)"},
	{Name: "resources", Type: TypeString, Effect: Acted, Help: "resources of this agent, e.g. 'cpus:8;mem:16384;ports:[31000-32000]' (JSON or file:// too)"},
	{Name: "revocable_cpu_low_priority", Type: TypeBool, Default: "true", HasDefault: true, Build: BuildLinux, Effect: Warned, Needs: "oversubscription", Help: "run revocable CPU tasks at a low priority"},
	{Name: "runtime_dir", Type: TypeString, Default: "/var/run/mesos", HasDefault: true, Computed: true, Effect: Acted, Help: "per-boot runtime directory"},
	{Name: "sandbox_directory", Type: TypeString, Default: "/mnt/mesos/sandbox", HasDefault: true, Effect: Acted, Help: "sandbox path inside containers"},
	{Name: "seccomp_config_dir", Type: TypeString, Build: BuildSeccomp, Effect: Warned, Needs: "seccomp", Help: "seccomp profile directory (linux/seccomp)"},
	{Name: "seccomp_profile_name", Type: TypeString, Build: BuildSeccomp, Effect: Warned, Needs: "seccomp", Help: "default seccomp profile (linux/seccomp)"},
	{Name: "secret_resolver", Type: TypeString, Effect: Warned, Needs: "Mesos modules", Help: "secret resolver module"},
	{Name: "strict", Type: TypeBool, Default: "true", HasDefault: true, Effect: Acted, Help: "treat any recovery error as fatal"},
	{Name: "switch_user", Type: TypeBool, Default: "true", HasDefault: true, Build: BuildNonWindows, Effect: Acted, Help: "run tasks as the framework's user"},
	{Name: "systemd_enable_support", Type: TypeBool, Default: "true", HasDefault: true, Build: BuildLinux, Effect: Warned, Needs: "systemd slices for executors", Help: "move executors into mesos_executors.slice"},
	{Name: "systemd_runtime_directory", Type: TypeString, Default: "/run/systemd/system", HasDefault: true, Build: BuildLinux, Effect: Warned, Needs: "systemd slices for executors", Help: "systemd runtime directory"},
	{Name: "version", Type: TypeBool, Default: "false", HasDefault: true, Effect: Acted, Help: "print the version and exit"},
	{Name: "volume_gid_range", Type: TypeString, Build: BuildNonWindows, Effect: Warned, Needs: "volume isolators", Help: "gid range for volume ownership, e.g. [10000-20000]"},
	{Name: "work_dir", Type: TypeString, Required: true, Effect: Acted, Help: "directory for sandboxes and the checkpoint (meta/); required"},
	{Name: "xfs_kill_containers", Type: TypeBool, Default: "false", HasDefault: true, Build: BuildXFS, Effect: Warned, Needs: "disk quotas", Help: "kill containers over their XFS quota (disk/xfs)"},
	{Name: "xfs_project_range", Type: TypeString, Default: "[5000-10000]", HasDefault: true, Build: BuildXFS, Effect: Warned, Needs: "disk quotas", Help: "XFS project ID range (disk/xfs)"},
	{Name: "zk_session_timeout", Type: TypeDuration, Default: "10secs", HasDefault: true, Effect: Acted, Help: "ZooKeeper session timeout"},
}
