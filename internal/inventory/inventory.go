// Package inventory resolves node names to everything needed to reach them
// (address, SSH user, port, identity files, known_hosts files, jump hosts,
// agent URL, paths), combining the configuration's inventory, ssh_config
// (~/.ssh/config and /etc/ssh/ssh_config) and DNS, and maps names to IP
// addresses and back.
package inventory

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/kevinburke/ssh_config"

	"github.com/mesosctl/mesosctl/internal/config"
	"github.com/mesosctl/mesosctl/internal/nodeset"
)

// DefaultSSHPort is used when neither the inventory, ssh_config nor the
// defaults give a port.
const DefaultSSHPort = 22

// Node is a fully resolved node: every field is filled in.
type Node struct {
	Name          string   `json:"name"`
	Address       string   `json:"address"` // host name or IP to dial
	SSHUser       string   `json:"ssh_user"`
	SSHPort       int      `json:"ssh_port"`
	IdentityFiles []string `json:"identity_files,omitempty"`
	// KnownHosts are the files the node's host key is checked against.
	KnownHosts KnownHosts `json:"known_hosts"`
	// ProxyJump is ssh_config's ProxyJump for the node (%-tokens
	// expanded), "" for none; Jumps is that chain resolved, first hop first.
	ProxyJump string `json:"proxy_jump,omitempty"`
	Jumps     []Hop  `json:"jumps,omitempty"`
	// ControlPath is ssh_config's ControlPath for the node (~ and
	// %-tokens expanded), "" for none: the socket of an OpenSSH
	// ControlMaster that mesosctl shares when it is live.
	ControlPath    string `json:"control_path,omitempty"`
	AgentPort      int    `json:"agent_port"`
	RestartCommand string `json:"restart_command"`
	AgentConfigDir string `json:"agent_config_dir"`
	AgentWorkDir   string `json:"agent_work_dir"`
	// InInventory is false for names resolved only through ssh_config/DNS.
	InInventory bool `json:"in_inventory"`
}

// AgentURL is the base URL of the node's agent, e.g. http://127.0.1.1:5051.
func (n Node) AgentURL() string {
	return "http://" + net.JoinHostPort(n.Address, strconv.Itoa(n.AgentPort))
}

// SSHAddr is host:port for SSH.
func (n Node) SSHAddr() string {
	return net.JoinHostPort(n.Address, strconv.Itoa(n.SSHPort))
}

// Resolver does DNS look-ups; *net.Resolver satisfies it.
type Resolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

// Inventory answers questions about nodes.
type Inventory struct {
	cfg *config.Config
	// ssh are the ssh_config files in the order OpenSSH reads them (the
	// first value found wins): the configured file, or ~/.ssh/config then
	// /etc/ssh/ssh_config. Missing default files are left out.
	ssh    []*ssh_config.Config
	byName map[string]config.Node
	// Resolver is used for DNS; nil means net.DefaultResolver.
	Resolver Resolver
	// CurrentUser is the SSH user of last resort; "" means $USER.
	CurrentUser string
	home        string
}

// SystemSSHConfig is the system-wide ssh_config, read after ~/.ssh/config
// when the configuration names no ssh_config (like ssh without -F).
var SystemSSHConfig = "/etc/ssh/ssh_config"

// New builds an inventory from cfg and the ssh config files:
// cfg.Defaults.SSHConfigFile alone (like ssh -F), else ~/.ssh/config and
// SystemSSHConfig (missing default files are fine).
func New(cfg *config.Config) (*Inventory, error) {
	inv := &Inventory{cfg: cfg, byName: make(map[string]config.Node, len(cfg.Nodes))}
	inv.home, _ = os.UserHomeDir()
	for _, n := range cfg.Nodes {
		inv.byName[n.Name] = n
	}
	path := cfg.Defaults.SSHConfigFile
	if path == "" {
		path = filepath.Join(inv.home, ".ssh", "config")
	}
	paths := []string{inv.expandTilde(path)}
	if cfg.Defaults.SSHConfigFile == "" {
		paths = append(paths, SystemSSHConfig)
	}
	for _, path := range paths {
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			c, err := ssh_config.DecodeBytes(b)
			if err != nil {
				return nil, fmt.Errorf("ssh config %s: %v", path, err)
			}
			inv.ssh = append(inv.ssh, c)
		case errors.Is(err, fs.ErrNotExist) && cfg.Defaults.SSHConfigFile == "":
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("ssh config %s (from ssh_config in %s) does not exist", path, orNone(cfg.Path))
		default:
			return nil, fmt.Errorf("ssh config: %v", err)
		}
	}
	return inv, nil
}

