// Package docker drives the Docker engine the way Mesos 1.11's Docker
// containerizer does (src/docker/docker.cpp): through the docker CLI given
// by --docker, talking to the engine on --docker_socket (`docker -H
// unix://<socket> …`). It builds `docker run` command lines from a task's
// ContainerInfo (RunOptions), pulls images (Pull, with --docker_config as
// the client's credentials), inspects, lists, stops, kills and removes
// containers, and names them as Mesos does (mesos-<container id>). Errors
// carry Mesos' wording ("Failed to run 'docker -H … pull …': exited with
// status 1; stderr='…'").
package docker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DefaultSocket is --docker_socket's default.
const DefaultSocket = "/var/run/docker.sock"

// MinVersion is the oldest docker CLI Mesos 1.11 accepts.
var MinVersion = Version{1, 8, 0}

// Timeouts of Mesos' Docker library (src/slave/constants.hpp).
const (
	// VersionTimeout bounds `docker --version` (DOCKER_VERSION_WAIT_TIMEOUT).
	VersionTimeout = 5 * time.Second
	// InspectTimeout bounds one `docker inspect` (DOCKER_INSPECT_TIMEOUT).
	InspectTimeout = 5 * time.Second
	// ForceKillTimeout is how long a stop may take beyond its timeout
	// (DOCKER_FORCE_KILL_TIMEOUT).
	ForceKillTimeout = time.Second
	// PsMaxInspect is how many containers one `docker inspect` call of
	// Ps covers (DOCKER_PS_MAX_INSPECT_CALLS).
	PsMaxInspect = 100
)

// Docker is the docker CLI pointed at one engine.
type Docker struct {
	// Path is the docker CLI (--docker): a path, or a name looked up in
	// $PATH.
	Path string
	// Socket is the engine's unix socket (--docker_socket), absolute.
	Socket string
	// Config is --docker_config (a docker config.json or .dockercfg
	// object), given to `docker pull` as the client's credentials; nil
	// when unset.
	Config json.RawMessage
	// Env is the environment the CLI runs with (nil: this process's).
	// DOCKER_HOST and DOCKER_CONTEXT are always dropped from it: -H names
	// the engine.
	Env []string
}

// New returns the docker CLI at path for the engine on socket, refusing a
// socket that is not an absolute path with Mesos' message.
func New(path, socket string, config json.RawMessage) (*Docker, error) {
	if !filepath.IsAbs(socket) {
		return nil, fmt.Errorf("Invalid Docker socket path: %s", socket)
	}
	if path == "" {
		path = "docker"
	}
	if len(config) > 0 {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(config, &obj); err != nil {
			return nil, fmt.Errorf("--docker_config is not a JSON object: %v", err)
		}
	}
	return &Docker{Path: path, Socket: socket, Config: config}, nil
}

// Host is the engine address given to -H: unix://<socket>.
func (d *Docker) Host() string { return "unix://" + d.Socket }

// argv is the docker command line for args: path -H host args….
func (d *Docker) argv(args ...string) []string {
	return append([]string{d.Path, "-H", d.Host()}, args...)
}

// Cmdline is argv joined with spaces, as Mesos logs and reports it.
func (d *Docker) Cmdline(args ...string) string { return strings.Join(d.argv(args...), " ") }

