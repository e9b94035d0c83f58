package testcluster

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mesosctl/mesosctl/internal/shell"
	"github.com/mesosctl/mesosctl/internal/testutil/dockerd"
	"github.com/mesosctl/mesosctl/internal/zkserver"
)

// Options configure a cluster. The zero value plus Binaries gives the
// standard 4-node cluster lxb001…lxb004 on 127.0.1.1…127.0.1.4.
type Options struct {
	// Dir holds everything of the cluster; "" makes a new temp dir. Down
	// removes it.
	Dir string
	// Nodes is the node count (default 4); Prefix the name prefix (default
	// "lxb"); names are Prefix + three digits: lxb001.
	Nodes  int
	Prefix string
	// Subnet is the first three octets of the node addresses (default
	// "127.0.1"): node N listens on Subnet.N.
	Subnet string
	// Binaries are mesosctl-testcluster (the node init and the systemctl
	// shim) and mesosctl (/usr/sbin/mesos-slave in the nodes). Required;
	// tests get both from Build.
	Binaries Binaries
	// AgentExe, when set, is the program behind /usr/sbin/mesos-slave in
	// the nodes instead of Binaries.Mesosctl (mesosctl agentd): a real Mesos
	// agent, or a stand-in script in the tests of the cluster itself.
	AgentExe string
	// SSHPort (default 22) and AgentPort (default 5051) on each node.
	SSHPort   int
	AgentPort int
	// NoAgent starts nodes without the agent (`systemctl start
	// mesos-slave` starts it later).
	NoAgent bool
	// Timeout bounds the start of each part (default 30s; 2m with Docker).
	Timeout time.Duration
	// KillWithParent makes the nodes and ZooKeeper die with the process
	// that started them (tests: a killed or timed-out test binary leaves
	// nothing running). `mesosctl-testcluster up` leaves it off.
	KillWithParent bool
	// Docker starts a Docker engine (Debian's dockerd, through
	// internal/testutil/dockerd: --bridge=none --iptables=false, names
	// resolved and registries reached on loopback only) inside every node,
	// in the node's mount and PID namespaces, with the test image
	// imported: the node's agent can run --containerizers=docker tasks
	// (its sandboxes under /var/lib/mesos are the engine's too, container
	// pids are the node's), and /var/run/docker.sock is the engine's.
	Docker bool
	// Log receives progress lines (nil: silent).
	Log io.Writer
}

// Node is one started node.
type Node struct {
	Name    string `json:"name"`
	IP      string `json:"ip"`
	InitPid int    `json:"init_pid"` // host pid of the node's PID 1
	Dir     string `json:"dir"`
}

// Cluster is a running cluster. It is saved as <Dir>/cluster.json so that
// another process (`mesosctl-testcluster down`) can tear it down.
type Cluster struct {
	Dir          string `json:"dir"`
	HarnessExe   string `json:"harness_exe"` // mesosctl-testcluster
	Nodes        []Node `json:"nodes"`
	ZooKeeper    string `json:"zookeeper"` // zk://127.0.0.1:PORT/mesos
	ZKPid        int    `json:"zk_pid"`
	ZKPort       int    `json:"zk_port"`
	SSHPort      int    `json:"ssh_port"`
	AgentPort    int    `json:"agent_port"`
	ConfigFile   string `json:"config_file"`   // mesosctl inventory
	SSHConfig    string `json:"ssh_config"`    // for ssh -F
	KnownHosts   string `json:"known_hosts"`   // host keys of all nodes
	IdentityFile string `json:"identity_file"` // root's client key
	// CgroupParents lists <hierarchy>/mesos dirs that did not exist before
	// the cluster started; Down removes them when empty.
	CgroupParents []string `json:"cgroup_parents,omitempty"`
	// AbsentHostPaths are the node paths (/etc/mesos-slave, …) that did not
	// exist on the host at start; Leftovers checks they still do not.
	AbsentHostPaths []string `json:"absent_host_paths,omitempty"`
	// Docker is Options.Docker; DockerCgroupParents lists the
	// <hierarchy>/docker cgroups that did not exist before the nodes'
	// engines started (Down removes them when empty).
	Docker              bool     `json:"docker,omitempty"`
	DockerCgroupParents []string `json:"docker_cgroup_parents,omitempty"`

	procs map[int]*os.Process
}

