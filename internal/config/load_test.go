package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// isolate clears every MESOSCTL_* variable and points XDG_CONFIG_HOME at
// an empty directory, then sets kv (name, value, …); Load reads the
// process environment.
func isolate(t *testing.T, kv ...string) {
	t.Helper()
	for _, e := range os.Environ() {
		if k, _, _ := strings.Cut(e, "="); strings.HasPrefix(k, "MESOSCTL_") {
			t.Setenv(k, "")
		}
	}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	for i := 0; i+1 < len(kv); i += 2 {
		t.Setenv(kv[i], kv[i+1])
	}
}

const sample = `# inventory
defaults:
  fanout: 16
  connect_timeout: 3s
  zookeeper: zk://127.0.0.1:2181/mesos
  ssh_user: ops
nodes:
  - name: lxb001
    address: 127.0.1.1
  - name: lxb002
    address: 127.0.1.2
    ssh_port: 2222
    agent_port: 5052
groups:
  rack1: ["lxb00[1-2]"]
  all-but-1: ["@rack1", "!lxb001"]
`

func TestLoadDefaultsWhenNoFile(t *testing.T) {
	isolate(t)
	cfg, err := Load(LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Path != "" || cfg.Defaults.Fanout != DefaultFanout || cfg.Defaults.ConnectTimeout != DefaultConnectTimeout ||
		cfg.Defaults.AgentPort != DefaultAgentPort || cfg.Defaults.RestartCommand != DefaultRestartCommand ||
		cfg.Defaults.AgentConfigDir != DefaultAgentConfigDir || cfg.Defaults.AgentWorkDir != DefaultAgentWorkDir {
		t.Fatalf("defaults not applied: %+v", cfg)
	}
}

func TestDefaultPath(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/x")
	if got := DefaultPath(); got != "/x/mesosctl/config.yaml" {
		t.Error(got)
	}
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("HOME", "/home/u")
	if got := DefaultPath(); got != "/home/u/.config/mesosctl/config.yaml" {
		t.Error(got)
	}
}

func TestLoadDefaultLocationAndEnvPath(t *testing.T) {
	dir := t.TempDir()
	isolate(t, "XDG_CONFIG_HOME", dir)
	os.MkdirAll(filepath.Join(dir, "mesosctl"), 0o755)
	os.WriteFile(filepath.Join(dir, "mesosctl", "config.yaml"), []byte(sample), 0o600)
	cfg, err := Load(LoadOptions{})
	if err != nil || cfg.Defaults.Fanout != 16 || len(cfg.Nodes) != 2 {
		t.Fatalf("%+v %v", cfg, err)
	}
	p := writeFile(t, "defaults: {fanout: 5}\n")
	t.Setenv("MESOSCTL_CONFIG", p)
	cfg, err = Load(LoadOptions{})
	if err != nil || cfg.Defaults.Fanout != 5 || cfg.Path != p {
		t.Fatalf("MESOSCTL_CONFIG: %+v %v", cfg, err)
	}
}

func TestLoadPrecedence(t *testing.T) {
	p := writeFile(t, sample)
	newFlags := func(args ...string) *pflag.FlagSet {
		fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
		fs.Int("fanout", 0, "")
		fs.Duration("connect-timeout", 0, "")
		fs.String("master", "", "")
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return fs
	}
	tests := []struct {
		name    string
		env     []string
		flags   *pflag.FlagSet
		fanout  int
		timeout time.Duration
		master  string
	}{
		{"file", nil, newFlags(), 16, 3 * time.Second, ""},
		{"env over file", []string{"MESOSCTL_FANOUT", "32", "MESOSCTL_CONNECT_TIMEOUT", "7s", "MESOSCTL_MASTER", "m:5050"}, newFlags(), 32, 7 * time.Second, "m:5050"},
		{"flag over env", []string{"MESOSCTL_FANOUT", "32", "MESOSCTL_MASTER", "m:5050"}, newFlags("--fanout=8", "--master=f:5050"), 8, 3 * time.Second, "f:5050"},
		{"flag over file", nil, newFlags("--connect-timeout=1m"), 16, time.Minute, ""},
		{"unset flag does not override", []string{"MESOSCTL_FANOUT", "32"}, newFlags("--master=x"), 32, 3 * time.Second, "x"},
		{"empty env is unset", []string{"MESOSCTL_FANOUT", "", "MESOSCTL_SSH_USER", ""}, newFlags(), 16, 3 * time.Second, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t, tt.env...)
			cfg, err := Load(LoadOptions{Path: p, Flags: tt.flags})
			if err != nil {
				t.Fatal(err)
			}
			d := cfg.Defaults
			if d.Fanout != tt.fanout || d.ConnectTimeout != tt.timeout || d.Master != tt.master {
				t.Errorf("got fanout=%d timeout=%s master=%q, want %d %s %q", d.Fanout, d.ConnectTimeout, d.Master, tt.fanout, tt.timeout, tt.master)
			}
			if d.ZooKeeper != "zk://127.0.0.1:2181/mesos" || d.SSHUser != "ops" || d.AgentPort != DefaultAgentPort {
				t.Errorf("other keys lost: %+v", d)
			}
		})
	}
	// built-in default < flag, without a file
	isolate(t)
	cfg, err := Load(LoadOptions{Flags: newFlags("--fanout=3")})
	if err != nil || cfg.Defaults.Fanout != 3 {
		t.Fatalf("%+v %v", cfg, err)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, file string
		env        []string
		want       string
	}{
		{"syntax", "defaults:\n  fanout: 3\n bad: [\n", nil, `line 2: YAML syntax error: did not find expected key`},
		{"unknown top key", "default:\n  fanout: 3\n", nil, `line 1: unknown key "default" at top level (known keys: defaults, nodes, groups)`},
		{"unknown defaults key", "defaults:\n  fanout: 3\n  fanoutt: 4\n", nil, `line 3: unknown key "fanoutt" in defaults`},
		{"unknown node key", "nodes:\n  - name: a\n    adress: x\n", nil, `line 3: unknown key "adress" in a node`},
		{"bad type", "defaults:\n  fanout: many\n", nil, "line 2: cannot unmarshal"},
		{"bad duration", "defaults:\n  connect_timeout: soon\n", nil, "line 2:"},
		{"node without name", "nodes:\n  - address: x\n  - {}\n", nil, "line 2: node #1 has no name"},
		{"duplicate node", "nodes:\n  - name: a\n  - name: b\n  - name: a\n", nil, `line 4: node "a" is listed twice (entries #1 and #3)`},
		{"bad node name", "nodes:\n  - name: 'a b'\n", nil, `node name "a b"`},
		{"group unknown ref", "nodes: [{name: a}]\ngroups:\n  g1: ['@nope']\n", nil, `group "g1": unknown group "nope" (known groups: all, g1)`},
		{"group bad set", "groups:\n  g1: ['a[1-']\n", nil, `group "g1": group "g1": bad node set "a[1-": unterminated '['`},
		{"group cycle", "groups:\n  a: ['@b']\n  b: ['@a']\n", nil, `nests too deeply`},
		{"negative fanout", "defaults: {fanout: -1}\n", nil, "fanout must be at least 1"},
		{"reserved group", "groups:\n  failed: [a]\n", nil, `group name "failed" is reserved`},
		{"negative ssh_persist", "defaults: {ssh_persist: -1s}\n", nil, "ssh_persist must not be negative"},
		{"bad env ssh_persist", "", []string{"MESOSCTL_SSH_PERSIST", "long"}, `MESOSCTL_SSH_PERSIST="long": not a duration`},
		{"bad env", "", []string{"MESOSCTL_FANOUT", "lots"}, `MESOSCTL_FANOUT="lots": not an integer`},
		{"bad env duration", "", []string{"MESOSCTL_CONNECT_TIMEOUT", "5"}, `MESOSCTL_CONNECT_TIMEOUT="5": not a duration (use e.g. 10s, 2m)`},
		// A value written in the file is honoured, zero or empty included.
		{"zero fanout", "defaults:\n  fanout: 0\n", nil, "fanout must be at least 1, got 0"},
		{"zero connect_timeout", "defaults:\n  connect_timeout: 0s\n", nil, "connect_timeout must be positive, got 0s"},
		{"zero agent_port", "defaults:\n  agent_port: 0\n", nil, "agent_port must be 1-65535, got 0"},
		{"empty restart_command", "defaults:\n  restart_command: ''\n", nil, "restart_command must not be empty"},
		{"empty agent_config_dir", "defaults:\n  agent_config_dir: ''\n", nil, "agent_config_dir must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t, tt.env...)
			p := writeFile(t, tt.file)
			_, err := Load(LoadOptions{Path: p})
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("want *Error, got %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			if tt.env == nil && !strings.Contains(err.Error(), p) {
				t.Errorf("error does not name the file: %q", err)
			}
		})
	}
	isolate(t)
	_, err := Load(LoadOptions{Path: filepath.Join(t.TempDir(), "nope.yaml")})
	if err == nil || !strings.Contains(err.Error(), "nope.yaml: file does not exist") {
		t.Errorf("missing explicit file: %v", err)
	}
	t.Setenv("MESOSCTL_CONFIG", "/nonexistent/c.yaml")
	_, err = Load(LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing MESOSCTL_CONFIG file: %v", err)
	}
}

