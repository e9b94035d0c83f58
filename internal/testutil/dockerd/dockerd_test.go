package dockerd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// linkNames parses `ip -o link` output (ours or busybox's) into interface
// names without the @peer suffix.
func linkNames(out string) []string {
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func hostLinks(t *testing.T) []string {
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, i := range ifs {
		names = append(names, i.Name)
	}
	slices.Sort(names)
	return names
}

func TestEchoWithNetworkNone(t *testing.T) {
	e := Shared(t)
	before := hostLinks(t)
	out, err := e.Output(ctx(t), "run", "--rm", "--network=none", Image, "echo", "hello from none")
	if err != nil || out != "hello from none" {
		t.Fatalf("echo: %q, %v", out, err)
	}
	out, err = e.Output(ctx(t), "run", "--rm", "--network=none", Image, "ip", "-o", "link")
	if err != nil {
		t.Fatal(err)
	}
	if got := linkNames(out); !slices.Equal(got, []string{"lo"}) {
		t.Errorf("--network=none container sees interfaces %v, want only lo:\n%s", got, out)
	}
	if after := hostLinks(t); !slices.Equal(before, after) {
		t.Errorf("host interfaces changed: %v -> %v", before, after)
	}
}

func TestEchoWithNetworkHost(t *testing.T) {
	e := Shared(t)
	before := hostLinks(t)
	out, err := e.Output(ctx(t), "run", "--rm", "--network=host", Image, "echo", "hello from host")
	if err != nil || out != "hello from host" {
		t.Fatalf("echo: %q, %v", out, err)
	}
	out, err = e.Output(ctx(t), "run", "--rm", "--network=host", Image, "ip", "-o", "link")
	if err != nil {
		t.Fatal(err)
	}
	if got := linkNames(out); !slices.Equal(got, before) {
		t.Errorf("--network=host container sees interfaces %v, the host has %v", got, before)
	}
	host, _ := os.Hostname()
	if out, err := e.Output(ctx(t), "run", "--rm", "--network=host", Image, "hostname"); err != nil || out != host {
		t.Errorf("hostname in a --network=host container: %q, %v; want %q", out, err, host)
	}
	if e.Started {
		// Host-network containers get dockerd's resolv.conf: loopback only.
		out, err := e.Output(ctx(t), "run", "--rm", "--network=host", Image, "grep", "^nameserver", "/etc/resolv.conf")
		if err != nil || out != "nameserver 127.0.0.1" {
			t.Errorf("resolv.conf of a --network=host container: %q, %v", out, err)
		}
	}
	if after := hostLinks(t); !slices.Equal(before, after) {
		t.Errorf("host interfaces changed: %v -> %v", before, after)
	}
}

// TestImage checks the locally built image: its applets, users, label,
// and that EnsureImage does not import it again.
func TestImage(t *testing.T) {
	e := Shared(t)
	id1, err := e.Output(ctx(t), "image", "inspect", "--format", "{{.Id}}", Image)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.EnsureImage(ctx(t)); err != nil {
		t.Fatal(err)
	}
	id2, _ := e.Output(ctx(t), "image", "inspect", "--format", "{{.Id}}", Image)
	if id1 != id2 {
		t.Errorf("EnsureImage imported again: %s -> %s", id1, id2)
	}
	script := "for a in " + strings.Join(RequiredApplets, " ") + "; do command -v $a >/dev/null || echo missing $a; done; id; id nobody; echo PATH=$PATH; cat /etc/hostname >/dev/null && echo ok"
	out, err := e.Output(ctx(t), "run", "--rm", "--network=none", Image, "sh", "-c", script)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"uid=0(root) gid=0(root)", "uid=65534(nobody)", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "ok"} {
		if !strings.Contains(out, want) {
			t.Errorf("image output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "missing") {
		t.Errorf("applets missing:\n%s", out)
	}
	// The default command is sh: a script on stdin runs.
	cmd := e.Command(ctx(t), "run", "--rm", "-i", "--network=none", Image)
	cmd.Stdin = strings.NewReader("echo from-stdin\n")
	if b, err := cmd.Output(); err != nil || strings.TrimSpace(string(b)) != "from-stdin" {
		t.Errorf("default command: %q, %v", b, err)
	}
}

// TestResourcesApplied runs a container with --cpu-shares and --memory
// and reads them back through docker inspect and from the container's
// cgroups, and checks where its main process hangs.
func TestResourcesApplied(t *testing.T) {
	e := Shared(t)
	t.Logf("engine %s: cgroup v%s, %s driver, storage %s", e.Info.ServerVersion, e.Info.CgroupVersion, e.Info.CgroupDriver, e.Info.Driver)
	name := "mesosctl-test-resources"
	id, err := e.Output(ctx(t), "run", "--detach", "--name", name, "--network=none", "--cpu-shares=512", "--memory=64m", Image, "sleep", "300")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = e.Output(context.Background(), "rm", "--force", id) })

	out, err := e.Output(ctx(t), "inspect", "--format", "{{.HostConfig.CpuShares}} {{.HostConfig.Memory}}", name)
	if err != nil || out != "512 67108864" {
		t.Errorf("inspect CpuShares Memory = %q, %v; want 512 67108864", out, err)
	}
	pid, err := e.MainPid(ctx(t), name)
	if err != nil || pid <= 0 {
		t.Fatalf("main pid %d, %v", pid, err)
	}
	if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); strings.TrimSpace(string(comm)) != "sleep" {
		t.Errorf("pid %d from .State.Pid is %q, want sleep", pid, comm)
	}
	// The container's main process is a child of containerd's shim, which
	// the shim's daemonizing left under PID 1: neither dockerd nor the
	// docker client is its ancestor.
	ppid := parentOf(t, pid)
	if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", ppid)); !strings.HasPrefix(string(comm), "containerd-shim") {
		t.Errorf("parent %d of the container's main process is %q, want containerd-shim-runc-v2", ppid, comm)
	}
	if cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", ppid)); !strings.Contains(string(cmdline), id) {
		t.Errorf("shim %d does not name container %s: %q", ppid, id, cmdline)
	}

	cpuDir, v2, err := CgroupDir(pid, "cpu")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cpuDir, id) {
		t.Errorf("cgroup %s does not name container %s", cpuDir, id)
	}
	if v2 {
		// dockerd maps shares to weight: 1 + ((shares-2)*9999)/262142.
		if w, err := ReadCgroupFile(pid, "cpu", "cpu.weight"); err != nil || w != strconv.Itoa(1+((512-2)*9999)/262142) {
			t.Errorf("cpu.weight = %q, %v", w, err)
		}
		if m, err := ReadCgroupFile(pid, "memory", "memory.max"); err != nil || m != "67108864" {
			t.Errorf("memory.max = %q, %v", m, err)
		}
	} else {
		if s, err := ReadCgroupFile(pid, "cpu", "cpu.shares"); err != nil || s != "512" {
			t.Errorf("cpu.shares = %q, %v", s, err)
		}
		if m, err := ReadCgroupFile(pid, "memory", "memory.limit_in_bytes"); err != nil || m != "67108864" {
			t.Errorf("memory.limit_in_bytes = %q, %v", m, err)
		}
	}
	t.Logf("main pid %d under shim %d; cpu cgroup %s (v2=%v)", pid, ppid, cpuDir, v2)
}