// StateFile is the name of the saved cluster description inside Dir.
const StateFile = "cluster.json"

// NodeName is the name of node i (1-based).
func NodeName(prefix string, i int) string { return fmt.Sprintf("%s%03d", prefix, i) }

func (o *Options) defaults() error {
	if o.Nodes == 0 {
		o.Nodes = 4
	}
	if o.Nodes < 1 || o.Nodes > 250 {
		return fmt.Errorf("node count %d out of range 1..250", o.Nodes)
	}
	if o.Prefix == "" {
		o.Prefix = "lxb"
	}
	if o.Subnet == "" {
		o.Subnet = "127.0.1"
	}
	if ip := net.ParseIP(o.Subnet + ".1").To4(); ip == nil || ip[0] != 127 {
		return fmt.Errorf("subnet %q: want the first three octets of a loopback address, e.g. 127.0.1", o.Subnet)
	}
	if o.SSHPort == 0 {
		o.SSHPort = 22
	}
	if o.AgentPort == 0 {
		o.AgentPort = 5051
	}
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
		if o.Docker {
			o.Timeout = 2 * time.Minute // dockerd and the image import on a loaded machine
		}
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.AgentExe == "" {
		o.AgentExe = o.Binaries.Mesosctl
	}
	for _, b := range []struct {
		path *string
		what string
	}{{&o.Binaries.Harness, "the mesosctl-testcluster binary"}, {&o.AgentExe, "the mesosctl binary"}} {
		if *b.path == "" {
			return fmt.Errorf("%s is required (testcluster.Options.Binaries)", b.what)
		}
		abs, err := filepath.Abs(*b.path)
		if err != nil {
			return err
		}
		if _, err := os.Stat(abs); err != nil {
			return fmt.Errorf("%s: %w (run make build testcluster)", b.what, err)
		}
		*b.path = abs
	}
	return nil
}