func orNone(s string) string {
	if s == "" {
		return "the configuration"
	}
	return s
}

func (inv *Inventory) expandTilde(p string) string {
	if p == "~" {
		return inv.home
	}
	if strings.HasPrefix(p, "~/") {
		return filepath.Join(inv.home, p[2:])
	}
	return p
}

func (inv *Inventory) resolver() Resolver {
	if inv.Resolver != nil {
		return inv.Resolver
	}
	return net.DefaultResolver
}

func (inv *Inventory) sshGet(alias, key string) string {
	return strings.ReplaceAll(inv.sshRaw(alias, key), "%h", alias)
}

// sshRaw is the first value of key for alias in the ssh_config files, as
// written.
func (inv *Inventory) sshRaw(alias, key string) string {
	for _, c := range inv.ssh {
		if v, _ := c.Get(alias, key); v != "" {
			return v
		}
	}
	return ""
}

// sshGetAll is every value of key for alias (IdentityFile accumulates).
func (inv *Inventory) sshGetAll(alias, key string) []string {
	var out []string
	for _, c := range inv.ssh {
		v, _ := c.GetAll(alias, key)
		out = append(out, v...)
	}
	return out
}

// KnownHostsFile is the first file of defaults.known_hosts (with ~
// expanded), else ~/.ssh/known_hosts: the one known_hosts file for an SSH
// target that names none. Resolved nodes carry every file OpenSSH would
// read for them (Node.KnownHosts, Hop.KnownHosts).
func (inv *Inventory) KnownHostsFile() string {
	if words, err := splitWords(inv.cfg.Defaults.KnownHostsFile); err == nil && len(words) > 0 {
		return inv.expandTilde(words[0])
	}
	return filepath.Join(inv.home, ".ssh", "known_hosts")
}

// Config returns the configuration the inventory was built from.
func (inv *Inventory) Config() *config.Config { return inv.cfg }

// Names returns the inventory's node names in file order.
func (inv *Inventory) Names() []string {
	out := make([]string, len(inv.cfg.Nodes))
	for i, n := range inv.cfg.Nodes {
		out[i] = n.Name
	}
	return out
}

// Groups returns the names of the groups defined in the configuration,
// sorted.
func (inv *Inventory) Groups() []string {
	out := make([]string, 0, len(inv.cfg.Groups))
	for g := range inv.cfg.Groups {
		out = append(out, g)
	}
	slices.Sort(out)
	return out
}

// Group returns the node names of a group, expanded. "all" is every
// inventory node unless a group of that name is defined.
func (inv *Inventory) Group(name string) ([]string, error) {
	return nodeset.Expand("@"+name, inv.GroupResolver())
}

// GroupResolver resolves @group references in node sets.
func (inv *Inventory) GroupResolver() nodeset.GroupResolver {
	return config.GroupResolver(inv.cfg)
}

// GroupsOf returns the defined groups that contain name, sorted.
func (inv *Inventory) GroupsOf(name string) []string {
	var out []string
	for _, g := range inv.Groups() {
		members, err := inv.Group(g)
		if err == nil && slices.Contains(members, name) {
			out = append(out, g)
		}
	}
	return out
}

