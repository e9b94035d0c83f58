// Package dockerd gives tests (and, through Launch, the demo) a real Docker
// engine: Debian's docker.io dockerd, started by the harness when none
// answers on the chosen socket, with everything of its own under one
// directory and nothing that reaches beyond this machine's loopback.
//
// An engine started here runs as
//
//	unshare --mount --propagation slave sh -c '<namespace set-up>; exec dockerd …'
//
// with --bridge=none --iptables=false --ip6tables=false --ip-forward=false
// --ip-masq=false (no docker0, no firewall or sysctl change, no private-range
// address), --exec-opt native.cgroupdriver=cgroupfs, its own --config-file
// (an empty one: the machine's /etc/docker/daemon.json is not read),
// --data-root, --exec-root, --pidfile and unix socket under the engine's
// directory. In its private mount namespace it gets
//
//   - a private tmpfs on /run: the supervised containerd, its shim sockets
//     (/run/containerd/s) and dockerd's /run/docker/plugins stay private and
//     vanish with the engine, and a system containerd's socket is never
//     picked up in place of the engine's own;
//   - /etc/resolv.conf naming only 127.0.0.1: every name dockerd resolves
//     (registry hosts — it looks up "docker.io" itself before a pull) is
//     asked of loopback, and the same file is what --network=host
//     containers get;
//   - HTTP_PROXY and HTTPS_PROXY pointing at a closed loopback port
//     (ClosedProxy): a pull from any registry that is not on loopback fails
//     at once with "proxyconnect tcp: dial tcp 127.0.0.1:1: connect:
//     connection refused", and no packet leaves the machine. Registries on
//     127.0.0.0/8 are reached directly (Go never proxies loopback).
//
// Test images are built locally with docker import from a busybox-static
// root filesystem (see Rootfs and EnsureImage): no registry is contacted.
//
// Stop removes every container, stops dockerd, kills whatever is left of
// its containerd shims and container processes, removes their cgroups and
// the engine's directory, and reports anything left (Leftovers).
package dockerd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Binaries of Debian's docker.io package and util-linux.
const (
	DockerdBinary = "/usr/sbin/dockerd"
	// CLIBinary is Debian's docker client, the one that matches the
	// engine. (A docker found first on $PATH may be another build.)
	CLIBinary     = "/usr/bin/docker"
	UnshareBinary = "/usr/bin/unshare"
)

// ClosedProxy is the HTTP(S) proxy dockerd is given: a loopback port where
// nothing listens, so that registry traffic fails at once on loopback.
const ClosedProxy = "http://127.0.0.1:1"

// Options say where and how to run an engine.
type Options struct {
	// Dir holds the engine: daemon.json, resolv.conf, data/ (--data-root),
	// exec/ (--exec-root), dockerd.pid, dockerd.log, the client's config
	// dir. Created if missing; removed by Stop. Required. Directories named
	// StalePrefix* in os.TempDir() belong to test processes and are swept
	// (SweepStale) once the process that launched them is gone: an engine
	// meant to outlive its launcher (the demo's) must live elsewhere.
	Dir string
	// Socket is the unix socket to use. If a Docker engine already answers
	// there, it is used as it is and never stopped. Default <Dir>/docker.sock.
	// It must not be under /run: the engine's /run is private.
	Socket string
	// Timeout bounds the wait for dockerd to answer (default 60s).
	Timeout time.Duration
	// DieWithParent kills dockerd when the starting process dies (its
	// shims and containers are then left for SweepStale or Stop).
	DieWithParent bool
}

// Info is what `docker info` says of the engine.
type Info struct {
	ServerVersion string
	CgroupDriver  string // "cgroupfs" or "systemd"
	CgroupVersion string // "1" or "2"
	Driver        string // storage driver, e.g. overlay2
	DockerRootDir string
	HTTPProxy     string
	HTTPSProxy    string
}

// Engine is a Docker engine the tests talk to.
type Engine struct {
	Socket string // unix socket path
	Host   string // "unix://<Socket>": docker -H, DOCKER_HOST, agentd --docker_socket takes Socket
	Dir    string
	Info   Info
	// Started is true when this process started dockerd (and Stop stops it).
	Started bool
	// StartupTime is how long dockerd took from exec to answering /_ping.
	StartupTime time.Duration

	cliConfig  string
	linksAt    []string // docker*/br-* interfaces present before the start
	newParents []string // <hierarchy>/docker cgroups that did not exist before the start

	mu      sync.Mutex
	pid     int
	exited  chan struct{}
	waitErr error
}