// Start brings a cluster up: ZooKeeper, then the nodes in parallel (each
// with sshd and, unless NoAgent, its agent answering /state). On error
// everything already started is torn down.
func Start(o Options) (c *Cluster, err error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("the test cluster needs root (namespaces, mounts, sshd on port 22)")
	}
	for _, tool := range []string{"/usr/sbin/sshd", "/usr/bin/ssh-keygen"} {
		if _, err := os.Stat(tool); err != nil {
			return nil, fmt.Errorf("%s not found: install openssh-server and openssh-client (scripts/install-deps.sh)", tool)
		}
	}
	dir := o.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "mesosctl-cluster-"); err != nil {
			return nil, err
		}
	} else {
		if dir, err = filepath.Abs(dir); err != nil {
			return nil, err
		}
		if _, err := os.Stat(filepath.Join(dir, StateFile)); err == nil {
			return nil, fmt.Errorf("a cluster is already up in %s: run `mesosctl-testcluster down --dir %s` first", dir, dir)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	// sshd and ssh refuse key files in group/world-writable paths; a temp
	// dir is 0700, make it traversable for the sshd privsep user.
	_ = os.Chmod(dir, 0o755)
	c = &Cluster{
		Dir:          dir,
		HarnessExe:   o.Binaries.Harness,
		SSHPort:      o.SSHPort,
		AgentPort:    o.AgentPort,
		ConfigFile:   filepath.Join(dir, "config.yaml"),
		SSHConfig:    filepath.Join(dir, "ssh_config"),
		KnownHosts:   filepath.Join(dir, "known_hosts"),
		IdentityFile: filepath.Join(dir, "id_ed25519"),
		procs:        map[int]*os.Process{},
	}
	for i := 1; i <= o.Nodes; i++ {
		name := NodeName(o.Prefix, i)
		c.Nodes = append(c.Nodes, Node{Name: name, IP: fmt.Sprintf("%s.%d", o.Subnet, i), Dir: filepath.Join(dir, name)})
	}
	// Save early so that Down can clean up after a failed start too.
	c.CgroupParents = missingCgroupParents()
	if o.Docker {
		if err := dockerd.Installed(); err != nil {
			return nil, err
		}
		c.Docker = true
		c.DockerCgroupParents = dockerd.MissingCgroupParents()
	}
	for _, p := range []string{NodeConfigDir, NodeWorkDir, NodeLogDir, AgentBinary, "/usr/sbin/mesos-agent"} {
		if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
			c.AbsentHostPaths = append(c.AbsentHostPaths, p)
		}
	}
	if err := writeJSON(filepath.Join(dir, StateFile), c); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			if derr := c.Down(); derr != nil {
				err = fmt.Errorf("%w; cleaning up also failed: %v", err, derr)
			}
			c = nil
		}
	}()
	for _, n := range c.Nodes {
		for _, port := range []int{o.SSHPort, o.AgentPort} {
			if err := portFree(n.IP, port); err != nil {
				return c, err
			}
		}
	}
	if err := runQuiet("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "root@mesosctl-testcluster", "-f", c.IdentityFile); err != nil {
		return c, err
	}
	pub, err := os.ReadFile(c.IdentityFile + ".pub")
	if err != nil {
		return c, err
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o644); err != nil {
		return c, err
	}
	if c.ZKPort, err = zkserver.FreePort(); err != nil {
		return c, err
	}
	c.ZooKeeper = fmt.Sprintf("zk://127.0.0.1:%d/mesos", c.ZKPort)

	start := time.Now()
	var wg sync.WaitGroup
	var zkErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		var zk *zkserver.Server
		zk, zkErr = zkserver.Launch(zkserver.Options{Dir: filepath.Join(dir, "zookeeper"), Port: c.ZKPort,
			DieWithParent: o.KillWithParent, Timeout: o.Timeout})
		if zkErr == nil {
			c.ZKPid = zk.Pid()
		}
		fmt.Fprintf(o.Log, "zookeeper    %s (%.1fs)\n", c.ZooKeeper, time.Since(start).Seconds())
	}()
	hosts, err := c.hostsFile()
	if err != nil {
		return c, err
	}
	var mu sync.Mutex
	errs := make([]error, len(c.Nodes))
	for i := range c.Nodes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			p, err := c.startNode(&c.Nodes[i], o, hosts)
			errs[i] = err
			if p != nil {
				mu.Lock()
				c.procs[p.Pid] = p
				c.Nodes[i].InitPid = p.Pid
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	if err := writeJSON(filepath.Join(dir, StateFile), c); err != nil {
		return c, err
	}
	if err := errors.Join(append([]error{zkErr}, errs...)...); err != nil {
		return c, err
	}
	if !o.NoAgent {
		errs := make([]error, len(c.Nodes))
		for i, n := range c.Nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = c.WaitAgent(n.Name, o.Timeout)
				if errs[i] == nil {
					fmt.Fprintf(o.Log, "%-12s agent http://%s:%d/state answers (%.1fs)\n", n.Name, n.IP, c.AgentPort, time.Since(start).Seconds())
				}
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return c, err
		}
	}
	if err := c.writeClientFiles(); err != nil {
		return c, err
	}
	return c, writeJSON(filepath.Join(dir, StateFile), c)
}

func portFree(ip string, port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, fmt.Sprint(port)))
	if err != nil {
		return fmt.Errorf("%s:%d is in use (is another test cluster up? `mesosctl-testcluster down`, or choose another --subnet): %w", ip, port, err)
	}
	return l.Close()
}