func TestGroupResolver(t *testing.T) {
	isolate(t)
	cfg, err := Load(LoadOptions{Path: writeFile(t, sample)})
	if err != nil {
		t.Fatal(err)
	}
	r := GroupResolver(cfg)
	if m, err := r("all"); err != nil || strings.Join(m, ",") != "lxb001,lxb002" {
		t.Errorf("all: %v %v", m, err)
	}
	if _, err := r("nope"); err == nil || err.Error() != `unknown group "nope" (known groups: all, all-but-1, rack1)` {
		t.Errorf("unknown: %v", err)
	}
}

// TestLoadWrittenZeroIsAValue: a zero written in the file is the file's
// value (see TestLoadErrors for zeros that are then refused); layers above
// the file still win over it.
func TestLoadWrittenZeroIsAValue(t *testing.T) {
	p := writeFile(t, "defaults:\n  fanout: 0\n  command_timeout: 0s\n  ssh_port: 0\n")
	isolate(t, "MESOSCTL_FANOUT", "8")
	cfg, err := Load(LoadOptions{Path: p})
	if err != nil || cfg.Defaults.Fanout != 8 || cfg.Defaults.CommandTimeout != 0 || cfg.Defaults.SSHPort != 0 {
		t.Fatalf("env over a written 0: %+v %v", cfg, err)
	}
	isolate(t)
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	fs.Int("fanout", 0, "")
	if err := fs.Parse([]string{"--fanout", "4"}); err != nil {
		t.Fatal(err)
	}
	if cfg, err = Load(LoadOptions{Path: p, Flags: fs}); err != nil || cfg.Defaults.Fanout != 4 {
		t.Fatalf("flag over a written 0: %+v %v", cfg, err)
	}
}

// TestLoadKeepsGroupNamesAsWritten: group names are case-sensitive (the
// file is decoded by yaml.v3, not through viper, which lowercases keys).
func TestLoadKeepsGroupNamesAsWritten(t *testing.T) {
	isolate(t)
	cfg, err := Load(LoadOptions{Path: writeFile(t, "nodes: [{name: a}, {name: b}]\ngroups:\n  Rack1: [a]\n  rack1: [b]\n")})
	if err != nil {
		t.Fatal(err)
	}
	r := GroupResolver(cfg)
	if m, err := r("Rack1"); err != nil || strings.Join(m, ",") != "a" {
		t.Errorf("Rack1: %v %v", m, err)
	}
	if m, err := r("rack1"); err != nil || strings.Join(m, ",") != "b" {
		t.Errorf("rack1: %v %v", m, err)
	}
}