func parentOf(t *testing.T, pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		t.Fatal(err)
	}
	return ppid
}

// TestMissingImage: a missing image is pulled, and the pull fails at once
// on the closed loopback proxy without any packet leaving the machine;
// --pull=never fails without trying.
func TestMissingImage(t *testing.T) {
	e := Shared(t)
	if e.Started {
		if e.Info.HTTPSProxy != ClosedProxy || e.Info.HTTPProxy != ClosedProxy {
			t.Errorf("docker info proxies = %q %q, want %s", e.Info.HTTPProxy, e.Info.HTTPSProxy, ClosedProxy)
		}
		// dockerd resolves names itself (it looks up "docker.io" before a
		// pull): in its mount namespace resolv.conf names only loopback.
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/root/etc/resolv.conf", e.Pid()))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "nameserver" && f[1] != "127.0.0.1" {
				t.Errorf("dockerd's resolv.conf names %s:\n%s", f[1], b)
			}
		}
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"run", "--rm", "--network=none", "mesosctl-test/missing:latest", "true"},
			[]string{"Unable to find image 'mesosctl-test/missing:latest' locally", `Get "https://registry-1.docker.io/v2/"`, "proxyconnect tcp: dial tcp 127.0.0.1:1"}},
		{[]string{"pull", "mesosctl-test/missing:1"},
			[]string{`Get "https://registry-1.docker.io/v2/"`, "proxyconnect tcp: dial tcp 127.0.0.1:1"}},
		{[]string{"pull", "registry.invalid/mesosctl-test/missing:1"},
			[]string{`Get "https://registry.invalid/v2/"`, "proxyconnect tcp: dial tcp 127.0.0.1:1"}},
		{[]string{"run", "--rm", "--pull=never", "--network=none", "mesosctl-test/missing:latest", "true"},
			[]string{"No such image: mesosctl-test/missing:latest"}},
	} {
		t0 := time.Now()
		_, err := e.Output(ctx(t), c.args...)
		took := time.Since(t0)
		var ce *CommandError
		if !errors.As(err, &ce) {
			t.Errorf("docker %s: %v, want a failure", strings.Join(c.args, " "), err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(ce.Stderr, w) {
				t.Errorf("docker %s: stderr lacks %q:\n%s", strings.Join(c.args, " "), w, ce.Stderr)
			}
		}
		t.Logf("docker %s failed in %v (exit %d): %s", strings.Join(c.args, " "), took.Round(time.Millisecond), ce.ExitCode(), ce.Stderr)
	}
}

