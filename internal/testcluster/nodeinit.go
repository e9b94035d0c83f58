package testcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mesosctl/mesosctl/internal/testutil/dockerd"
)

// overlayTargets are the host directories a node sees through an overlay,
// so that the node can have /etc/mesos-slave, /var/lib/mesos, /var/log/mesos
// and /usr/sbin/mesos-slave without creating anything on the host.
var overlayTargets = []struct{ name, target string }{
	{"etc", "/etc"},
	{"var-lib", "/var/lib"},
	{"var-log", "/var/log"},
	{"usr-sbin", "/usr/sbin"},
}

// NodeInit is the body of a node: it runs as PID 1 of the node's new PID,
// mount and UTS namespaces (started by the cluster through
// `mesosctl-testcluster node-init`). It sets up the node's view of the file
// system, starts sshd and the agent, reports readiness on fd 3, and then
// reaps orphans forever. It returns only on a setup error.
func NodeInit(specPath string) error {
	ready := os.NewFile(3, "ready")
	spec, err := ReadNodeSpec(specPath)
	if err == nil {
		err = setupNode(spec)
	}
	if err != nil {
		if ready != nil {
			fmt.Fprintf(ready, "error: %v\n", err)
			ready.Close()
		}
		return err
	}
	// Reap everything: sshd, the agent once it is orphaned, executors the
	// agent leaves behind (KillMode=process), sessions.
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, unix.SIGCHLD, unix.SIGTERM, unix.SIGINT)
	reap()

	msg := nodeReadyToken
	var engine *dockerd.Engine
	if spec.Docker {
		if engine, err = startDocker(spec); err != nil {
			msg = "docker: " + strings.ReplaceAll(err.Error(), "\n", " ")
		}
	}
	if !spec.NoAgent && msg == nodeReadyToken {
		if err := startAgent(spec, os.Stderr); err != nil {
			msg = "agent: " + strings.ReplaceAll(err.Error(), "\n", " ")
		}
	}
	if ready != nil {
		fmt.Fprintln(ready, msg)
		ready.Close()
	}
	for s := range sigs {
		if s == unix.SIGTERM || s == unix.SIGINT {
			if engine != nil {
				if err := engine.Stop(); err != nil {
					fmt.Fprintln(os.Stderr, "stopping the node's Docker engine:", err)
				}
			}
			// Exiting PID 1 kills every process of the node.
			os.Exit(0)
		}
		reap()
	}
	return nil
}

// startDocker starts the node's Docker engine (in the node's namespaces:
// it sees the node's /var/lib/mesos, its containers' pids are the node's),
// imports the test image, and links /run/docker.sock, where the agent and
// the docker CLI look by default, to its socket (the engine's own /run is
// private).
func startDocker(s *NodeSpec) (*dockerd.Engine, error) {
	e, err := dockerd.Launch(dockerd.Options{Dir: s.DockerDir(), DieWithParent: true, Timeout: 2 * time.Minute})
	if err != nil {
		return nil, err
	}
	if err := e.EnsureImage(context.Background()); err != nil {
		_ = e.Stop()
		return nil, err
	}
	if err := os.Symlink(e.Socket, NodeDockerSocket); err != nil {
		_ = e.Stop()
		return nil, err
	}
	return e, nil
}

func reap() {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

func setupNode(s *NodeSpec) error {
	if os.Getpid() != 1 {
		return errors.New("node-init must run as PID 1 of a new PID namespace (started by the test cluster)")
	}
	// Nothing we mount may propagate back to the host.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	if err := unix.Sethostname([]byte(s.Name)); err != nil {
		return fmt.Errorf("sethostname %s: %w", s.Name, err)
	}
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mounting /proc: %w", err)
	}
	for _, o := range overlayTargets {
		base := filepath.Join(s.overlayDir(), o.name)
		opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", o.target,
			filepath.Join(base, "upper"), filepath.Join(base, "work"))
		if err := unix.Mount("overlay", o.target, "overlay", 0, opts); err != nil {
			return fmt.Errorf("overlay on %s (%s): %w (does the kernel support overlayfs?)", o.target, opts, err)
		}
	}
	binds := []struct{ src, dst string }{
		{s.ConfigDir(), NodeConfigDir},
		{s.WorkDir(), NodeWorkDir},
		{s.LogDir(), NodeLogDir},
		{s.shimPath(), hostSystemctl},
		{s.HomeDir(), "/root"},
	}
	if _, err := os.Stat(hostJournalctl); err == nil {
		binds = append(binds, struct{ src, dst string }{filepath.Join(s.Dir, "journalctl"), hostJournalctl})
	}
	for _, b := range binds {
		if err := unix.Mount(b.src, b.dst, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind mount %s on %s: %w", b.src, b.dst, err)
		}
	}
	if err := unix.Mount("tmpfs", "/run", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755,size=16m"); err != nil {
		return fmt.Errorf("mounting /run: %w", err)
	}
	for _, d := range []string{"/run/sshd", "/run/lock"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	return startSSHD(s)
}

func startSSHD(s *NodeSpec) error {
	logf, err := os.OpenFile(s.sshdLog(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer null.Close()
	p, err := os.StartProcess("/usr/sbin/sshd", []string{"/usr/sbin/sshd", "-D", "-e", "-f", s.sshdConfig()},
		&os.ProcAttr{Files: []*os.File{null, logf, logf}, Env: []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}})
	if err != nil {
		return fmt.Errorf("starting sshd: %w (install openssh-server)", err)
	}
	p.Release()
	return nil
}
