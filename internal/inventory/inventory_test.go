package inventory

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mesosctl/mesosctl/internal/config"
	"github.com/mesosctl/mesosctl/internal/nodeset"
)

const sshConfig = `
Host jump
  HostName 127.0.0.9
  User jumper

Host lxb002 sshonly
  HostName 127.0.1.2
  User sshuser
  Port 2202
  IdentityFile ~/.ssh/id_lxb
  ProxyJump jump

Host named
  HostName localhost

Host *
  IdentityFile /etc/ssh/id_all
`

func newInv(t *testing.T) *Inventory {
	t.Helper()
	dir := t.TempDir()
	sshPath := filepath.Join(dir, "ssh_config")
	os.WriteFile(sshPath, []byte(sshConfig), 0o600)
	cfgPath := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfgPath, []byte(`
defaults:
  ssh_user: ops
  ssh_config: `+sshPath+`
  agent_port: 5151
nodes:
  - name: lxb001
    address: 127.0.1.1
    ssh_port: 2201
    identity_file: /keys/lxb001
    agent_port: 5051
  - name: lxb002
  - name: lxb003
    address: 127.0.1.3
    ssh_user: admin
    restart_command: "systemctl restart mesos-agent"
    agent_config_dir: /etc/mesos-agent
    agent_work_dir: /srv/mesos
groups:
  rack1: ["lxb00[1-2]"]
  rack2: ["lxb003"]
`), 0o600)
	for _, kv := range os.Environ() { // the configuration reads MESOSCTL_* from the process
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "MESOSCTL_") {
			t.Setenv(k, "")
		}
	}
	cfg, err := config.Load(config.LoadOptions{Path: cfgPath})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	inv.CurrentUser = "me"
	return inv
}

func TestNode(t *testing.T) {
	inv := newInv(t)
	home, _ := os.UserHomeDir()
	jump := []Hop{{Name: "jump", Address: "127.0.0.9", SSHUser: "jumper", SSHPort: 22,
		IdentityFiles: []string{"/etc/ssh/id_all"}, KnownHosts: defaultKnownHosts(home)}}
	tests := []struct {
		name string
		want Node
	}{
		{"lxb001", Node{Name: "lxb001", Address: "127.0.1.1", SSHUser: "ops", SSHPort: 2201,
			IdentityFiles: []string{"/keys/lxb001", "/etc/ssh/id_all"}, AgentPort: 5051,
			RestartCommand: config.DefaultRestartCommand, AgentConfigDir: config.DefaultAgentConfigDir,
			AgentWorkDir: config.DefaultAgentWorkDir, InInventory: true}},
		{"lxb002", Node{Name: "lxb002", Address: "127.0.1.2", SSHUser: "sshuser", SSHPort: 2202,
			IdentityFiles: []string{filepath.Join(home, ".ssh/id_lxb"), "/etc/ssh/id_all"}, ProxyJump: "jump", Jumps: jump, AgentPort: 5151,
			RestartCommand: config.DefaultRestartCommand, AgentConfigDir: config.DefaultAgentConfigDir,
			AgentWorkDir: config.DefaultAgentWorkDir, InInventory: true}},
		{"lxb003", Node{Name: "lxb003", Address: "127.0.1.3", SSHUser: "admin", SSHPort: 22,
			IdentityFiles: []string{"/etc/ssh/id_all"}, AgentPort: 5151,
			RestartCommand: "systemctl restart mesos-agent", AgentConfigDir: "/etc/mesos-agent",
			AgentWorkDir: "/srv/mesos", InInventory: true}},
		{"sshonly", Node{Name: "sshonly", Address: "127.0.1.2", SSHUser: "sshuser", SSHPort: 2202,
			IdentityFiles: []string{filepath.Join(home, ".ssh/id_lxb"), "/etc/ssh/id_all"}, ProxyJump: "jump", Jumps: jump, AgentPort: 5151,
			RestartCommand: config.DefaultRestartCommand, AgentConfigDir: config.DefaultAgentConfigDir,
			AgentWorkDir: config.DefaultAgentWorkDir}},
		{"otherhost", Node{Name: "otherhost", Address: "otherhost", SSHUser: "ops", SSHPort: 22,
			IdentityFiles: []string{"/etc/ssh/id_all"}, AgentPort: 5151,
			RestartCommand: config.DefaultRestartCommand, AgentConfigDir: config.DefaultAgentConfigDir,
			AgentWorkDir: config.DefaultAgentWorkDir}},
	}
	for _, tt := range tests {
		got, err := inv.Node(tt.name)
		if err != nil {
			t.Fatal(err)
		}
		tt.want.KnownHosts = defaultKnownHosts(home)
		if !slices.Equal(got.IdentityFiles, tt.want.IdentityFiles) {
			t.Errorf("%s identity files = %q, want %q", tt.name, got.IdentityFiles, tt.want.IdentityFiles)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Node(%s) =\n %+v\nwant\n %+v", tt.name, got, tt.want)
		}
	}
	n, _ := inv.Node("lxb001")
	if n.AgentURL() != "http://127.0.1.1:5051" || n.SSHAddr() != "127.0.1.1:2201" {
		t.Errorf("urls: %s %s", n.AgentURL(), n.SSHAddr())
	}
	if _, err := inv.Node("bad name"); err == nil {
		t.Error("bad name accepted")
	}
}

