package agentd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/agentd/flags"
	"github.com/mesosctl/mesosctl/internal/mesos"
	"github.com/mesosctl/mesosctl/internal/zk"
)

// Config is the validated agent configuration built from the flags.
type Config struct {
	Flags *flags.Values

	WorkDir    string
	RuntimeDir string
	LogDir     string
	IP         string
	Port       int
	// IP6 is --ip6 (or what --ip6_discovery_command printed): the agent's
	// IPv6 address in the network_infos of status updates.
	IP6 string
	// AdvertiseIP and AdvertisePort (0: none) are what the agent tells
	// others to reach it at (/state pid, GET_AGENT port, the ZooKeeper
	// registration, MESOS_SLAVE_PID), as --advertise_ip/--advertise_port.
	AdvertiseIP           string
	AdvertisePort         int
	Hostname              string // "" = derive at start
	HostnameLookup        bool
	Master                string
	DefaultRole           string
	Resources             mesos.Resources // as configured, before auto-detection
	Attributes            mesos.Attributes
	ReconfigurationPolicy string
	Domain                string
	Credentials           map[string]string
	AuthReadonly          bool
	AuthReadwrite         bool
	// ExecutorEnvironment is --executor_environment_variables (nil when
	// unset).
	ExecutorEnvironment map[string]string
	// Containerizers is --containerizers (mesos, docker).
	Containerizers []string
	// DockerConfig is --docker_config: a docker config.json (or
	// .dockercfg) object, compact; nil when unset.
	DockerConfig json.RawMessage

	// Logger receives the agent's log (default: discard).
	Logger *slog.Logger
	// Log, when set, is the log Logger writes to: its file is /slave/log
	// and its level follows SET_LOGGING_LEVEL.
	Log *Log
	// Isolation is --isolation, normalised: the isolators agentd enforces
	// and IgnoredIsolators, Mesos' names it accepts without effect.
	Isolation, IgnoredIsolators []string
	// Executable is the mesosctl binary containers are launched with
	// (default: this process's executable).
	Executable string
	// NewRuntime, when set, builds the task runtime instead of the real
	// one (tests that inject a runtime of their own).
	NewRuntime RuntimeFactory
	// Ready, if set, is called with the bound HTTP address once the agent
	// has recovered and serves everything.
	Ready func(addr string)
}

