package testcluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/mesosctl/mesosctl/internal/config"
	"github.com/mesosctl/mesosctl/internal/zkserver"
)

// The tests of the cluster itself run a stand-in agent (a shell script
// that starts a long-lived "executor" child and then waits), so they test
// namespaces, sshd, the systemctl shim and teardown independently of
// agentd. The e2e package runs the real agent.

var (
	bins   Binaries // mesosctl and mesosctl-testcluster, built for the tests
	shared *Cluster
)

const standInAgent = `#!/bin/sh
# stand-in for mesos-slave: records its arguments, starts an "executor"
# that must survive 'systemctl stop' (KillMode=process), then waits.
echo "$@" > /var/log/mesos/args
sleep 1000 &
echo $! >> /var/log/mesos/executors
while :; do sleep 1; done
`

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "testcluster tests need root (namespaces, mounts, sshd on port 22)")
		return 1
	}
	tmp, err := os.MkdirTemp("", "testcluster-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	if bins, err = Build(tmp); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	agent := filepath.Join(tmp, "stand-in-agent")
	if err := os.WriteFile(agent, []byte(standInAgent), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	shared, err = Start(Options{Binaries: bins, AgentExe: agent, NoAgent: true, Subnet: "127.0.201", KillWithParent: true, Log: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the test cluster:", err)
		return 1
	}
	code := m.Run()
	if err := shared.Down(); err != nil {
		fmt.Fprintln(os.Stderr, "tearing the test cluster down:", err)
		code = 1
	}
	if left := Leftovers(shared, nil); len(left) > 0 {
		fmt.Fprintln(os.Stderr, "left after teardown:\n  "+strings.Join(left, "\n  "))
		code = 1
	}
	return code
}

func ssh(t *testing.T, c *Cluster, node, command string) string {
	t.Helper()
	out, err := c.SSH(node, command)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestNodesHaveTheirOwnHostnameFilesAndProcesses(t *testing.T) {
	for i, n := range shared.Nodes {
		if n.Name != fmt.Sprintf("lxb%03d", i+1) || n.IP != fmt.Sprintf("127.0.201.%d", i+1) {
			t.Errorf("node %d = %s %s", i, n.Name, n.IP)
		}
		if got := strings.TrimSpace(ssh(t, shared, n.Name, "hostname")); got != n.Name {
			t.Errorf("hostname on %s = %q", n.Name, got)
		}
	}
	// Names resolve inside the nodes; /etc/hostname is the node's.
	if out := ssh(t, shared, "lxb001", "cat /etc/hostname; getent hosts lxb004"); out != "lxb001\n127.0.201.4     lxb004\n" {
		t.Errorf("lxb001 /etc/hostname, getent hosts lxb004: %q", out)
	}
	if out := ssh(t, shared, "lxb002", "cat /etc/mesos/zk"); out != shared.ZooKeeper+"\n" {
		t.Errorf("lxb002 /etc/mesos/zk = %q", out)
	}
	// /etc/mesos-slave is per node and backed by the node dir on the host.
	ssh(t, shared, "lxb001", "echo os:centos7 > /etc/mesos-slave/attributes")
	b, err := os.ReadFile(filepath.Join(shared.Nodes[0].Dir, "etc-mesos-slave", "attributes"))
	if err != nil || string(b) != "os:centos7\n" {
		t.Errorf("host side of lxb001:/etc/mesos-slave/attributes = %q, %v", b, err)
	}
	if out, err := shared.SSH("lxb002", "cat /etc/mesos-slave/attributes"); err == nil {
		t.Errorf("lxb002 sees lxb001's attributes: %q", out)
	}
	for _, p := range []string{"/var/lib/mesos", "/var/log/mesos", "/usr/sbin/mesos-slave", "/usr/sbin/mesos-agent", "/run/sshd"} {
		ssh(t, shared, "lxb003", "test -e "+p)
	}
	// /root is the node's own stock home, not the host's.
	ssh(t, shared, "lxb003", "touch /root/node-only")
	if _, err := os.Stat("/root/node-only"); err == nil {
		os.Remove("/root/node-only")
		t.Error("a file written to lxb003:/root appeared in the host's /root")
	}
	if _, err := os.Stat(filepath.Join(shared.Nodes[2].Dir, "root", "node-only")); err != nil {
		t.Errorf("lxb003:/root is not its node home: %v", err)
	}
	// PID namespace: PID 1 is the node init, ps sees only the node.
	out := ssh(t, shared, "lxb002", "cat /proc/1/cmdline | tr '\\0' ' '; echo; ps -e --no-headers | wc -l")
	if !strings.Contains(out, "node-init") || !strings.Contains(out, "lxb002") {
		t.Errorf("PID 1 of lxb002: %q", out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if n, _ := strconv.Atoi(lines[len(lines)-1]); n == 0 || n > 20 {
		t.Errorf("lxb002 sees %d processes, want only its own few", n)
	}
	// The host is unchanged.
	for _, p := range []string{"/etc/mesos-slave", "/var/lib/mesos", "/var/log/mesos", "/usr/sbin/mesos-slave"} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s exists on the host", p)
		}
	}
}

func TestSystemctlShimManagesTheNodesAgent(t *testing.T) {
	node := "lxb004"
	out, err := shared.SSH(node, "systemctl is-active mesos-slave")
	if err == nil || strings.TrimSpace(out) != "inactive" {
		t.Fatalf("before start: %q, %v (want inactive, exit 3)", out, err)
	}
	ssh(t, shared, node, "systemctl start mesos-slave")
	t.Cleanup(func() { _, _ = shared.SSH(node, "systemctl stop mesos-slave") })
	out = ssh(t, shared, node, "systemctl status mesos-slave; systemctl is-active mesos-slave.service")
	if !strings.Contains(out, "Active: active (running)") || !strings.HasSuffix(out, "active\n") {
		t.Errorf("status:\n%s", out)
	}
	args := ssh(t, shared, node, "cat /var/log/mesos/args")
	n, _ := shared.Node(node)
	want := fmt.Sprintf("--ip=%s --port=5051 --work_dir=/var/lib/mesos --log_dir=/var/log/mesos --master=%s", n.IP, shared.ZooKeeper)
	if strings.TrimSpace(args) != want {
		t.Errorf("agent args = %q, want %q", args, want)
	}
	// The seed's ps shows the agent with its arguments.
	if ps := ssh(t, shared, node, "ps -eo args | grep [m]esos-slave"); !strings.Contains(ps, "/usr/sbin/mesos-slave --ip="+n.IP) {
		t.Errorf("ps: %q", ps)
	}
	pid1 := ssh(t, shared, node, "cat /run/mesos-slave.pid")
	ssh(t, shared, node, "systemctl restart mesos-slave")
	pid2 := ssh(t, shared, node, "cat /run/mesos-slave.pid")
	if pid1 == pid2 {
		t.Errorf("restart kept pid %s", pid1)
	}
	// KillMode=process: the executors of the first agent still run.
	execs := strings.Fields(ssh(t, shared, node, "cat /var/log/mesos/executors"))
	if len(execs) != 2 {
		t.Fatalf("executors: %v", execs)
	}
	ssh(t, shared, node, "kill -0 "+execs[0])
	ssh(t, shared, node, "systemctl stop mesos-slave")
	if out, err := shared.SSH(node, "systemctl is-active mesos-slave"); err == nil {
		t.Errorf("after stop: %q", out)
	}
	ssh(t, shared, node, "kill -0 "+execs[1])
	// The other ways operators touch the service: service(8) and journalctl.
	ssh(t, shared, node, "service mesos-slave restart && systemctl -q is-active mesos-slave")
	if out := ssh(t, shared, node, "echo console-line >> /var/log/mesos/mesos-slave.console.log; journalctl -u mesos-slave -n 1 --no-pager"); out != "console-line\n" {
		t.Errorf("journalctl -u mesos-slave -n 1: %q", out)
	}
	// stop and try-restart of a stopped agent, start of a running one:
	// no-ops that succeed, as with systemd.
	ssh(t, shared, node, "systemctl stop mesos-slave && systemctl try-restart mesos-slave && ! systemctl -q is-active mesos-slave")
	ssh(t, shared, node, "systemctl --no-pager start mesos-slave.service && p=$(cat /run/mesos-slave.pid) && systemctl start mesos-slave && test $p = $(cat /run/mesos-slave.pid)")
	ssh(t, shared, node, "systemctl stop mesos-slave")
	// Other nodes are not affected.
	if out, err := shared.SSH("lxb003", "systemctl is-active mesos-slave"); err == nil {
		t.Errorf("lxb003: %q", out)
	}
}

func TestSystemctlShimErrors(t *testing.T) {
	for _, tc := range []struct {
		cmd, want string
		code      int
	}{
		{"systemctl restart docker", "Unit docker.service not found", 5},
		{"systemctl frobnicate mesos-slave", `unsupported verb "frobnicate"`, 1},
		{"systemctl restart", "Too few arguments", 1},
	} {
		out, err := shared.SSH("lxb001", tc.cmd)
		ee, ok := errorsAsExit(err)
		if !ok || ee != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("%s: exit %d (%v), output %q; want exit %d and %q", tc.cmd, ee, err, out, tc.code, tc.want)
		}
	}
	// An agent that exits at once is reported with its console output.
	// (/usr/sbin is the node's own overlay: the host is not touched.)
	ssh(t, shared, "lxb001", `mv /usr/sbin/mesos-slave /usr/sbin/mesos-slave.off && printf '#!/bin/sh\necho "unknown flag --frob" >&2\nexit 1\n' > /usr/sbin/mesos-slave && chmod +x /usr/sbin/mesos-slave`)
	t.Cleanup(func() { ssh(t, shared, "lxb001", "mv -f /usr/sbin/mesos-slave.off /usr/sbin/mesos-slave") })
	out, err := shared.SSH("lxb001", "systemctl restart mesos-slave")
	if code, _ := errorsAsExit(err); code != 1 || !strings.Contains(out, "Job for mesos-slave.service failed") || !strings.Contains(out, "unknown flag --frob") {
		t.Errorf("failing agent: exit %d, %q", code, out)
	}
}

func errorsAsExit(err error) (int, bool) {
	for err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return 0, false
		}
		err = u.Unwrap()
	}
	return 0, false
}

