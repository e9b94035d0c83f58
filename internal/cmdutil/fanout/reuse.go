package fanout

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mesosctl/mesosctl/internal/remote"
	"github.com/mesosctl/mesosctl/internal/remotecopy"
	"github.com/mesosctl/mesosctl/internal/sshkeep"
	"github.com/mesosctl/mesosctl/internal/sshmux"
)

// reuse is the transport of a run with connection reuse on: for each
// node, the user's own OpenSSH ControlMaster when ssh_config names a
// ControlPath whose master is live, else mesosctl's ssh-mux daemon (kept
// connections; started when none runs), else a connection of the run's
// own.
type reuse struct {
	direct  *remote.Dialer
	keep    *sshkeep.Client // nil: no daemon (ssh_persist 0)
	timeout time.Duration   // for the ControlMaster handshake
	warn    io.Writer

	noMaster bool // --no-reuse: ignore ControlPath (SFTP only; Exec is never called then)

	once     sync.Once
	keepDown bool // the daemon could not be reached: every node goes direct
}

func (r *reuse) Exec(ctx context.Context, t remote.Target, e remote.Exec) (int, error) {
	if t.ControlPath != "" {
		if c, err := sshmux.Dial(t.ControlPath, r.timeout); err == nil {
			defer c.Close()
			// A master cannot pass on signal requests: always guard.
			code, err := c.Exec(ctx, remote.Command(e.Command, t.User, e.Root, true), e.Stdout, e.Stderr)
			if err != nil && ctx.Err() == nil {
				err = fmt.Errorf("through ControlMaster %s: %w", t.ControlPath, err)
			}
			return code, err
		}
	}
	if r.daemonUp() {
		return r.keep.Exec(ctx, t, e)
	}
	return r.direct.Exec(ctx, t, e)
}

// daemonUp reports whether the ssh-mux daemon can be used (starting it
// once, and warning once when it cannot).
func (r *reuse) daemonUp() bool {
	if r.keep == nil {
		return false
	}
	r.once.Do(func() {
		if err := r.keep.Available(); err != nil {
			r.keepDown = true
			if !errors.Is(err, errNoDaemonBinary) {
				fmt.Fprintf(r.warn, "mesosctl: warning: not keeping SSH connections: %v\n", err)
			}
		}
	})
	return !r.keepDown
}

// SFTP opens an SFTP session on t (its server as root with root, see
// remotecopy.Server) the way Exec runs a command: through the user's live
// ControlMaster, else on a connection the ssh-mux daemon keeps, else on a
// connection of the run's own. abort ends the session's channel at once
// (for a copy whose time is up).
func (r *reuse) SFTP(ctx context.Context, t remote.Target, root bool) (s *remotecopy.Session, abort func(), err error) {
	subsystem, command := remotecopy.Server(t.User, root)
	stderr := &headBuffer{}
	var st io.ReadWriteCloser
	switch {
	case t.ControlPath != "" && !r.noMaster:
		if c, derr := sshmux.Dial(t.ControlPath, r.timeout); derr == nil {
			name := command
			if subsystem != "" {
				name = subsystem
			}
			if st, err = c.Stream(name, subsystem != "", stderr, r.timeout); err != nil {
				c.Close()
				return nil, nil, fmt.Errorf("through ControlMaster %s: %w", t.ControlPath, err)
			}
			break
		}
		fallthrough
	default:
		if r.daemonUp() {
			if st, err = r.keep.Stream(ctx, t, subsystem, command, stderr); err != nil {
				return nil, nil, err
			}
			break
		}
		if r.direct == nil {
			return nil, nil, errors.New("no SSH transport")
		}
		client, err := r.direct.Dial(ctx, t)
		if err != nil {
			return nil, nil, &remote.ConnectError{Err: err}
		}
		s, err := remotecopy.Open(client, t.User, root)
		return s, func() { r.direct.Forget(t) }, err
	}
	s, err = remotecopy.OpenStream(st, t.User, root, stderr.String)
	return s, func() { st.Close() }, err
}

// headBuffer keeps the first 4 KiB written to it, from any goroutine.
type headBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (t *headBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := 4096 - len(t.b); n > 0 {
		t.b = append(t.b, p[:min(n, len(p))]...)
	}
	return len(p), nil
}

func (t *headBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// errNoDaemonBinary: this program cannot be the daemon (a Go test binary,
// running mesosctl in-process, would run its tests instead).
var errNoDaemonBinary = errors.New("no mesosctl binary to start the ssh-mux daemon with")

// startDaemon starts `mesosctl ssh-mux serve` in the background, in a
// session of its own, logging to DIR/ssh-mux.log.
func startDaemon(exe, dir string, persist time.Duration) error {
	if exe == "" || strings.HasSuffix(exe, ".test") {
		return errNoDaemonBinary
	}
	if err := sshkeep.EnsureDir(dir); err != nil {
		return err
	}
	logf, err := os.OpenFile(filepath.Join(dir, "ssh-mux.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	closeInheritedOnExec()
	cmd := exec.Command(exe, "ssh-mux", "serve", "--persist", persist.String(), "--dir", dir)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the ssh-mux daemon: %w", err)
	}
	go cmd.Wait() // reaped if it exits while this process runs
	return nil
}

// closeInheritedOnExec marks every descriptor above stderr close-on-exec,
// so that the long-lived daemon does not keep what this process inherited
// without that flag (a caller's lock file, a pipe another program waits
// to see closed). Go opens its own descriptors close-on-exec already.
func closeInheritedOnExec() {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range ents {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}
