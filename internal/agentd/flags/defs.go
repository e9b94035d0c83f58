// Package flags defines the agent's flags with their Mesos names, defaults
// and types, and loads them the way a Mesos agent started by
// mesos-init-wrapper sees them: command line (--name=value, --name value,
// --name / --no-name for booleans), a flag-file directory (--config_dir,
// default /etc/mesos-slave), MESOS_* environment variables, and defaults,
// in that order of precedence. Values may be file:///path references.
package flags

// Kind is the type of a flag's value.
type Kind int

// Flag kinds.
const (
	String Kind = iota
	Bool
	Int
	Float
	Duration // Mesos syntax: 5secs, 1mins, 15mins, 1weeks
	Bytes    // Mesos syntax: 2GB
	Path     // like String, but file:// is not expanded
)

// Def describes one flag.
type Def struct {
	Name    string
	Kind    Kind
	Default string // "" = no default (flag has no value unless given)
	// HasDefault distinguishes an empty default ("") from none.
	HasDefault bool
	Alias      string // deprecated alias name
	Help       string
}

func d(name string, k Kind, def, help string) Def {
	return Def{Name: name, Kind: k, Default: def, HasDefault: def != "", Help: help}
}

func nodef(name string, k Kind, help string) Def { return Def{Name: name, Kind: k, Help: help} }

// ConfigDirDefault is the default flag-file directory.
const ConfigDirDefault = "/etc/mesos-slave"