func runQuiet(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// startNode prepares the node directory and starts its init in new
// namespaces; it returns once sshd accepts connections.
func (c *Cluster) startNode(n *Node, o Options, hosts []byte) (*os.Process, error) {
	spec := &NodeSpec{Name: n.Name, IP: n.IP, Dir: n.Dir, HarnessExe: c.HarnessExe, AgentExe: o.AgentExe, SSHPort: c.SSHPort,
		AgentPort: c.AgentPort, Master: c.ZooKeeper, NoAgent: o.NoAgent, Docker: o.Docker}
	if err := prepareNodeDir(spec, hosts); err != nil {
		return nil, fmt.Errorf("%s: %w", n.Name, err)
	}
	t0 := time.Now()
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	logf, err := os.OpenFile(spec.initLog(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		w.Close()
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(c.HarnessExe, "node-init", "--spec", spec.specPath())
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8"}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWPID,
		Setsid:     true,
	}
	if o.KillWithParent {
		cmd.SysProcAttr.Pdeathsig = unix.SIGKILL
	}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: starting node init: %w", n.Name, err)
	}
	p := cmd.Process
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	var msg string
	select {
	case msg = <-line:
	case <-time.After(o.Timeout):
		msg = "no answer from node init within " + o.Timeout.String()
	}
	if msg != nodeReadyToken {
		if msg == "" {
			msg = "node init exited: " + tail(spec.initLog())
		}
		return p, fmt.Errorf("%s: %s (logs in %s)", n.Name, msg, n.Dir)
	}
	addr := net.JoinHostPort(n.IP, fmt.Sprint(c.SSHPort))
	for deadline := time.Now().Add(o.Timeout); ; {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			return p, fmt.Errorf("%s: sshd not listening on %s: %s", n.Name, addr, tail(spec.sshdLog()))
		}
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Fprintf(o.Log, "%-12s %s pid %d, sshd on %s (%.1fs)\n", n.Name, n.IP, p.Pid, addr, time.Since(t0).Seconds())
	return p, nil
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	s := strings.TrimSpace(string(b))
	if len(s) > 1500 {
		s = "…" + s[len(s)-1500:]
	}
	return s
}

// hostsFile is the nodes' /etc/hosts: the host's, plus every node's name,
// so that lxb002 resolves inside lxb001 (the host's file is not changed).
func (c *Cluster) hostsFile() ([]byte, error) {
	b, err := os.ReadFile("/etc/hosts")
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		b = append(b, '\n')
	}
	b = append(b, "\n# mesosctl test cluster\n"...)
	for _, n := range c.Nodes {
		b = append(b, fmt.Sprintf("%s\t%s\n", n.IP, n.Name)...)
	}
	return b, nil
}