func (d *Docker) env() []string {
	src := d.Env
	if src == nil {
		src = os.Environ()
	}
	out := make([]string, 0, len(src))
	for _, kv := range src {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "DOCKER_HOST", "DOCKER_CONTEXT":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// Command is the docker CLI running args (not started); its environment
// is the client's (Env). It is killed when ctx ends.
func (d *Docker) Command(ctx context.Context, args ...string) *exec.Cmd {
	argv := d.argv(args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = d.env()
	return cmd
}

// CommandError is a docker CLI run that failed, worded as Mesos words it:
// "Failed to run '<cmd>': exited with status N; stderr='<stderr>'".
type CommandError struct {
	Cmd    string
	Status string // "exited with status 1", "terminated with signal Killed", or why it did not run
	Stderr string
	Code   int // exit code; -1 when it did not exit normally
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("Failed to run '%s': %s; stderr='%s'", e.Cmd, e.Status, e.Stderr)
}

// WaitStatus words a wait status as Mesos' WSTRINGIFY does: "exited with
// status N" or "terminated with signal <name>".
func WaitStatus(ws syscall.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exited with status %d", ws.ExitStatus())
	case ws.Signaled():
		s := "terminated with signal " + SignalName(ws.Signal())
		if ws.CoreDump() {
			s += " (core dumped)"
		}
		return s
	case ws.Stopped():
		return "stopped on signal " + SignalName(ws.StopSignal())
	}
	return fmt.Sprintf("wait status %d", int(ws))
}

// SignalName is strsignal(3)'s description of s ("Killed", "Terminated").
func SignalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGKILL:
		return "Killed"
	case syscall.SIGTERM:
		return "Terminated"
	case syscall.SIGINT:
		return "Interrupt"
	case syscall.SIGHUP:
		return "Hangup"
	case syscall.SIGQUIT:
		return "Quit"
	case syscall.SIGSEGV:
		return "Segmentation fault"
	case syscall.SIGABRT:
		return "Aborted"
	case syscall.SIGPIPE:
		return "Broken pipe"
	case syscall.SIGUSR1:
		return "User defined signal 1"
	case syscall.SIGUSR2:
		return "User defined signal 2"
	}
	return s.String()
}

// run runs the docker CLI with args and returns its stdout; a failure
// (including a CLI that cannot be started) is a *CommandError.
func (d *Docker) run(ctx context.Context, env []string, args ...string) ([]byte, error) {
	cmd := d.Command(ctx, args...)
	if env != nil {
		cmd.Env = env
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err == nil {
		return stdout.Bytes(), nil
	}
	return stdout.Bytes(), commandError(d.Cmdline(args...), cmd, err, stderr.String())
}

func commandError(cmdline string, cmd *exec.Cmd, err error, stderr string) *CommandError {
	ce := &CommandError{Cmd: cmdline, Stderr: strings.TrimRight(stderr, "\n"), Code: -1}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		ws := ee.Sys().(syscall.WaitStatus)
		ce.Status = WaitStatus(ws)
		if ws.Exited() {
			ce.Code = ws.ExitStatus()
		}
	case errors.Is(err, exec.ErrNotFound), errors.Is(err, os.ErrNotExist):
		// What a shell reports for a command it cannot find.
		ce.Status, ce.Code = "exited with status 127", 127
		if ce.Stderr == "" {
			ce.Stderr = err.Error()
		}
	default:
		ce.Status = err.Error()
	}
	return ce
}

// Version is a docker CLI version, major.minor.patch.
type Version [3]int

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2]) }

// Less reports whether v is older than o.
func (v Version) Less(o Version) bool {
	for i := range v {
		if v[i] != o[i] {
			return v[i] < o[i]
		}
	}
	return false
}

// ParseVersion reads `docker --version` output, "Docker version
// 20.10.24+dfsg1, build 297e128", as Mesos does: the last word before the
// first comma, at most three dot-separated numbers (a Debian or Fedora
// suffix on the last one is dropped).
func ParseVersion(out string) (Version, error) {
	first, _, _ := strings.Cut(strings.TrimSpace(out), ",")
	words := strings.Fields(first)
	if len(words) == 0 {
		return Version{}, errors.New("Unable to find docker version in output")
	}
	s := words[len(words)-1]
	parts := strings.Split(s, ".")
	if len(parts) > 3 {
		parts = parts[:3]
	}
	var v Version
	for i, p := range parts {
		end := 0
		for end < len(p) && p[end] >= '0' && p[end] <= '9' {
			end++
		}
		if end == 0 || (end < len(p) && i < len(parts)-1) {
			return Version{}, fmt.Errorf("Failed to parse docker version: Invalid version string '%s'", s)
		}
		n, _ := strconv.Atoi(p[:end])
		v[i] = n
	}
	return v, nil
}

// Version runs `docker -H <host> --version` (which does not reach the
// engine: it checks the CLI).
func (d *Docker) Version(ctx context.Context) (Version, error) {
	ctx, cancel := context.WithTimeout(ctx, VersionTimeout)
	defer cancel()
	out, err := d.run(ctx, nil, "--version")
	if err != nil {
		var ce *CommandError
		if errors.As(err, &ce) {
			if ctx.Err() != nil {
				return Version{}, errors.New("Timed out getting docker version")
			}
			return Version{}, fmt.Errorf("Failed to get docker version: Failed to execute '%s': %s", ce.Cmd, ce.Status)
		}
		return Version{}, err
	}
	v, err := ParseVersion(string(out))
	if err != nil {
		return Version{}, fmt.Errorf("Failed to get docker version: %v", err)
	}
	return v, nil
}