// Defs is every flag the agent accepts, sorted by name.
var Defs = sortDefs([]Def{
	nodef("acls", String, "JSON ACLs (accepted, not enforced)"),
	nodef("advertise_ip", String, "IP address advertised to reach this agent"),
	nodef("advertise_port", String, "port advertised to reach this agent"),
	{Name: "agent_subsystems", Kind: String, Alias: "slave_subsystems", Help: "cgroups subsystems the agent itself is placed in"},
	nodef("attributes", String, "attributes of this agent, e.g. 'rack:2;os:centos7'"),
	d("authenticate_http_executors", Bool, "false", "require executor authentication"),
	d("authenticate_http_readonly", Bool, "false", "require HTTP basic auth for read-only endpoints (realm mesos-agent-readonly)"),
	d("authenticate_http_readwrite", Bool, "false", "require HTTP basic auth for read-write endpoints and /api/v1 (realm mesos-agent-readwrite)"),
	d("authenticatee", String, "crammd5", "authenticatee used with the master"),
	d("authorizer", String, "local", "authorizer"),
	d("cgroups_destroy_timeout", Duration, "1mins", "time to wait for a cgroup to be destroyed"),
	d("cgroups_enable_cfs", Bool, "false", "hard CPU limits via CFS bandwidth"),
	d("cgroups_hierarchy", Path, "/sys/fs/cgroup", "base of the cgroup hierarchies"),
	d("cgroups_limit_swap", Bool, "false", "limit swap together with memory"),
	d("cgroups_root", String, "mesos", "name of the root cgroup"),
	{Name: "config_dir", Kind: Path, Default: ConfigDirDefault, HasDefault: true, Help: "flag-file directory in mesos-init-wrapper convention (mesosctl extension)"},
	d("container_disk_watch_interval", Duration, "15secs", "disk usage check interval of disk/du"),
	d("containerizers", String, "mesos", "comma-separated list of containerizers: mesos, docker"),
	nodef("credential", Path, "JSON credential file (or file:// URL) to authenticate with the master (shown as given; inline JSON is redacted)"),
	d("default_role", String, "*", "role of resources given without one and of auto-detected resources"),
	d("disk_watch_interval", Duration, "1mins", "interval of disk usage checks for GC"),
	d("docker", String, "docker", "path to the docker CLI"),
	nodef("docker_config", String, "docker config.json object (or the absolute path of one) with registry credentials for image pulls"),
	d("docker_kill_orphans", Bool, "true", "kill orphaned mesos-* docker containers"),
	d("docker_registry", String, "https://registry-1.docker.io", "default docker registry"),
	d("docker_remove_delay", Duration, "6hrs", "delay before removing exited docker containers"),
	d("docker_socket", Path, "/var/run/docker.sock", "docker daemon socket"),
	d("docker_stop_timeout", Duration, "0ns", "deprecated"),
	d("docker_store_dir", Path, "/tmp/mesos/store/docker", "docker image store"),
	nodef("domain", String, "fault domain JSON"),
	d("enforce_container_disk_quota", Bool, "false", "enforce disk quota (disk/du)"),
	d("enforce_container_ports", Bool, "false", "enforce ports (network/ports)"),
	{Name: "effective_capabilities", Kind: String, Alias: "allowed_capabilities", Help: "capabilities of tasks"},
	nodef("executor_environment_variables", String, "JSON object of environment variables for executors"),
	d("executor_registration_timeout", Duration, "1mins", "time an executor has to register"),
	d("executor_reregistration_timeout", Duration, "2secs", "time executors have to reregister after an agent restart"),
	nodef("executor_reregistration_retry_interval", Duration, "retry interval of reregistration (PID executors)"),
	d("executor_shutdown_grace_period", Duration, "5secs", "grace period before an executor is killed"),
	nodef("external_log_file", Path, "log file shown instead of log_dir"),
	d("fetcher_cache_dir", Path, "/tmp/mesos/fetch", "fetcher cache directory"),
	d("fetcher_cache_size", Bytes, "2GB", "fetcher cache size"),
	d("fetcher_stall_timeout", Duration, "1mins", "fetcher stall timeout"),
	nodef("firewall_rules", String, "JSON firewall rules for endpoints"),
	{Name: "frameworks_home", Kind: Path, HasDefault: true, Help: "directory prepended to relative executor paths"},
	d("gc_delay", Duration, "1weeks", "maximum age of sandboxes before GC"),
	d("gc_disk_headroom", Float, "0.1", "disk headroom for GC age"),
	d("gc_non_executor_container_sandboxes", Bool, "false", "GC nested container sandboxes"),
	nodef("hadoop_home", Path, "hadoop home"),
	nodef("hooks", String, "hooks modules"),
	nodef("hostname", String, "hostname advertised (default: reverse lookup of the bound IP)"),
	d("hostname_lookup", Bool, "true", "look the hostname up via DNS"),
	nodef("http_authenticators", String, "HTTP authenticators (basic)"),
	d("http_command_executor", Bool, "false", "command executor uses the HTTP executor API"),
	nodef("http_credentials", Path, "JSON credentials file (or file:// URL, or inline JSON, which /flags and the log redact) for HTTP basic authentication"),
	d("http_heartbeat_interval", Duration, "30secs", "heartbeat interval of streaming calls"),
	nodef("image_providers", String, "image providers: docker, appc"),
	nodef("image_provisioner_backend", String, "image provisioner backend"),
	nodef("ip", String, "IP address to listen on (default: all interfaces)"),
	nodef("ip_discovery_command", String, "command printing the IP to listen on"),
	d("isolation", String, "posix/cpu,posix/mem", "comma-separated list of isolators"),
	nodef("launcher", String, "launcher: linux or posix (default: linux when root on Linux)"),
	d("launcher_dir", Path, "/usr/libexec/mesos", "directory of the Mesos helper binaries"),
	nodef("log_dir", Path, "directory for log files (default: stderr only)"),
	d("logbufsecs", Int, "0", "seconds to buffer log output"),
	d("logging_level", String, "INFO", "INFO, WARNING or ERROR"),
	nodef("master", String, "master: host:port, zk://host1:port1,host2:port2,.../path, or file:///path (a zk:// password and the file's content are not shown)"),
	nodef("master_detector", String, "master detector module"),
	d("max_completed_executors_per_framework", Int, "150", "completed executors kept per framework"),
	nodef("modules", String, "JSON modules"),
	nodef("modules_dir", Path, "modules directory"),
	nodef("nvidia_gpu_devices", String, "GPU devices"),
	d("oversubscribed_resources_interval", Duration, "15secs", "oversubscription interval"),
	d("perf_duration", Duration, "10secs", "perf sampling duration"),
	d("perf_interval", Duration, "60secs", "perf sampling interval"),
	d("port", Int, "5051", "port to listen on"),
	d("quiet", Bool, "false", "disable logging to stderr"),
	d("reconfiguration_policy", String, "equal", "equal or additive: which agent info changes a restart accepts"),
	d("recover", String, "reconnect", "reconnect or cleanup"),
	d("recovery_timeout", Duration, "15mins", "time executors wait for the agent to come back"),
	d("registration_backoff_factor", Duration, "1secs", "registration backoff factor"),
	nodef("resources", String, "resources of this agent, e.g. 'cpus:8;mem:16384;ports:[31000-32000]' (JSON or file:// too)"),
	nodef("runtime_dir", Path, "per-boot runtime directory (default /var/run/mesos)"),
	d("sandbox_directory", Path, "/mnt/mesos/sandbox", "sandbox path inside containers"),
	d("strict", Bool, "true", "treat any recovery error as fatal"),
	d("switch_user", Bool, "true", "run tasks as the framework's user"),
	d("systemd_enable_support", Bool, "true", "move executors into mesos_executors.slice"),
	d("systemd_runtime_directory", Path, "/run/systemd/system", "systemd runtime directory"),
	nodef("work_dir", Path, "directory for sandboxes and the checkpoint (meta/); required"),
	d("zk_session_timeout", Duration, "10secs", "ZooKeeper session timeout"),
	// Handled before loading; listed so that --help shows them.
	{Name: "help", Kind: Bool, Help: "print this help and exit"},
	{Name: "version", Kind: Bool, Help: "print the version and exit"},
})

func sortDefs(defs []Def) []Def {
	for i := 1; i < len(defs); i++ {
		for j := i; j > 0 && defs[j].Name < defs[j-1].Name; j-- {
			defs[j], defs[j-1] = defs[j-1], defs[j]
		}
	}
	return defs
}

var byName = func() map[string]*Def {
	m := map[string]*Def{}
	for i := range Defs {
		m[Defs[i].Name] = &Defs[i]
		if Defs[i].Alias != "" {
			m[Defs[i].Alias] = &Defs[i]
		}
	}
	return m
}()

// Lookup returns the definition of name (or of a deprecated alias).
func Lookup(name string) (*Def, bool) {
	def, ok := byName[name]
	return def, ok
}