// Pid is dockerd's process id; 0 when the engine is not ours or stopped.
func (e *Engine) Pid() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.pid
}

// LogFile is dockerd's log (stdout and stderr).
func (e *Engine) LogFile() string { return filepath.Join(e.Dir, "dockerd.log") }

// DataRoot is the engine's --data-root (when started here).
func (e *Engine) DataRoot() string { return filepath.Join(e.Dir, "data") }

// ExecRoot is the engine's --exec-root (when started here).
func (e *Engine) ExecRoot() string { return filepath.Join(e.Dir, "exec") }

func (e *Engine) pidFile() string { return filepath.Join(e.Dir, "dockerd.pid") }

// Installed reports what is missing to run an engine, as an error that
// says how to install it; nil when everything is there.
func Installed() error {
	for _, b := range []struct{ path, pkg string }{
		{DockerdBinary, "docker.io"}, {CLIBinary, "docker.io"}, {UnshareBinary, "util-linux"},
	} {
		if _, err := os.Stat(b.path); err != nil {
			return fmt.Errorf("Docker engine not available: %s is missing; install the Debian package %s (scripts/install-deps.sh)", b.path, b.pkg)
		}
	}
	return nil
}

// Launch uses the engine that answers on o.Socket, or starts one.
func Launch(o Options) (*Engine, error) {
	if o.Dir == "" {
		return nil, errors.New("dockerd: Options.Dir is required")
	}
	if err := Installed(); err != nil {
		return nil, err
	}
	if o.Socket == "" {
		o.Socket = filepath.Join(o.Dir, "docker.sock")
	}
	if !filepath.IsAbs(o.Socket) {
		return nil, fmt.Errorf("dockerd: socket %q is not an absolute path", o.Socket)
	}
	if o.Timeout == 0 {
		o.Timeout = 60 * time.Second
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}
	if err := writeOwner(o.Dir); err != nil {
		return nil, err
	}
	e := &Engine{Socket: o.Socket, Host: "unix://" + o.Socket, Dir: o.Dir, cliConfig: filepath.Join(o.Dir, "cli")}
	if err := os.MkdirAll(e.cliConfig, 0o700); err != nil {
		return nil, err
	}
	if ping(o.Socket, time.Second) == nil {
		if err := e.readInfo(); err != nil {
			return nil, fmt.Errorf("the Docker engine on %s answers /_ping but not docker info: %w", o.Socket, err)
		}
		return e, nil
	}
	for _, p := range []string{"/run/", "/var/run/"} {
		if strings.HasPrefix(o.Socket, p) {
			return nil, fmt.Errorf("dockerd: no engine answers on %s, and one started here cannot listen under /run (its /run is private): choose another socket path", o.Socket)
		}
	}
	if err := e.start(o); err != nil {
		return nil, err
	}
	return e, nil
}

// dockerdArgs is dockerd's command line for an engine in dir listening on
// socket.
func dockerdArgs(dir, socket string) []string {
	args := []string{
		"--config-file=" + filepath.Join(dir, "daemon.json"),
		"--data-root=" + filepath.Join(dir, "data"),
		"--exec-root=" + filepath.Join(dir, "exec"),
		"--pidfile=" + filepath.Join(dir, "dockerd.pid"),
		"--host=unix://" + socket,
		"--bridge=none",
		"--iptables=false",
		"--ip-forward=false",
		"--ip-masq=false",
		"--userland-proxy=false",
		"--exec-opt=native.cgroupdriver=cgroupfs",
	}
	if hasIP6Tables() {
		args = append(args, "--ip6tables=false")
	}
	return args
}

var ip6tables struct {
	once sync.Once
	has  bool
}

// hasIP6Tables reports whether this dockerd knows --ip6tables (20.10 on).
func hasIP6Tables() bool {
	ip6tables.once.Do(func() {
		out, _ := exec.Command(DockerdBinary, "--help").CombinedOutput()
		ip6tables.has = bytes.Contains(out, []byte("--ip6tables"))
	})
	return ip6tables.has
}

