package testcluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mesosctl/mesosctl/internal/config"
	"github.com/mesosctl/mesosctl/internal/shell"
)

// writeClientFiles writes known_hosts, ssh_config, the mesosctl inventory
// config.yaml and env.sh into the cluster dir.
func (c *Cluster) writeClientFiles() error {
	var kh, sc strings.Builder
	sc.WriteString("# ssh -F " + c.SSHConfig + " lxb001\n")
	for _, n := range c.Nodes {
		pub, err := os.ReadFile(filepath.Join(n.Dir, "ssh", "ssh_host_ed25519_key.pub"))
		if err != nil {
			return err
		}
		f := strings.Fields(string(pub))
		if len(f) < 2 {
			return fmt.Errorf("%s: bad host key", n.Name)
		}
		hosts := n.Name + "," + n.IP
		if c.SSHPort != 22 {
			hosts = fmt.Sprintf("[%s]:%d,[%s]:%d", n.Name, c.SSHPort, n.IP, c.SSHPort)
		}
		fmt.Fprintf(&kh, "%s %s %s\n", hosts, f[0], f[1])
		fmt.Fprintf(&sc, "\nHost %s\n  HostName %s\n  Port %d\n", n.Name, n.IP, c.SSHPort)
	}
	fmt.Fprintf(&sc, "\nHost *\n  User root\n  IdentityFile %s\n  IdentitiesOnly yes\n  UserKnownHostsFile %s\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  BatchMode yes\n  LogLevel ERROR\n  ConnectTimeout 10\n",
		c.IdentityFile, c.KnownHosts)
	if err := os.WriteFile(c.KnownHosts, []byte(kh.String()), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(c.SSHConfig, []byte(sc.String()), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(c.ConfigFile, []byte(c.Inventory()), 0o644); err != nil {
		return err
	}
	env := fmt.Sprintf("# source this file to point mesosctl and ssh at the test cluster\nexport MESOSCTL_CONFIG=%s\nalias ssh='ssh -F %s'\n",
		shell.Quote(c.ConfigFile), c.SSHConfig)
	return os.WriteFile(filepath.Join(c.Dir, "env.sh"), []byte(env), 0o644)
}

// Inventory renders the mesosctl config.yaml of the cluster (see
// internal/config for the schema).
func (c *Cluster) Inventory() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# mesosctl inventory of the test cluster in %s\n# export MESOSCTL_CONFIG=%s\n", c.Dir, c.ConfigFile)
	fmt.Fprintf(&b, "defaults:\n  zookeeper: %s\n  ssh_user: root\n  ssh_port: %d\n  identity_file: %s\n  known_hosts: %s\n  ssh_config: %s\n  agent_port: %d\n  restart_command: %s\n  agent_config_dir: %s\n  agent_work_dir: %s\n",
		c.ZooKeeper, c.SSHPort, c.IdentityFile, c.KnownHosts, c.SSHConfig, c.AgentPort,
		config.DefaultRestartCommand, NodeConfigDir, NodeWorkDir)
	b.WriteString("nodes:\n")
	for _, n := range c.Nodes {
		fmt.Fprintf(&b, "  - name: %s\n    address: %s\n    ssh_user: root\n    identity_file: %s\n    agent_port: %d\n    restart_command: %s\n",
			n.Name, n.IP, c.IdentityFile, c.AgentPort, config.DefaultRestartCommand)
	}
	fmt.Fprintf(&b, "groups:\n  mesos-agents: [%s]\n", strings.Join(c.NodeNames(), ", "))
	return b.String()
}