// NewConfig validates loaded flags. Any bad value (malformed resources or
// attributes, unknown policy, unreadable credentials) is an error naming the
// flag: the agent never starts half-configured.
func NewConfig(v *flags.Values) (*Config, error) {
	c := &Config{
		Flags:                 v,
		WorkDir:               v.String("work_dir"),
		RuntimeDir:            v.String("runtime_dir"),
		LogDir:                v.String("log_dir"),
		IP:                    v.String("ip"),
		Port:                  v.Int("port"),
		Hostname:              v.String("hostname"),
		HostnameLookup:        v.Bool("hostname_lookup"),
		Master:                v.String("master"),
		DefaultRole:           v.String("default_role"),
		ReconfigurationPolicy: v.String("reconfiguration_policy"),
		Domain:                v.String("domain"),
		AuthReadonly:          v.Bool("authenticate_http_readonly"),
		AuthReadwrite:         v.Bool("authenticate_http_readwrite"),
	}
	if c.RuntimeDir == "" {
		// Mesos' default: /var/run/mesos for root, a temp dir otherwise.
		c.RuntimeDir = "/var/run/mesos"
		if os.Geteuid() != 0 {
			c.RuntimeDir = filepath.Join(os.TempDir(), "mesos", "runtime")
		}
	}
	if err := c.addresses(v); err != nil {
		return nil, err
	}
	if a, ok := v.Get("http_authenticators"); ok && a != "basic" {
		return nil, fmt.Errorf("Failed to load flag 'http_authenticators': agentd has the 'basic' HTTP authenticator only (authenticator modules need Mesos modules), got '%s'", a)
	}
	if c.Port < 0 || c.Port > 65535 {
		return nil, fmt.Errorf("Failed to load flag 'port': Failed to load value '%d': not a TCP port (0-65535)", c.Port)
	}
	if err := mesos.ValidateRole(c.DefaultRole); err != nil {
		return nil, fmt.Errorf("Failed to load flag 'default_role': %v", err)
	}
	if s, ok := v.Get("resources"); ok {
		r, err := mesos.ParseResources(s, c.DefaultRole)
		if err != nil {
			return nil, fmt.Errorf("Failed to load flag 'resources': %v", err)
		}
		c.Resources = r
	}
	if s, ok := v.Get("attributes"); ok && s != "" {
		a, err := mesos.ParseAttributes(s)
		if err != nil {
			return nil, fmt.Errorf("Failed to load flag 'attributes': %v", err)
		}
		c.Attributes = a
	}
	switch c.ReconfigurationPolicy {
	case mesos.PolicyEqual, mesos.PolicyAdditive:
	default:
		return nil, fmt.Errorf("Failed to load flag 'reconfiguration_policy': unknown policy '%s' (use 'equal' or 'additive')", c.ReconfigurationPolicy)
	}
	switch r := v.String("recover"); r {
	case "reconnect", "cleanup":
	default:
		return nil, fmt.Errorf("Failed to load flag 'recover': unknown value '%s' (use 'reconnect' or 'cleanup')", r)
	}
	seen := map[string]bool{}
	for _, name := range strings.Split(v.String("containerizers"), ",") {
		if name != "mesos" && name != "docker" {
			return nil, fmt.Errorf("Failed to load flag 'containerizers': unknown containerizer '%s' (use 'mesos' and/or 'docker')", name)
		}
		if seen[name] {
			return nil, fmt.Errorf("Failed to create a containerizer: Duplicate entries found in --containerizer flag '%s'", v.String("containerizers"))
		}
		seen[name] = true
		c.Containerizers = append(c.Containerizers, name)
	}
	if s, ok := v.Get("docker_config"); ok && s != "" {
		cfg, err := parseDockerConfig(s)
		if err != nil {
			return nil, fmt.Errorf("Failed to load flag 'docker_config': %v", err)
		}
		c.DockerConfig = cfg
	}
	if s, ok := v.Get("http_credentials"); ok && s != "" {
		creds, err := LoadCredentials(s)
		if err != nil {
			return nil, fmt.Errorf("Failed to load flag 'http_credentials': %v", err)
		}
		c.Credentials = creds
	}
	if s, ok := v.Get("executor_environment_variables"); ok && s != "" {
		env, err := parseExecutorEnvironment(s)
		if err != nil {
			return nil, fmt.Errorf("Failed to load flag 'executor_environment_variables': %v", err)
		}
		c.ExecutorEnvironment = env
	}
	if n := v.Int(flags.WarmLaunchers); n < 0 {
		return nil, fmt.Errorf("Failed to load flag '%s': %d is negative (0 starts every launcher at its launch)", flags.WarmLaunchers, n)
	}
	if (c.AuthReadonly || c.AuthReadwrite) && len(c.Credentials) == 0 {
		return nil, fmt.Errorf("--authenticate_http_readonly/--authenticate_http_readwrite need credentials: set --http_credentials to a JSON file like {\"credentials\":[{\"principal\":\"p\",\"secret\":\"s\"}]}")
	}
	if m := c.Master; m != "" && strings.HasPrefix(m, "zk://") {
		if _, err := zk.ParseURL(m); err != nil {
			// The parser quotes the URL: never its password.
			msg := strings.ReplaceAll(err.Error(), m, api.RedactURL(m))
			return nil, fmt.Errorf("Failed to load flag 'master': %s", msg)
		}
	}
	var err error
	if c.Isolation, c.IgnoredIsolators, err = checkIsolation(v.String("isolation")); err != nil {
		return nil, err
	}
	return c, nil
}