// nsSetup runs in the engine's new mount namespace before exec'ing
// dockerd ($0 is our resolv.conf; "$@" is dockerd's command line). A
// resolv.conf that is a symlink into /run (systemd-resolved) is recreated
// inside the private /run; any other is bind-mounted over.
const nsSetup = `set -e
t=$(readlink -m /etc/resolv.conf)
mount -t tmpfs -o mode=0755 mesosctl-dockerd-run /run
case "$t" in
/run/*) mkdir -p "${t%/*}"; cp "$0" "$t" ;;
*) if [ -e "$t" ]; then mount --bind "$0" "$t"; fi ;;
esac
exec "$@"`

const resolvConf = "# mesosctl test engine: names resolve on loopback only\nnameserver 127.0.0.1\noptions timeout:1 attempts:1\n"

func (e *Engine) start(o Options) error {
	if err := os.WriteFile(filepath.Join(e.Dir, "daemon.json"), []byte("{}\n"), 0o644); err != nil {
		return err
	}
	resolv := filepath.Join(e.Dir, "resolv.conf")
	if err := os.WriteFile(resolv, []byte(resolvConf), 0o644); err != nil {
		return err
	}
	e.linksAt = dockerLinks()
	e.newParents = missingCgroupParents()
	logf, err := os.OpenFile(e.LogFile(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	argv := append([]string{UnshareBinary, "--mount", "--propagation", "slave", "/bin/sh", "-c", nsSetup, resolv, DockerdBinary},
		dockerdArgs(e.Dir, e.Socket)...)
	cmd := &exec.Cmd{Path: UnshareBinary, Args: argv, Stdout: logf, Stderr: logf, Env: dockerdEnv()}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if o.DieWithParent {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	}
	t0 := time.Now()
	e.exited = make(chan struct{})
	started := make(chan error, 1)
	// The parent-death signal follows the thread that forked: fork from a
	// goroutine that keeps its thread for dockerd's whole life, so that no
	// other goroutine's thread exit can kill the engine.
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		e.mu.Lock()
		e.pid = cmd.Process.Pid
		e.mu.Unlock()
		started <- nil
		err := cmd.Wait()
		e.mu.Lock()
		e.waitErr, e.pid = err, 0
		e.mu.Unlock()
		close(e.exited)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("starting dockerd: %w", err)
	}
	e.Started = true
	deadline := time.Now().Add(o.Timeout)
	for {
		if ping(e.Socket, time.Second) == nil {
			break
		}
		select {
		case <-e.exited:
			e.Started = false
			return fmt.Errorf("dockerd exited at start (%v): %s", e.waitErr, e.logTail())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = e.Stop()
			return fmt.Errorf("dockerd did not answer on %s within %s: %s", e.Socket, o.Timeout, e.logTail())
		}
	}
	e.StartupTime = time.Since(t0)
	if err := e.readInfo(); err != nil {
		_ = e.Stop()
		return fmt.Errorf("docker info: %w", err)
	}
	return nil
}

// dockerdEnv is this process's environment without Docker client and proxy
// variables, plus the closed loopback proxy.
func dockerdEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(k) {
		case "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_CONTEXT",
			"DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "NOTIFY_SOCKET":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HTTP_PROXY="+ClosedProxy, "HTTPS_PROXY="+ClosedProxy)
}

// logTail is the end of dockerd's log, for error messages.
func (e *Engine) logTail() string {
	b, err := os.ReadFile(e.LogFile())
	if err != nil {
		return "no log: " + err.Error()
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return fmt.Sprintf("%s (log %s)", strings.TrimSpace(string(b)), e.LogFile())
}

// ping asks the engine on socket for /_ping.
func ping(socket string, timeout time.Duration) error {
	c := &http.Client{Timeout: timeout, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
	}}
	defer c.CloseIdleConnections()
	resp, err := c.Get("http://docker/_ping")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != "OK" {
		return fmt.Errorf("/_ping: %s %q", resp.Status, body)
	}
	return nil
}

func (e *Engine) readInfo() error {
	out, err := e.Output(context.Background(), "info", "--format", "{{json .}}")
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(out), &e.Info)
}

// Command is the docker client (CLIBinary) talking to this engine, with
// a private, empty client config (no credential helpers, no proxies
// injected into containers) and no DOCKER_* variables of the caller.
func (e *Engine) Command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, CLIBinary, args...)
	cmd.Env = append(e.Env(), "PATH="+os.Getenv("PATH"))
	return cmd
}

