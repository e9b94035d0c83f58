package mesosgo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/agent"
	"github.com/mesos/mesos-go/api/v1/lib/agent/calls"
	"github.com/mesos/mesos-go/api/v1/lib/encoding/codecs"
	"github.com/mesos/mesos-go/api/v1/lib/httpcli"
	"github.com/mesos/mesos-go/api/v1/lib/httpcli/httpagent"
)

// TestKillContainerRightAfterLaunch: a KILL_CONTAINER sent as soon as
// LAUNCH_CONTAINER has returned ends the container, whatever moment of the
// launch it meets: before the launcher's Go runtime is up, before it forks
// the command (Go forks a probe child first), while the shell forks its
// child. Each way is run many times; with a stopped launcher (SIGSTOP
// right after the launch, SIGCONT after the kill: a launcher descheduled
// on a loaded machine) the kill mostly arrives before the command exists.
// WAIT_CONTAINER reports the signal as the raw wait status, and nothing of
// the container runs on.
func TestKillContainerRightAfterLaunch(t *testing.T) {
	a := startAgent(t)
	s := httpagent.NewSender(httpcli.New(httpcli.Endpoint(a.URL+"/api/v1"),
		httpcli.Codec(codecs.ByMediaType[codecs.MediaTypeJSON])).Send)
	const rounds = 10
	for _, sig := range []struct {
		name string
		sig  syscall.Signal // 0: none given (SIGKILL)
	}{{"default", 0}, {"usr1", syscall.SIGUSR1}, {"term", syscall.SIGTERM}} {
		for _, at := range []moment{atOnce, stoppedAtStart, stoppedAtFirstChild, stoppedAtShell} {
			name := sig.name + "/" + string(at)
			want := int32(syscall.SIGKILL)
			var signal *int32
			if sig.sig != 0 {
				want = int32(sig.sig)
				signal = &want
			}
			t.Run(name, func(t *testing.T) {
				before := 0
				for i := range rounds {
					cid := fmt.Sprintf("kill-%s-%d", strings.ReplaceAll(name, "/", "-"), i)
					if killRightAfterLaunch(t, s, a, cid, signal, want, at) {
						before++
					}
				}
				t.Logf("%d of %d kills arrived before the command started", before, rounds)
			})
		}
	}
}

// moment is when, in the launch of a container, the test sends its
// KILL_CONTAINER.
type moment string

const (
	// atOnce: as soon as LAUNCH_CONTAINER has returned.
	atOnce moment = "at-once"
	// stoppedAtStart: the launcher is stopped (SIGSTOP) as soon as
	// LAUNCH_CONTAINER has returned, and continued (SIGCONT) once the
	// kill was sent: a launcher descheduled on a loaded machine.
	stoppedAtStart moment = "stopped-at-start"
	// stoppedAtFirstChild: the launcher is stopped as soon as it has a
	// child, which is Go's probe child (clone(CLONE_PIDFD), forked
	// before a program's first exec) or the command being forked.
	stoppedAtFirstChild moment = "stopped-at-first-child"
	// stoppedAtShell: the launcher is stopped once its child runs
	// /bin/sh, which may be forking sleep.
	stoppedAtShell moment = "stopped-at-shell"
)