// Validate is what Mesos' Docker::create(validate=true) checks: a docker
// CLI of at least MinVersion. (Mesos also wants a mounted cgroup cpu
// hierarchy; the engine's own cgroups are its business here.)
func (d *Docker) Validate(ctx context.Context) error {
	v, err := d.Version(ctx)
	if err != nil {
		return err
	}
	if v.Less(MinVersion) {
		return fmt.Errorf("Insufficient version '%s' of Docker. Please upgrade to >=' %s'", v, MinVersion)
	}
	return nil
}

// Container is what `docker inspect --type=container` says of a container
// (the fields Mesos reads, and the state the agent needs at recovery).
type Container struct {
	ID   string
	Name string // with docker's leading "/" removed
	// Pid is the host pid of the container's main process; 0 when it is
	// not running.
	Pid int
	// Started is false until the container has started once.
	Started bool
	// Running, ExitCode, OOMKilled, FinishedAt: the container's State.
	Running    bool
	Status     string // created, running, exited, …
	ExitCode   int
	OOMKilled  bool
	FinishedAt time.Time
	// IPAddress and IP6Address are the container's addresses on its
	// network (none with HOST or NONE networking).
	IPAddress, IP6Address string
	// NetworkMode is HostConfig.NetworkMode (host, none, bridge, …).
	NetworkMode string
	// Image is Config.Image, the image the container was created from.
	Image string
	// Output is the inspect document of this container (a JSON object).
	Output json.RawMessage
}

type inspectDoc struct {
	ID    string `json:"Id"`
	Name  string `json:"Name"`
	State struct {
		Status     string
		Running    bool
		Pid        int
		ExitCode   int
		OOMKilled  bool
		StartedAt  string
		FinishedAt string
	}
	Config struct {
		Image string
	}
	HostConfig struct {
		NetworkMode string
	}
	NetworkSettings struct {
		IPAddress string
		Networks  map[string]struct {
			IPAddress         string
			GlobalIPv6Address string
		}
	}
}

// neverStarted is docker's StartedAt of a container that has not started.
const neverStarted = "0001-01-01T00:00:00Z"

func parseContainer(raw json.RawMessage) (Container, error) {
	var doc inspectDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		return Container{}, fmt.Errorf("Unable to create container: Failed to parse JSON: %v", err)
	}
	if doc.ID == "" {
		return Container{}, errors.New("Unable to create container: Unable to find Id in container")
	}
	c := Container{ID: doc.ID, Name: strings.TrimPrefix(doc.Name, "/"), Pid: doc.State.Pid,
		Started: doc.State.StartedAt != "" && doc.State.StartedAt != neverStarted, Running: doc.State.Running,
		Status: doc.State.Status, ExitCode: doc.State.ExitCode, OOMKilled: doc.State.OOMKilled,
		NetworkMode: doc.HostConfig.NetworkMode, Image: doc.Config.Image, Output: raw}
	if t, err := time.Parse(time.RFC3339Nano, doc.State.FinishedAt); err == nil && doc.State.FinishedAt != neverStarted {
		c.FinishedAt = t
	}
	if n, ok := doc.NetworkSettings.Networks[doc.HostConfig.NetworkMode]; ok {
		c.IPAddress, c.IP6Address = n.IPAddress, n.GlobalIPv6Address
	} else {
		c.IPAddress = doc.NetworkSettings.IPAddress
	}
	return c, nil
}