func TestClientFiles(t *testing.T) {
	b, err := os.ReadFile(shared.ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	var cfg config.Config
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatalf("config.yaml: %v\n%s", err, b)
	}
	if cfg.Defaults.ZooKeeper != shared.ZooKeeper || len(cfg.Nodes) != 4 || cfg.Nodes[2].Address != "127.0.201.3" ||
		cfg.Nodes[0].RestartCommand != "systemctl restart mesos-slave" || cfg.Nodes[0].AgentPort != 5051 ||
		cfg.Nodes[0].SSHUser != "root" || strings.Join(cfg.Groups["mesos-agents"], ",") != "lxb001,lxb002,lxb003,lxb004" {
		t.Errorf("config.yaml:\n%s", b)
	}
	// mesosctl itself loads the inventory (strict config loading).
	for _, tc := range []struct{ args, want string }{
		{"ip lxb003", "127.0.201.3\n"},
		{"nodeset -e @mesos-agents", "lxb001 lxb002 lxb003 lxb004\n"},
	} {
		out, err := exec.Command(bins.Mesosctl, append([]string{"--config", shared.ConfigFile}, strings.Fields(tc.args)...)...).CombinedOutput()
		if err != nil || string(out) != tc.want {
			t.Errorf("mesosctl --config config.yaml %s: %q, %v; want %q", tc.args, out, err, tc.want)
		}
	}
	// Plain OpenSSH with the written ssh_config and known_hosts, strict
	// host key checking, by name.
	out, err := exec.Command("ssh", "-F", shared.SSHConfig, "-o", "StrictHostKeyChecking=yes", "lxb003", "hostname").CombinedOutput()
	if err != nil || string(out) != "lxb003\n" {
		t.Errorf("ssh -F ssh_config lxb003 hostname: %q, %v", out, err)
	}
}