func defaultKnownHosts(home string) KnownHosts {
	return KnownHosts{User: []string{filepath.Join(home, ".ssh/known_hosts"), filepath.Join(home, ".ssh/known_hosts2")},
		Global: []string{"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"}}
}

func TestGroupsAndNames(t *testing.T) {
	inv := newInv(t)
	if got := strings.Join(inv.Names(), ","); got != "lxb001,lxb002,lxb003" {
		t.Error(got)
	}
	if got := strings.Join(inv.Groups(), ","); got != "rack1,rack2" {
		t.Error(got)
	}
	if got, err := inv.Group("rack1"); err != nil || strings.Join(got, ",") != "lxb001,lxb002" {
		t.Error(got, err)
	}
	if got, err := inv.Group("all"); err != nil || len(got) != 3 {
		t.Error(got, err)
	}
	_, err := inv.Group("rack9")
	if err == nil || err.Error() != `unknown group "rack9" (known groups: all, rack1, rack2)` {
		t.Errorf("unknown group: %v", err)
	}
	if got := inv.GroupsOf("lxb002"); !slices.Equal(got, []string{"rack1"}) {
		t.Error(got)
	}
	names, err := nodeset.Expand("@rack1,!lxb001,lxb003", inv.GroupResolver())
	if err != nil || !slices.Equal(names, []string{"lxb002", "lxb003"}) {
		t.Errorf("Expand with the inventory's groups: %q %v", names, err)
	}
}

func TestIPAndName(t *testing.T) {
	inv := newInv(t)
	ctx := context.Background()
	for name, want := range map[string]string{
		"lxb001":    "127.0.1.1", // inventory
		"lxb002":    "127.0.1.2", // inventory entry without address: ssh_config
		"sshonly":   "127.0.1.2", // ssh_config only
		"named":     "127.0.0.1", // ssh_config HostName resolved by DNS (/etc/hosts)
		"localhost": "127.0.0.1", // DNS
		"127.0.0.5": "127.0.0.5",
	} {
		got, err := inv.IP(ctx, name)
		if err != nil || got != want {
			t.Errorf("IP(%s) = %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := inv.IP(ctx, "no-such-host.invalid"); err == nil || !strings.Contains(err.Error(), "no IP address for no-such-host.invalid") {
		t.Errorf("unknown host: %v", err)
	}
	for ip, want := range map[string]string{
		"127.0.1.1": "lxb001",    // inventory
		"127.0.1.2": "lxb002",    // ssh_config HostName (first Host line)
		"127.0.0.9": "jump",      // ssh_config
		"127.0.0.1": "localhost", // reverse DNS via /etc/hosts
	} {
		got, err := inv.Name(ctx, ip)
		if err != nil || got != want {
			t.Errorf("Name(%s) = %q, %v; want %q", ip, got, err, want)
		}
	}
	if _, err := inv.Name(ctx, "lxb001"); err == nil || !strings.Contains(err.Error(), "not an IP address") {
		t.Errorf("Name(non-ip): %v", err)
	}
}

func TestMissingSSHConfig(t *testing.T) {
	cfg := &config.Config{Defaults: config.Defaults{SSHConfigFile: "/nonexistent/ssh_config"}}
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("explicit missing ssh config: %v", err)
	}
}

func TestKnownHostsFile(t *testing.T) {
	home, _ := os.UserHomeDir()
	inv, err := New(&config.Config{Defaults: config.Defaults{SSHConfigFile: "/dev/null", KnownHostsFile: "~/kh"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := inv.KnownHostsFile(); got != filepath.Join(home, "kh") {
		t.Error(got)
	}
	inv, _ = New(&config.Config{Defaults: config.Defaults{SSHConfigFile: "/dev/null", KnownHostsFile: "~/kh1 /kh2"}})
	if got := inv.KnownHostsFile(); got != filepath.Join(home, "kh1") {
		t.Error(got)
	}
	inv, _ = New(&config.Config{Defaults: config.Defaults{SSHConfigFile: "/dev/null"}})
	if got := inv.KnownHostsFile(); got != filepath.Join(home, ".ssh", "known_hosts") {
		t.Error(got)
	}
}