// TestStopLeavesNothing starts an engine of its own next to the shared
// one, leaves a container running that ignores SIGTERM, and stops it.
func TestStopLeavesNothing(t *testing.T) {
	fwd, _ := os.ReadFile("/proc/sys/net/ipv4/ip_forward")
	linksBefore := hostLinks(t)
	e, err := launchTemp("")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("dockerd answered after %v", e.StartupTime.Round(time.Millisecond))
	if err := e.EnsureImage(ctx(t)); err != nil {
		t.Fatal(err)
	}
	id, err := e.Output(ctx(t), "run", "--detach", "--network=none", Image, "sleep", "1000")
	if err != nil {
		t.Fatal(err)
	}
	pid, err := e.MainPid(ctx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	cg, _, err := CgroupDir(pid, "pids")
	if err != nil {
		t.Fatal(err)
	}
	dockerdPid := e.Pid()
	if ms := mountsUnder(e.Dir); len(ms) > 0 {
		t.Errorf("the engine's mounts show in the host's mount namespace: %v", ms)
	}
	t0 := time.Now()
	if err := stopTemp(e); err != nil {
		t.Fatal(err)
	}
	t.Logf("stopped in %v", time.Since(t0).Round(time.Millisecond))
	if left := e.Leftovers(); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
	for _, p := range []int{pid, dockerdPid} {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d/cmdline", p)); err == nil {
			if st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p)); !strings.Contains(string(st), ") Z ") {
				t.Errorf("process %d still runs", p)
			}
		}
	}
	if _, err := os.Stat(cg); err == nil {
		t.Errorf("container cgroup %s left", cg)
	}
	if _, err := os.Stat(e.Dir); err == nil {
		t.Errorf("engine dir %s left", e.Dir)
	}
	if after := hostLinks(t); !slices.Equal(linksBefore, after) {
		t.Errorf("host interfaces changed: %v -> %v", linksBefore, after)
	}
	if fwd2, _ := os.ReadFile("/proc/sys/net/ipv4/ip_forward"); string(fwd) != string(fwd2) {
		t.Errorf("net.ipv4.ip_forward changed: %q -> %q", fwd, fwd2)
	}
}

// TestSweepStale: the engine of a test process that died (its dockerd
// killed with it, its shim and container still running) is cleaned up by
// the next one.
func TestSweepStale(t *testing.T) {
	dir, err := os.MkdirTemp("", StalePrefix)
	if err != nil {
		t.Fatal(err)
	}
	e, err := Launch(Options{Dir: dir, DieWithParent: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = stopTemp(e) }()
	if err := e.EnsureImage(ctx(t)); err != nil {
		t.Fatal(err)
	}
	id, err := e.Output(ctx(t), "run", "--detach", "--network=none", Image, "sleep", "1000")
	if err != nil {
		t.Fatal(err)
	}
	pid, err := e.MainPid(ctx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	// The owner dies: dockerd gets its parent-death SIGKILL; the shim and
	// the container live on.
	dead := exec.Command("true")
	if err := dead.Start(); err != nil {
		t.Fatal(err)
	}
	st, err := startTime(dead.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	_ = dead.Wait()
	if err := os.WriteFile(filepath.Join(dir, "owner"), fmt.Appendf(nil, "%d %s\n", dead.Process.Pid, st), 0o644); err != nil {
		t.Fatal(err)
	}
	dockerdPid := e.Pid()
	_ = unix.Kill(dockerdPid, unix.SIGKILL)
	<-e.exited
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
		t.Fatalf("the container died with dockerd: %v", err)
	}
	if err := SweepStale(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("stale engine dir %s left", dir)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
		if st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); !strings.Contains(string(st), ") Z ") {
			t.Errorf("the stale engine's container process %d still runs", pid)
		}
	}
	if ps := processesOf(dir); len(ps) > 0 {
		t.Errorf("processes of the stale engine left: %v", ps)
	}
}
