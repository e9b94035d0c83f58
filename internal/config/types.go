// Package config loads mesosctl's configuration (file, MESOSCTL_* environment
// variables, flags; in that rising order of precedence) into typed structs.
// The configuration holds the operator's inventory: nodes, groups and
// defaults.
package config

import (
	"time"

	"github.com/mesosctl/mesosctl/internal/parallel"
)

// Config is the whole loaded configuration.
type Config struct {
	// Path is the file the configuration was read from ("" when none).
	Path string `mapstructure:"-" json:"-" yaml:"-"`

	Defaults Defaults            `mapstructure:"defaults" json:"defaults" yaml:"defaults"`
	Nodes    []Node              `mapstructure:"nodes" json:"nodes" yaml:"nodes"`
	Groups   map[string][]string `mapstructure:"groups" json:"groups" yaml:"groups"`
}

// Defaults apply to every node unless the node overrides them, and to every
// command unless a flag overrides them.
type Defaults struct {
	ZooKeeper       string        `mapstructure:"zookeeper" json:"zookeeper,omitempty" yaml:"zookeeper,omitempty"`                      // zk://host:2181/mesos
	Master          string        `mapstructure:"master" json:"master,omitempty" yaml:"master,omitempty"`                               // host:5050 of a Mesos master
	Fanout          int           `mapstructure:"fanout" json:"fanout" yaml:"fanout"`                                                   // parallel nodes, default 64
	ConnectTimeout  time.Duration `mapstructure:"connect_timeout" json:"connect_timeout" yaml:"connect_timeout"`                        // SSH/HTTP connect, default 10s
	CommandTimeout  time.Duration `mapstructure:"command_timeout" json:"command_timeout" yaml:"command_timeout"`                        // per node, 0 = none
	SSHPersist      time.Duration `mapstructure:"ssh_persist" json:"ssh_persist" yaml:"ssh_persist"`                                    // keep SSH connections this long when idle, 0 = do not keep
	SSHUser         string        `mapstructure:"ssh_user" json:"ssh_user,omitempty" yaml:"ssh_user,omitempty"`                         // default: ssh_config, then $USER
	SSHPort         int           `mapstructure:"ssh_port" json:"ssh_port,omitempty" yaml:"ssh_port,omitempty"`                         // default: ssh_config, then 22
	IdentityFile    string        `mapstructure:"identity_file" json:"identity_file,omitempty" yaml:"identity_file,omitempty"`          // default: ssh_config, agent, ~/.ssh/id_*
	KnownHostsFile  string        `mapstructure:"known_hosts" json:"known_hosts,omitempty" yaml:"known_hosts,omitempty"`                // default: ssh_config UserKnownHostsFile, then ~/.ssh/known_hosts{,2}
	SSHConfigFile   string        `mapstructure:"ssh_config" json:"ssh_config,omitempty" yaml:"ssh_config,omitempty"`                   // default ~/.ssh/config
	AgentPort       int           `mapstructure:"agent_port" json:"agent_port" yaml:"agent_port"`                                       // default 5051
	RestartCommand  string        `mapstructure:"restart_command" json:"restart_command" yaml:"restart_command"`                        // default "systemctl restart mesos-slave"
	AgentConfigDir  string        `mapstructure:"agent_config_dir" json:"agent_config_dir" yaml:"agent_config_dir"`                     // default /etc/mesos-slave
	AgentWorkDir    string        `mapstructure:"agent_work_dir" json:"agent_work_dir" yaml:"agent_work_dir"`                           // default /var/lib/mesos
	HTTPCredentials string        `mapstructure:"http_credentials" json:"http_credentials,omitempty" yaml:"http_credentials,omitempty"` // principal:secret for agent write calls
}

// Node is one machine of the inventory. Empty fields fall back to Defaults
// and then to ~/.ssh/config.
type Node struct {
	Name           string `mapstructure:"name" json:"name" yaml:"name"`
	Address        string `mapstructure:"address" json:"address,omitempty" yaml:"address,omitempty"`
	SSHUser        string `mapstructure:"ssh_user" json:"ssh_user,omitempty" yaml:"ssh_user,omitempty"`
	SSHPort        int    `mapstructure:"ssh_port" json:"ssh_port,omitempty" yaml:"ssh_port,omitempty"`
	IdentityFile   string `mapstructure:"identity_file" json:"identity_file,omitempty" yaml:"identity_file,omitempty"`
	AgentPort      int    `mapstructure:"agent_port" json:"agent_port,omitempty" yaml:"agent_port,omitempty"`
	RestartCommand string `mapstructure:"restart_command" json:"restart_command,omitempty" yaml:"restart_command,omitempty"`
	AgentConfigDir string `mapstructure:"agent_config_dir" json:"agent_config_dir,omitempty" yaml:"agent_config_dir,omitempty"`
	AgentWorkDir   string `mapstructure:"agent_work_dir" json:"agent_work_dir,omitempty" yaml:"agent_work_dir,omitempty"`
}

// Built-in defaults.
const (
	DefaultFanout         = parallel.DefaultLimit
	DefaultConnectTimeout = 10 * time.Second
	DefaultSSHPersist     = 10 * time.Minute
	DefaultAgentPort      = 5051
	DefaultRestartCommand = "systemctl restart mesos-slave"
	DefaultAgentConfigDir = "/etc/mesos-slave"
	DefaultAgentWorkDir   = "/var/lib/mesos"
)