// Node resolves one name: the inventory entry first, then ssh_config
// (HostName, User, Port, IdentityFile, UserKnownHostsFile,
// GlobalKnownHostsFile, HashKnownHosts, ProxyJump, ControlPath), then the
// configuration's defaults. Names that are not in the inventory still
// resolve, so that any host ssh can reach can be used. Each ProxyJump hop
// is resolved the same way (see Hop).
func (inv *Inventory) Node(name string) (Node, error) {
	if !nodeset.ValidName(name) {
		return Node{}, fmt.Errorf("%q is not a valid node name", name)
	}
	d := inv.cfg.Defaults
	c, ok := inv.byName[name]
	n := Node{Name: name, InInventory: ok}
	h, err := inv.resolve(name, "", 0)
	if err != nil {
		return Node{}, fmt.Errorf("node %s: %v", name, err)
	}
	n.Address, n.SSHUser, n.SSHPort, n.IdentityFiles, n.KnownHosts = h.address, h.user, h.port, h.identities, h.knownHosts
	n.ControlPath = h.controlPath
	if h.proxyJump != "" {
		n.ProxyJump = h.proxyJump
		if n.Jumps, err = inv.jumpChain(h.proxyJump, 0); err != nil {
			return Node{}, fmt.Errorf("node %s: %v", name, err)
		}
	}

	n.AgentPort = firstInt(c.AgentPort, d.AgentPort, config.DefaultAgentPort)
	n.RestartCommand = first(c.RestartCommand, d.RestartCommand, config.DefaultRestartCommand)
	n.AgentConfigDir = first(c.AgentConfigDir, d.AgentConfigDir, config.DefaultAgentConfigDir)
	n.AgentWorkDir = first(c.AgentWorkDir, d.AgentWorkDir, config.DefaultAgentWorkDir)
	return n, nil
}

// IP returns an IP address for name: its inventory address or ssh_config
// HostName (resolved if it is a host name), else a DNS look-up of name.
// IPv4 addresses are preferred.
func (inv *Inventory) IP(ctx context.Context, name string) (string, error) {
	if ip := net.ParseIP(name); ip != nil {
		return ip.String(), nil
	}
	host := name
	if c, ok := inv.byName[name]; ok && c.Address != "" {
		host = c.Address
	} else if h := inv.sshGet(name, "HostName"); h != "" {
		host = h
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.String(), nil
	}
	addrs, err := inv.resolver().LookupHost(ctx, host)
	if err != nil || len(addrs) == 0 {
		how := "not in the inventory or ssh config, and DNS does not know it"
		if host != name {
			how = fmt.Sprintf("its address %s does not resolve", host)
		}
		return "", fmt.Errorf("no IP address for %s: %s", name, how)
	}
	for _, a := range addrs {
		if ip := net.ParseIP(a); ip != nil && ip.To4() != nil {
			return a, nil
		}
	}
	return addrs[0], nil
}

// Name returns the node name for an IP address: the inventory node with
// that address, else the ssh_config Host whose HostName is that address,
// else reverse DNS.
func (inv *Inventory) Name(ctx context.Context, ip string) (string, error) {
	parsed := net.ParseIP(ip)
	if parsed == nil {
		return "", fmt.Errorf("%q is not an IP address", ip)
	}
	for _, n := range inv.cfg.Nodes {
		if a := net.ParseIP(n.Address); a != nil && a.Equal(parsed) {
			return n.Name, nil
		}
	}
	for _, c := range inv.ssh {
		for _, h := range c.Hosts {
			for _, p := range h.Patterns {
				alias := p.String()
				if alias == "" || strings.ContainsAny(alias, "*?!") {
					continue
				}
				if a := net.ParseIP(inv.sshGet(alias, "HostName")); a != nil && a.Equal(parsed) {
					return alias, nil
				}
			}
		}
	}
	names, err := inv.resolver().LookupAddr(ctx, parsed.String())
	if err != nil || len(names) == 0 {
		return "", fmt.Errorf("no name for %s: not in the inventory or ssh config, and reverse DNS does not know it", ip)
	}
	return strings.TrimSuffix(names[0], "."), nil
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func firstInt(vals ...int) int {
	for _, v := range vals {
		if v != 0 {
			return v
		}
	}
	return 0
}

func currentUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "root"
}