// Inspect runs `docker inspect --type=container name`.
func (d *Docker) Inspect(ctx context.Context, name string) (Container, error) {
	ctx, cancel := context.WithTimeout(ctx, InspectTimeout)
	defer cancel()
	out, err := d.run(ctx, nil, "inspect", "--type=container", name)
	if err != nil {
		return Container{}, err
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(out, &arr); err != nil {
		return Container{}, fmt.Errorf("Unable to create container: Failed to parse JSON: %v", err)
	}
	if len(arr) != 1 {
		return Container{}, errors.New("Unable to create container: Failed to find container")
	}
	return parseContainer(arr[0])
}

// IsNoSuchContainer reports whether err is docker's answer for a container
// it does not know.
func IsNoSuchContainer(err error) bool {
	var ce *CommandError
	return errors.As(err, &ce) && strings.Contains(strings.ToLower(ce.Stderr), "no such container")
}

// Ps lists the containers (with all, also those that are not running)
// whose names start with prefix ("" for every one), as Mesos' Docker::ps
// does: `docker -H <host> ps -a`, then an inspect of each. A container
// that vanishes between the two is left out.
func (d *Docker) Ps(ctx context.Context, all bool, prefix string) ([]Container, error) {
	args := []string{"ps"}
	if all {
		args = append(args, "-a")
	}
	out, err := d.run(ctx, nil, args...)
	if err != nil {
		return nil, err
	}
	var names []string
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	for _, l := range lines[min(1, len(lines)):] { // the first line is the header
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		// The name column is the last one; a container may have several
		// names, comma-separated.
		for _, n := range strings.Split(f[len(f)-1], ",") {
			if strings.HasPrefix(n, prefix) {
				names = append(names, n)
				break
			}
		}
	}
	var res []Container
	for len(names) > 0 {
		batch := names[:min(PsMaxInspect, len(names))]
		names = names[len(batch):]
		cs, err := d.inspectMany(ctx, batch)
		if err != nil {
			return nil, fmt.Errorf("Docker ps batch failed %v", err)
		}
		res = append(res, cs...)
	}
	return res, nil
}

// inspectMany inspects several containers in one call; those docker no
// longer knows are left out.
func (d *Docker) inspectMany(ctx context.Context, names []string) ([]Container, error) {
	ctx, cancel := context.WithTimeout(ctx, InspectTimeout+time.Duration(len(names))*100*time.Millisecond)
	defer cancel()
	out, err := d.run(ctx, nil, append([]string{"inspect", "--type=container"}, names...)...)
	if err != nil {
		var ce *CommandError
		if !errors.As(err, &ce) || ce.Code != 1 || !onlyNoSuchContainer(ce.Stderr) {
			return nil, err
		}
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(out, &arr); err != nil {
		return nil, fmt.Errorf("Failed to parse JSON: %v", err)
	}
	res := make([]Container, 0, len(arr))
	for _, raw := range arr {
		c, err := parseContainer(raw)
		if err != nil {
			return nil, err
		}
		res = append(res, c)
	}
	return res, nil
}

func onlyNoSuchContainer(stderr string) bool {
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if l != "" && !strings.Contains(strings.ToLower(l), "no such container") {
			return false
		}
	}
	return true
}

// Stop runs `docker -H <host> stop -t <secs> name`; with remove it then
// removes the container (`rm -v`, with -f when the stop failed), and a
// failed removal is only returned, as Mesos only logs it.
func (d *Docker) Stop(ctx context.Context, name string, timeout time.Duration, remove bool) error {
	secs := int(timeout / time.Second)
	if secs < 0 {
		return fmt.Errorf("A negative timeout cannot be applied to docker stop: %d", secs)
	}
	_, err := d.run(ctx, nil, "stop", "-t", strconv.Itoa(secs), name)
	if !remove {
		return err
	}
	if rerr := d.Rm(ctx, name, err != nil); rerr != nil {
		return fmt.Errorf("Unable to remove Docker container '%s': %w", name, rerr)
	}
	return nil
}

// Kill runs `docker -H <host> kill --signal=<n> name`.
func (d *Docker) Kill(ctx context.Context, name string, sig syscall.Signal) error {
	_, err := d.run(ctx, nil, "kill", "--signal="+strconv.Itoa(int(sig)), name)
	return err
}

// Rm runs `docker -H <host> rm [-f] -v name` (-v: its anonymous volumes go
// too).
func (d *Docker) Rm(ctx context.Context, name string, force bool) error {
	args := []string{"rm"}
	if force {
		args = append(args, "-f")
	}
	_, err := d.run(ctx, nil, append(args, "-v", name)...)
	return err
}

// Start starts `docker run` with opts, stdin from /dev/null and the
// container's output to stdout and stderr; the caller waits for it. Its
// exit status is the container's.
func (d *Docker) Start(opts *RunOptions, stdout, stderr io.Writer) (*exec.Cmd, error) {
	argv := d.argv(opts.Args()...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = d.env()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("Failed to create subprocess '%s': %v", d.Path, err)
	}
	return cmd, nil
}
