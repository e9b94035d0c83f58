package testcluster

import (
	"errors"
	"fmt"
	"github.com/mesosctl/mesosctl/internal/procfs"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Exit codes of systemctl (LSB): 3 = unit not active, 5 = no such unit.
const (
	systemctlInactive = 3
	systemctlNoUnit   = 5
)

// Systemctl is the systemctl shim inside a node (bind-mounted over
// /usr/bin/systemctl there). It knows one unit, mesos-slave.service (alias
// mesos-agent.service), with systemd's Type=simple and KillMode=process
// semantics: stop signals only the agent's main process, so executors and
// tasks the agent started keep running. Supported verbs: start, stop,
// restart, try-restart, reload-or-restart, status, is-active, daemon-reload,
// enable, disable. It returns the process exit code.
func Systemctl(spec *NodeSpec, args []string, out, errOut io.Writer) int {
	var verb string
	var units []string
	quiet := false
	for _, a := range args {
		switch {
		case a == "-q" || a == "--quiet":
			quiet = true
		case strings.HasPrefix(a, "-"):
			// --no-pager, --no-block, -l, ...: accepted and ignored.
		case verb == "":
			verb = a
		default:
			units = append(units, a)
		}
	}
	switch verb {
	case "daemon-reload", "enable", "disable":
		return 0
	case "":
		fmt.Fprintln(errOut, "systemctl (mesosctl test cluster shim): a verb is required: start|stop|restart|status|is-active")
		return 1
	case "start", "stop", "restart", "try-restart", "reload-or-restart", "status", "is-active":
	default:
		fmt.Fprintf(errOut, "systemctl (mesosctl test cluster shim): unsupported verb %q; supported: start, stop, restart, try-restart, reload-or-restart, status, is-active\n", verb)
		return 1
	}
	if len(units) == 0 {
		fmt.Fprintf(errOut, "Too few arguments.\n")
		return 1
	}
	rc := 0
	for _, u := range units {
		name := strings.TrimSuffix(u, ".service")
		if name != "mesos-slave" && name != "mesos-agent" {
			fmt.Fprintf(errOut, "Failed to %s %s.service: Unit %s.service not found.\n", verb, name, name)
			if verb == "is-active" && !quiet {
				fmt.Fprintln(out, "inactive")
			}
			if verb == "status" || verb == "is-active" {
				rc = 4
			} else {
				rc = systemctlNoUnit
			}
			continue
		}
		if r := runVerb(spec, verb, quiet, out, errOut); r != 0 {
			rc = r
		}
	}
	return rc
}

func runVerb(spec *NodeSpec, verb string, quiet bool, out, errOut io.Writer) int {
	pid, running := agentPid()
	switch verb {
	case "is-active":
		if !quiet {
			fmt.Fprintln(out, activeWord(running))
		}
		if !running {
			return systemctlInactive
		}
		return 0
	case "status":
		printStatus(out, pid, running)
		if !running {
			return systemctlInactive
		}
		return 0
	case "start":
		if running {
			return 0
		}
	case "stop":
		if err := stopAgent(pid, running); err != nil {
			fmt.Fprintf(errOut, "Failed to stop %s: %v\n", AgentUnit, err)
			return 1
		}
		return 0
	case "try-restart":
		if !running {
			return 0
		}
		fallthrough
	case "restart", "reload-or-restart":
		if err := stopAgent(pid, running); err != nil {
			fmt.Fprintf(errOut, "Failed to restart %s: %v\n", AgentUnit, err)
			return 1
		}
	}
	if err := startAgent(spec, errOut); err != nil {
		fmt.Fprintf(errOut, "Job for %s failed because the control process exited with error code.\n%v\n", AgentUnit, err)
		return 1
	}
	return 0
}

func activeWord(running bool) string {
	if running {
		return "active"
	}
	return "inactive"
}

func printStatus(out io.Writer, pid int, running bool) {
	fmt.Fprintf(out, "● %s - Mesos Agent (mesosctl test cluster)\n", AgentUnit)
	fmt.Fprintf(out, "     Loaded: loaded (/lib/systemd/system/%s; enabled; preset: enabled)\n", AgentUnit)
	if !running {
		fmt.Fprintln(out, "     Active: inactive (dead)")
		return
	}
	since := ""
	if st, err := os.Stat(AgentPidFile); err == nil {
		since = " since " + st.ModTime().UTC().Format("Mon 2006-01-02 15:04:05 UTC")
	}
	fmt.Fprintf(out, "     Active: active (running)%s\n", since)
	fmt.Fprintf(out, "   Main PID: %d (mesos-slave)\n", pid)
	if cmd := procfs.Cmdline(pid); cmd[0] != "" {
		fmt.Fprintf(out, "     CGroup: %s\n", strings.TrimSpace(strings.Join(cmd, " ")))
	}
}

// agentPid reads the pid file and says whether that process is a live
// mesos-slave.
func agentPid() (int, bool) {
	b, err := os.ReadFile(AgentPidFile)
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, isAgent(pid)
}

func isAgent(pid int) bool {
	// A zombie counts as dead.
	if !procfs.Alive(pid, 0) {
		return false
	}
	// argv[0] is the agent, or an interpreter running the agent script.
	args := procfs.Cmdline(pid)
	for i := 0; i < 2 && i < len(args); i++ {
		if strings.HasSuffix(args[i], "/mesos-slave") || strings.HasSuffix(args[i], "/mesos-agent") {
			return true
		}
	}
	return false
}

// stopAgent sends SIGTERM to the agent's main process only
// (KillMode=process) and waits up to 10s, then SIGKILLs it.
func stopAgent(pid int, running bool) error {
	defer os.Remove(AgentPidFile)
	if !running {
		return nil
	}
	if err := unix.Kill(pid, unix.SIGTERM); err != nil && !errors.Is(err, unix.ESRCH) {
		return err
	}
	deadline := time.Now().Add(10 * time.Second)
	for isAgent(pid) {
		if time.Now().After(deadline) {
			_ = unix.Kill(pid, unix.SIGKILL)
			deadline = time.Now().Add(5 * time.Second)
		}
		reapChild(pid)
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

func reapChild(pid int) {
	var ws unix.WaitStatus
	_, _ = unix.Wait4(pid, &ws, unix.WNOHANG, nil)
}

// startGrace is how long a freshly started agent must stay up to count as
// started (it catches bad flags and a missing agentd at once).
const startGrace = 300 * time.Millisecond

// startAgent starts the agent in the background in its own session, stdio
// to the console log, and writes the pid file.
func startAgent(spec *NodeSpec, errOut io.Writer) error {
	logf, err := os.OpenFile(AgentConsole, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	start, _ := logf.Seek(0, io.SeekEnd)
	null, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer null.Close()
	args := spec.AgentArgs()
	p, err := os.StartProcess(args[0], args, &os.ProcAttr{
		Dir:   "/",
		Files: []*os.File{null, logf, logf},
		Env:   []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8"},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		return fmt.Errorf("starting %s: %w", args[0], err)
	}
	if err := os.WriteFile(AgentPidFile, []byte(strconv.Itoa(p.Pid)+"\n"), 0o644); err != nil {
		return err
	}
	deadline := time.Now().Add(startGrace)
	for time.Now().Before(deadline) {
		var ws unix.WaitStatus
		if wpid, _ := unix.Wait4(p.Pid, &ws, unix.WNOHANG, nil); wpid == p.Pid {
			os.Remove(AgentPidFile)
			tail := readFrom(AgentConsole, start)
			return fmt.Errorf("%s exited at once (%s); %s says:\n%s", args[0], waitString(ws), AgentConsole, tail)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

func readFrom(path string, off int64) string {
	b, err := os.ReadFile(path)
	if err != nil || off > int64(len(b)) {
		return ""
	}
	b = b[off:]
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}

func waitString(ws unix.WaitStatus) string {
	if ws.Signaled() {
		return "killed by " + ws.Signal().String()
	}
	return fmt.Sprintf("exit status %d", ws.ExitStatus())
}