// addresses reads --ip/--ip_discovery_command, --ip6/--ip6_discovery_command
// and --advertise_ip/--advertise_port as Mesos' main.cpp does: a discovery
// command runs through the shell and its trimmed output is the address.
func (c *Config) addresses(v *flags.Values) error {
	discover := func(flag string) (string, error) {
		cmd, ok := v.Get(flag)
		if !ok {
			return "", nil
		}
		out, err := exec.Command("sh", "-c", cmd).Output()
		if err != nil {
			return "", fmt.Errorf("Failed to execute %s: %v", flag, err)
		}
		return strings.TrimSpace(string(out)), nil
	}
	ip, err := discover("ip_discovery_command")
	if err != nil {
		return err
	}
	if ip != "" {
		c.IP = ip
	}
	if c.IP != "" {
		if p := net.ParseIP(c.IP); p == nil || p.To4() == nil {
			return fmt.Errorf("Failed to load flag 'ip': '%s' is not an IPv4 address", c.IP)
		}
	}
	c.IP6 = v.String("ip6")
	if ip6, err := discover("ip6_discovery_command"); err != nil {
		return err
	} else if ip6 != "" {
		c.IP6 = ip6
	}
	if c.IP6 != "" {
		if p := net.ParseIP(c.IP6); p == nil || p.To4() != nil {
			return fmt.Errorf("Failed to load flag 'ip6': '%s' is not an IPv6 address", c.IP6)
		}
	}
	if a, ok := v.Get("advertise_ip"); ok {
		if net.ParseIP(a) == nil {
			return fmt.Errorf("Failed to load flag 'advertise_ip': '%s' is not an IP address", a)
		}
		c.AdvertiseIP = a
	}
	if p, ok := v.Get("advertise_port"); ok {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("Failed to load flag 'advertise_port': '%s' is not a port (1-65535)", p)
		}
		c.AdvertisePort = n
	}
	return nil
}

// LoadCredentials reads Mesos' credentials JSON
// ({"credentials":[{"principal":"p","secret":"s"}]}) from a path, a
// file:// URL, or inline JSON.
func LoadCredentials(s string) (map[string]string, error) {
	data := []byte(s)
	if !strings.HasPrefix(strings.TrimSpace(s), "{") {
		path := strings.TrimPrefix(s, "file://")
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("cannot read '%s': %v", path, err)
		}
		data = b
	}
	var doc struct {
		Credentials []struct {
			Principal string `json:"principal"`
			Secret    string `json:"secret"`
		} `json:"credentials"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not valid credentials JSON (expected {\"credentials\":[{\"principal\":…,\"secret\":…}]}): %v", err)
	}
	out := map[string]string{}
	for i, c := range doc.Credentials {
		if c.Principal == "" {
			return nil, fmt.Errorf("credential %d has no principal", i)
		}
		out[c.Principal] = c.Secret
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no credentials found")
	}
	return out, nil
}

// parseDockerConfig reads --docker_config: a JSON object, or (as Mesos'
// JSON flags take it) the absolute path of a file holding one (file://
// values are read by the flag loader). It is returned compact.
func parseDockerConfig(s string) (json.RawMessage, error) {
	data := []byte(s)
	if filepath.IsAbs(strings.TrimSpace(s)) {
		b, err := os.ReadFile(strings.TrimSpace(s))
		if err != nil {
			return nil, err
		}
		data = b
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("expected a JSON object (a docker config.json, e.g. {\"auths\":{…}}) or the absolute path of a file holding one")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, data); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// parseExecutorEnvironment reads --executor_environment_variables: a JSON
// object whose values must all be strings (as Mesos checks).
func parseExecutorEnvironment(s string) (map[string]string, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil || raw == nil {
		return nil, fmt.Errorf("expected a JSON object like {\"PATH\":\"/bin:/usr/bin\"}")
	}
	env := make(map[string]string, len(raw))
	for k, v := range raw {
		var str string
		if err := json.Unmarshal(v, &str); err != nil {
			return nil, fmt.Errorf("`executor_environment_variables` must only contain string values (%s is not)", k)
		}
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return nil, fmt.Errorf("%q is not an environment variable name", k)
		}
		env[k] = str
	}
	return env, nil
}