// Env is the environment that points a docker client at this engine:
// DOCKER_HOST and DOCKER_CONFIG (an empty config dir).
func (e *Engine) Env() []string {
	return []string{"DOCKER_HOST=" + e.Host, "DOCKER_CONFIG=" + e.cliConfig}
}

// Output runs docker with args and returns its stdout, trimmed. A failure's
// error carries docker's stderr.
func (e *Engine) Output(ctx context.Context, args ...string) (string, error) {
	cmd := e.Command(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), &CommandError{Args: args, Err: err, Stderr: strings.TrimSpace(stderr.String())}
	}
	return strings.TrimSpace(stdout.String()), nil
}

// CommandError is a failed docker command.
type CommandError struct {
	Args   []string
	Err    error
	Stderr string
}

func (c *CommandError) Error() string {
	return fmt.Sprintf("docker %s: %v: %s", strings.Join(c.Args, " "), c.Err, c.Stderr)
}

// ExitCode is docker's exit status (-1 when it did not exit normally).
func (c *CommandError) ExitCode() int {
	var ee *exec.ExitError
	if errors.As(c.Err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// MainPid is the host pid of a container's main process, as docker inspect
// reports it (.State.Pid; 0 when the container is not running). The
// process is a child of a containerd-shim-runc-v2, not of the docker client
// or of dockerd.
func (e *Engine) MainPid(ctx context.Context, container string) (int, error) {
	out, err := e.Output(ctx, "inspect", "--format", "{{.State.Pid}}", container)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(out)
}

// Stop removes every container of an engine started here, stops dockerd
// (SIGTERM, SIGKILL after 20s), kills what is left of its shims and
// container processes, removes their cgroups and the engine's directory.
// It returns what could not be cleaned. An engine that was only reused is
// left alone. Idempotent.
func (e *Engine) Stop() error {
	if !e.Started {
		return nil
	}
	pid := e.Pid()
	var errs []error
	if pid != 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		if ids, err := e.Output(ctx, "ps", "--all", "--quiet", "--no-trunc"); err == nil && ids != "" {
			if _, err := e.Output(ctx, append([]string{"rm", "--force", "--volumes"}, strings.Fields(ids)...)...); err != nil {
				errs = append(errs, err)
			}
		}
		cancel()
		_ = unix.Kill(pid, unix.SIGTERM)
		select {
		case <-e.exited:
		case <-time.After(20 * time.Second):
			_ = unix.Kill(pid, unix.SIGKILL)
			<-e.exited
		}
		e.mu.Lock()
		e.pid = 0
		e.mu.Unlock()
	}
	errs = append(errs, cleanup(e.Dir)...)
	removeCgroupParents(e.newParents)
	if left := e.Leftovers(); len(left) > 0 {
		errs = append(errs, fmt.Errorf("left behind by the Docker engine in %s: %s", e.Dir, strings.Join(left, "; ")))
	} else if err := os.RemoveAll(e.Dir); err != nil {
		errs = append(errs, err)
	}
	e.Started = false
	return errors.Join(errs...)
}

// Leftovers lists what an engine started here left behind: processes that
// mention its directory (dockerd, containerd, containerd-shim-runc-v2 all
// do), cgroups of its containers, mounts under its directory, docker*/br-*
// network interfaces that appeared since it started.
func (e *Engine) Leftovers() []string {
	var out []string
	for _, p := range processesOf(e.Dir) {
		out = append(out, fmt.Sprintf("process %d (%s)", p.pid, p.cmd))
	}
	for _, cg := range containerCgroups(e.Dir) {
		out = append(out, "cgroup "+cg)
	}
	for _, m := range mountsUnder(e.Dir) {
		out = append(out, "mount "+m)
	}
	before := map[string]bool{}
	for _, l := range e.linksAt {
		before[l] = true
	}
	for _, l := range dockerLinks() {
		if !before[l] {
			out = append(out, "network interface "+l)
		}
	}
	return out
}

// dockerLinks lists network interfaces named like Docker's (docker0,
// br-<id>).
func dockerLinks() []string {
	ifs, _ := net.Interfaces()
	var out []string
	for _, i := range ifs {
		if strings.HasPrefix(i.Name, "docker") || strings.HasPrefix(i.Name, "br-") {
			out = append(out, i.Name)
		}
	}
	return out
}