func TestZooKeeperAnswers(t *testing.T) {
	if !zkserver.Ruok(fmt.Sprintf("127.0.0.1:%d", shared.ZKPort)) {
		t.Fatalf("ZooKeeper on %d does not answer ruok", shared.ZKPort)
	}
	if st := shared.Status(); !st.ZooKeeper || !st.Nodes[0].SSHD || st.Nodes[0].Agent {
		t.Errorf("status = %+v", st)
	}
}

// TestTeardownLeavesNothing starts its own cluster, puts a node process
// into a cgroup under <hierarchy>/mesos the way the agent does for a
// container, and checks that Down removes processes, mounts, cgroups and
// the cluster dir.
func TestTeardownLeavesNothing(t *testing.T) {
	c, err := Start(Options{Binaries: bins, NoAgent: true, Nodes: 2, Subnet: "127.0.203", KillWithParent: true, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	downed := false
	t.Cleanup(func() {
		if !downed {
			_ = c.Down()
		}
	})
	var cgroups []string
	for i, h := range []string{"cpu", "memory", "freezer", "unified"} {
		cg := filepath.Join(cgroupRoot, h, "mesos", fmt.Sprintf("testcluster-%d-%d", os.Getpid(), i))
		if err := os.MkdirAll(cg, 0o755); err != nil {
			t.Fatalf("cgroup %s: %v (need writable cgroups)", cg, err)
		}
		cgroups = append(cgroups, cg)
		// A task process inside the node, moved into the cgroup.
		out := ssh(t, c, "lxb002", "sleep 1000 >/dev/null 2>&1 & echo $!")
		nsPid := strings.TrimSpace(out)
		hostPid := hostPidOf(t, c.Nodes[1].InitPid, nsPid)
		if err := os.WriteFile(filepath.Join(cg, "cgroup.procs"), []byte(hostPid), 0o644); err != nil {
			t.Fatalf("moving %s into %s: %v", hostPid, cg, err)
		}
	}
	// A frozen container must not block teardown.
	if err := os.WriteFile(filepath.Join(cgroups[2], "freezer.state"), []byte("FROZEN"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := c.Cgroups(); len(got) != len(cgroups) {
		t.Errorf("Cgroups() = %v, want %v", got, cgroups)
	}
	if err := c.Down(); err != nil {
		t.Fatal(err)
	}
	downed = true
	if left := Leftovers(c, cgroups); len(left) > 0 {
		t.Errorf("left after Down:\n  %s", strings.Join(left, "\n  "))
	}
}

// hostPidOf maps a pid inside a node to the host pid via NSpid.
func hostPidOf(t *testing.T, initPid int, nsPid string) string {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/status")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			f := strings.Fields(l)
			if len(f) == 3 && f[0] == "NSpid:" && f[2] == nsPid {
				host := f[1]
				if ns, err := os.Readlink("/proc/" + host + "/ns/pid"); err == nil {
					if initNs, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", initPid)); ns == initNs {
						return host
					}
				}
			}
		}
	}
	t.Fatalf("no host pid for node pid %s", nsPid)
	return ""
}

func TestStartRefusesBusyAddressesAndBadOptions(t *testing.T) {
	if _, err := Start(Options{Binaries: bins, NoAgent: true, Nodes: 1, Subnet: "127.0.201"}); err == nil ||
		!strings.Contains(err.Error(), "127.0.201.1:22 is in use") {
		t.Errorf("second cluster on the same addresses: %v", err)
	}
	if _, err := Start(Options{Binaries: bins, Subnet: "10.0.0"}); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("non-loopback subnet: %v", err)
	}
	if _, err := Start(Options{}); err == nil || !strings.Contains(err.Error(), "binary") {
		t.Errorf("no binary: %v", err)
	}
	if _, err := Start(Options{Binaries: bins, Dir: shared.Dir}); err == nil || !strings.Contains(err.Error(), "already up") {
		t.Errorf("same dir: %v", err)
	}
}

// TestDownAfterTheNodesDied: down still cleans up when the node inits and
// ZooKeeper are already gone (a crash, kill -9).
func TestDownAfterTheNodesDied(t *testing.T) {
	c, err := Start(Options{Binaries: bins, NoAgent: true, Nodes: 1, Subnet: "127.0.206", KillWithParent: true})
	if err != nil {
		t.Fatal(err)
	}
	_ = syscall.Kill(c.Nodes[0].InitPid, syscall.SIGKILL)
	_ = syscall.Kill(-c.ZKPid, syscall.SIGKILL)
	time.Sleep(100 * time.Millisecond)
	loaded, err := Load(c.Dir)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if err := loaded.Down(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > 20*time.Second {
		t.Errorf("Down took %s", d)
	}
	if err := c.Down(); err != nil { // reaps our child; the dir is gone
		t.Fatal(err)
	}
	if left := Leftovers(c, nil); len(left) > 0 {
		t.Errorf("left: %v", left)
	}
}