// prepareNodeDir creates the per-node directories, overlay layers (with the
// node's /etc/hostname and /etc/hosts), host key, sshd_config, systemctl
// shim and node.json.
func prepareNodeDir(s *NodeSpec, hosts []byte) error {
	for _, d := range []string{s.ConfigDir(), s.WorkDir(), s.LogDir(), filepath.Join(s.Dir, "ssh")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(s.HomeDir(), 0o700); err != nil {
		return err
	}
	for _, f := range []string{"bashrc", "profile"} {
		b, err := os.ReadFile("/usr/share/base-files/dot." + f)
		if err != nil && !os.IsNotExist(err) {
			return err
		}
		if err := os.WriteFile(filepath.Join(s.HomeDir(), "."+f), b, 0o644); err != nil {
			return err
		}
	}
	for _, o := range overlayTargets {
		for _, sub := range []string{"upper", "work"} {
			if err := os.MkdirAll(filepath.Join(s.overlayDir(), o.name, sub), 0o755); err != nil {
				return err
			}
		}
	}
	// Mount points inside the overlays (in the upper layer only).
	up := func(name string, rel ...string) string {
		return filepath.Join(append([]string{s.overlayDir(), name, "upper"}, rel...)...)
	}
	for _, d := range []string{up("etc", "mesos-slave"), up("var-lib", "mesos"), up("var-log", "mesos")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(up("etc", "hostname"), []byte(s.Name+"\n"), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(up("etc", "hosts"), hosts, 0o644); err != nil {
		return err
	}
	// /etc/mesos/zk as the Mesos packages have it (mesos-init-wrapper).
	if err := os.MkdirAll(up("etc", "mesos"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(up("etc", "mesos", "zk"), []byte(s.Master+"\n"), 0o644); err != nil {
		return err
	}
	// `service mesos-slave restart` (no systemd in the node) goes through
	// /etc/init.d, which hands over to the systemctl shim.
	if err := os.MkdirAll(up("etc", "init.d"), 0o755); err != nil {
		return err
	}
	initd := "#!/bin/sh\n# mesosctl test cluster: the agent is managed by the systemctl shim.\nexec /usr/bin/systemctl \"${1:-status}\" mesos-slave.service\n"
	if err := os.WriteFile(up("etc", "init.d", "mesos-slave"), []byte(initd), 0o755); err != nil {
		return err
	}
	journal := "#!/bin/sh\n# journalctl shim of the mesosctl test cluster: shows the agent's console log.\n" +
		"n=+1; f=\nwhile [ $# -gt 0 ]; do case \"$1\" in\n" +
		"  -f|--follow) f=-f;;\n  -n|--lines) n=$2; shift;;\n  -n*) n=${1#-n};;\n  --lines=*) n=${1#--lines=};;\n" +
		"  -e|--pager-end) n=1000;;\nesac; shift; done\n" +
		"exec tail $f -n \"$n\" " + AgentConsole + "\n"
	if err := os.WriteFile(filepath.Join(s.Dir, "journalctl"), []byte(journal), 0o755); err != nil {
		return err
	}
	for _, name := range []string{"mesos-slave", "mesos-agent"} {
		if err := os.Symlink(s.AgentExe, up("usr-sbin", name)); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
	}
	if err := runQuiet("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "root@"+s.Name, "-f", s.hostKey()); err != nil {
		return err
	}
	sshd := fmt.Sprintf(`# sshd of test cluster node %[1]s (runs inside the node's namespaces)
ListenAddress %[2]s:%[3]d
HostKey %[4]s
PidFile /run/sshd.pid
AuthorizedKeysFile %[5]s
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
StrictModes no
PrintMotd no
MaxStartups 200:30:400
MaxSessions 100
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
`, s.Name, s.IP, s.SSHPort, s.hostKey(), s.authorizedKeys())
	if err := os.WriteFile(s.sshdConfig(), []byte(sshd), 0o644); err != nil {
		return err
	}
	shim := fmt.Sprintf("#!/bin/sh\n# systemctl shim of the mesosctl test cluster: acts on this node's agent.\nexec %s systemctl --spec %s -- \"$@\"\n",
		shell.Quote(s.HarnessExe), shell.Quote(s.specPath()))
	if err := os.WriteFile(s.shimPath(), []byte(shim), 0o755); err != nil {
		return err
	}
	return writeJSON(s.specPath(), s)
}

// WaitAgent waits until the node's agent answers GET /state.
func (c *Cluster) WaitAgent(node string, timeout time.Duration) error {
	n, err := c.Node(node)
	if err != nil {
		return err
	}
	url := fmt.Sprintf("http://%s:%d/state", n.IP, c.AgentPort)
	client := &http.Client{Timeout: 2 * time.Second}
	var last error
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("HTTP %s", resp.Status)
		}
		last = err
	}
	return fmt.Errorf("%s: agent did not answer %s within %s (%v); console log: %s", node, url, timeout, last,
		tail(filepath.Join(n.Dir, "var-log-mesos", "mesos-slave.console.log")))
}

// Node returns the node with that name.
func (c *Cluster) Node(name string) (*Node, error) {
	for i := range c.Nodes {
		if c.Nodes[i].Name == name {
			return &c.Nodes[i], nil
		}
	}
	return nil, fmt.Errorf("no node %q in the test cluster", name)
}

// NodeNames lists the node names in order.
func (c *Cluster) NodeNames() []string {
	var names []string
	for _, n := range c.Nodes {
		names = append(names, n.Name)
	}
	return names
}

// SSH runs a command on a node with the real OpenSSH client and the
// cluster's ssh_config; it returns combined output.
func (c *Cluster) SSH(node, command string) (string, error) {
	out, err := exec.Command("ssh", "-F", c.SSHConfig, node, command).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("ssh %s %q: %w: %s", node, command, err, out)
	}
	return string(out), nil
}

// Env is the environment a person or a test uses to point mesosctl and
// ssh at the cluster.
func (c *Cluster) Env() []string {
	return []string{"MESOSCTL_CONFIG=" + c.ConfigFile}
}

// Load reads a cluster saved in dir (for down and status from another
// process).
func Load(dir string) (*Cluster, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(abs, StateFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no test cluster in %s (no %s)", abs, StateFile)
		}
		return nil, err
	}
	c := &Cluster{procs: map[int]*os.Process{}}
	if err := json.Unmarshal(b, c); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(abs, StateFile), err)
	}
	return c, nil
}