// killRightAfterLaunch launches `sleep 600` (shell) as container cid,
// kills it with signal and checks how it ended; it reports whether the
// launcher recorded that the command never started.
func killRightAfterLaunch(t *testing.T, s calls.Sender, a *agentd, cid string, signal *int32, want int32, at moment) bool {
	t.Helper()
	id := mesos.ContainerID{Value: cid}
	shell, cmd := true, "sleep 600"
	cpus, mem := mesos.SCALAR, mesos.SCALAR
	noData(t, s, calls.LaunchContainer(id, &mesos.CommandInfo{Shell: &shell, Value: &cmd}, nil, []mesos.Resource{
		{Name: "cpus", Type: &cpus, Scalar: &mesos.Value_Scalar{Value: 0.01}},
		{Name: "mem", Type: &mem, Scalar: &mesos.Value_Scalar{Value: 8}},
	}))
	rt := filepath.Join(a.RuntimeDir, "containers", cid)
	stop := at != atOnce
	launcher := 0
	if stop {
		// agentd wrote the launcher's pid before LAUNCH_CONTAINER returned.
		b, err := os.ReadFile(filepath.Join(rt, "pid"))
		if err != nil {
			t.Fatalf("%s: launcher pid: %v", cid, err)
		}
		launcher, _ = strconv.Atoi(strings.Fields(string(b))[0])
		// Polled without pauses: the moment is short. The launcher
		// always gets there (nothing has killed it yet), or ends.
		for deadline := time.Now().Add(30 * time.Second); ; {
			kids := children(launcher)
			if at == stoppedAtStart || at == stoppedAtFirstChild && len(kids) > 0 ||
				at == stoppedAtShell && len(kids) > 0 && strings.HasPrefix(cmdline(kids[0]), "/bin/sh") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the launcher did not get to %s within 30s: children %v", cid, at, kids)
			}
		}
		if err := syscall.Kill(launcher, syscall.SIGSTOP); err != nil {
			t.Fatalf("%s: stop the launcher: %v", cid, err)
		}
	}
	kill := calls.KillContainer(id)
	kill.KillContainer.Signal = signal
	noData(t, s, kill)
	if stop {
		// (ESRCH: agentd ended the launcher itself; how the container
		// ended is checked below all the same.)
		if err := syscall.Kill(launcher, syscall.SIGCONT); err != nil && err != syscall.ESRCH {
			t.Fatalf("%s: continue the launcher: %v", cid, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	resp, err := s.Send(ctx, calls.NonStreaming(calls.WaitContainer(id)))
	if err != nil {
		t.Fatalf("%s: WAIT_CONTAINER after KILL_CONTAINER: %v; processes left in its sandbox: %v", cid, err, inSandbox(a, cid))
	}
	defer resp.Close()
	var r agent.Response
	if err := resp.Decode(&r); err != nil {
		t.Fatalf("%s: WAIT_CONTAINER: decode: %v", cid, err)
	}
	if got := r.GetWaitContainer().GetExitStatus(); got != want {
		t.Errorf("%s: WAIT_CONTAINER exit_status = %d, want %d (%v)", cid, got, want, r.GetWaitContainer())
	}
	term, _ := os.ReadFile(filepath.Join(rt, "termination"))
	notStarted := strings.Contains(string(term), "Killed before the command started")
	{
		// The launcher has ended; what it ran ends with the signal, which
		// reaches the command's process group (polled: the kernel may
		// still be tearing a process down).
		var left []string
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if left = inSandbox(a, cid); len(left) == 0 {
				break
			}
		}
		if len(left) > 0 {
			t.Errorf("%s: processes still running in its sandbox after the kill: %v", cid, left)
		}
	}
	noData(t, s, calls.RemoveContainer(id))
	return notStarted
}

// inSandbox lists the live processes whose working directory is container
// cid's sandbox (the launcher and the command: both start there).
func inSandbox(a *agentd, cid string) []string {
	sandbox := filepath.Join(a.WorkDir, "containers", cid)
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cwd, err := os.Readlink("/proc/" + e.Name() + "/cwd")
		if err != nil || (cwd != sandbox && !strings.HasPrefix(cwd, sandbox+"/")) {
			continue
		}
		stat, _ := os.ReadFile("/proc/" + e.Name() + "/stat")
		if f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:])); len(f) > 0 && f[0] == "Z" {
			continue // a zombie: ended, its parent has yet to reap it
		}
		cmdline, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		out = append(out, e.Name()+" "+strings.ReplaceAll(strings.TrimRight(string(cmdline), "\x00"), "\x00", " "))
	}
	return out
}

// children lists the children of pid (every thread's: a Go program forks
// from any of its threads).
func children(pid int) []int {
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	var out []int
	for _, task := range tasks {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, task.Name()))
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// cmdline is the command line of pid, space-separated.
func cmdline(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.ReplaceAll(strings.TrimRight(string(b), "\x00"), "\x00", " ")
}
