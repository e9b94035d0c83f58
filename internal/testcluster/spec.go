// Package testcluster starts and tears down a multi-node Mesos agent cluster
// on one Linux machine, for end-to-end tests and demos. Each node is a set of
// Linux namespaces (mount, UTS, PID; sharing the host network) with hostname
// lxb00N, its own /etc/mesos-slave, /var/lib/mesos and /var/log/mesos
// (bind-mounted from a per-node directory), a real OpenSSH sshd on
// 127.0.1.N:22, /usr/sbin/mesos-slave (the mesosctl binary) and a systemctl
// shim so that `systemctl restart mesos-slave` restarts that node's agent.
// A real ZooKeeper runs on 127.0.0.1. Nothing on the host changes: the
// per-node views of /etc, /var/lib, /var/log and /usr/sbin are overlay mounts
// that exist only in the node's mount namespace.
//
// The cluster is driven by its own binary, cmd/mesosctl-testcluster, which
// is not part of the product: `mesosctl-testcluster up|down|status|env`,
// and on the node side `mesosctl-testcluster node-init` (NodeInit) and
// `mesosctl-testcluster systemctl` (Systemctl). The nodes run mesosctl
// itself as their agent.
package testcluster

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// NodeSpec is everything a node's init and its systemctl shim need. The
// cluster writes it as <node dir>/node.json.
type NodeSpec struct {
	Name       string `json:"name"`        // hostname, e.g. lxb001
	IP         string `json:"ip"`          // 127.0.1.N: sshd and agent listen here
	Dir        string `json:"dir"`         // <cluster dir>/<name> on the host
	HarnessExe string `json:"harness_exe"` // mesosctl-testcluster: the systemctl shim runs it
	AgentExe   string `json:"agent_exe"`   // behind /usr/sbin/mesos-slave (mesosctl)
	SSHPort    int    `json:"ssh_port"`    // 22
	AgentPort  int    `json:"agent_port"`  // 5051
	Master     string `json:"master"`      // zk://127.0.0.1:PORT/mesos
	NoAgent    bool   `json:"no_agent"`    // do not start the agent at boot
	// Docker starts a Docker engine inside the node before the agent (see
	// Options.Docker).
	Docker bool `json:"docker,omitempty"`
}

// Paths inside a node (they are the Mesos package defaults).
const (
	NodeConfigDir  = "/etc/mesos-slave"
	NodeWorkDir    = "/var/lib/mesos"
	NodeLogDir     = "/var/log/mesos"
	AgentBinary    = "/usr/sbin/mesos-slave"
	AgentPidFile   = "/run/mesos-slave.pid"
	AgentConsole   = "/var/log/mesos/mesos-slave.console.log"
	AgentUnit      = "mesos-slave.service"
	specFileName   = "node.json"
	systemctlShim  = "systemctl"
	hostSystemctl  = "/usr/bin/systemctl"
	hostJournalctl = "/usr/bin/journalctl"
	nodeReadyToken = "ready"
	// NodeDockerSocket is where a node's agent and docker CLI find the
	// node's Docker engine (the defaults of --docker_socket and of the
	// CLI): a link to the engine's socket under DockerDir.
	NodeDockerSocket = "/run/docker.sock"
)

// AgentArgs is the agent's command line as the systemctl shim starts it.
// The agent reads /etc/mesos-slave itself.
func (s *NodeSpec) AgentArgs() []string {
	return []string{
		AgentBinary,
		"--ip=" + s.IP,
		fmt.Sprintf("--port=%d", s.AgentPort),
		"--work_dir=" + NodeWorkDir,
		"--log_dir=" + NodeLogDir,
		"--master=" + s.Master,
	}
}

// ConfigDir, WorkDir and LogDir are the host-side directories behind the
// node's /etc/mesos-slave, /var/lib/mesos and /var/log/mesos.
func (s *NodeSpec) ConfigDir() string { return filepath.Join(s.Dir, "etc-mesos-slave") }

// WorkDir is the host-side /var/lib/mesos of the node.
func (s *NodeSpec) WorkDir() string { return filepath.Join(s.Dir, "var-lib-mesos") }

// LogDir is the host-side /var/log/mesos of the node.
func (s *NodeSpec) LogDir() string { return filepath.Join(s.Dir, "var-log-mesos") }

// HomeDir is the node's /root: a stock Debian home, so that SSH sessions
// on a node do not run the host's root dotfiles (which may be slow and
// share locks across every node).
func (s *NodeSpec) HomeDir() string { return filepath.Join(s.Dir, "root") }

// DockerDir is the directory of the node's Docker engine (Options.Docker),
// the same path inside the node and on the host.
func (s *NodeSpec) DockerDir() string { return filepath.Join(s.Dir, "docker") }

func (s *NodeSpec) sshdConfig() string { return filepath.Join(s.Dir, "ssh", "sshd_config") }
func (s *NodeSpec) hostKey() string    { return filepath.Join(s.Dir, "ssh", "ssh_host_ed25519_key") }
func (s *NodeSpec) shimPath() string   { return filepath.Join(s.Dir, systemctlShim) }
func (s *NodeSpec) overlayDir() string { return filepath.Join(s.Dir, ".overlay") }
func (s *NodeSpec) initLog() string    { return filepath.Join(s.Dir, "init.log") }
func (s *NodeSpec) specPath() string   { return filepath.Join(s.Dir, specFileName) }
func (s *NodeSpec) sshdLog() string    { return filepath.Join(s.Dir, "sshd.log") }
func (s *NodeSpec) clusterDir() string { return filepath.Dir(s.Dir) }
func (s *NodeSpec) authorizedKeys() string {
	return filepath.Join(s.clusterDir(), "authorized_keys")
}

// ReadNodeSpec loads a node.json written by the cluster.
func ReadNodeSpec(path string) (*NodeSpec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading node spec: %w", err)
	}
	var s NodeSpec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("node spec %s: %w", path, err)
	}
	if s.Name == "" || s.IP == "" || s.Dir == "" || s.HarnessExe == "" {
		return nil, fmt.Errorf("node spec %s: name, ip, dir and harness_exe are required", path)
	}
	return &s, nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
