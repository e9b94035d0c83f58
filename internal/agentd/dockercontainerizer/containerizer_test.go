package dockercontainerizer

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/docker"
	"github.com/mesosctl/mesosctl/internal/testutil/dockerd"
)

func TestMain(m *testing.M) { os.Exit(dockerd.Main(m)) }

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func uuid(t *testing.T) string {
	b, err := os.ReadFile("/proc/sys/kernel/random/uuid")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func cli(t *testing.T, socket string) *docker.Docker {
	d, err := docker.New(dockerd.CLIBinary, socket, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A docker CLI that is missing keeps the agent from starting, with Mesos'
// error; so does an engine that does not answer (at recovery).
func TestStartChecks(t *testing.T) {
	dockerd.SkipShort(t) // runs the docker CLI
	d, _ := docker.New("/nonexistent/docker", filepath.Join(t.TempDir(), "docker.sock"), nil)
	_, err := New(testCtx(t), Config{Docker: d})
	want := "Failed to create a containerizer: Could not create DockerContainerizer: Failed to create docker: Failed to get docker version: Failed to execute '/nonexistent/docker -H unix://"
	if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), "--version': exited with status 127") {
		t.Errorf("missing CLI: %v", err)
	}
	sock := filepath.Join(t.TempDir(), "docker.sock")
	c, err := New(testCtx(t), Config{Docker: cli(t, sock), KillOrphans: true})
	if err != nil {
		t.Fatal(err) // the CLI is there: only the engine is missing
	}
	_, err = c.Recover(testCtx(t), func(string) Known { return Known{} })
	if err == nil || !strings.Contains(err.Error(), "ps -a': exited with status 1; stderr='Cannot connect to the Docker daemon at unix://"+sock) {
		t.Errorf("recovery without an engine: %v", err)
	}
}

type fixture struct {
	t *testing.T
	e *dockerd.Engine
}

func (f fixture) create(name string, running bool) {
	f.t.Helper()
	ctx := testCtx(f.t)
	args := []string{"run", "-d", "--network=none", "--name", name, dockerd.Image, "sh", "-c", `trap "exit 0" TERM; sleep 1000 & wait`}
	if !running {
		args = []string{"run", "--network=none", "--name", name, dockerd.Image, "true"}
	}
	if _, err := f.e.Output(ctx, args...); err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { _, _ = f.e.Output(context.Background(), "rm", "-f", name) })
}

func (f fixture) exists(name string) bool {
	_, err := f.e.Output(testCtx(f.t), "inspect", "--type=container", name)
	return err == nil
}

// Recovery with --docker_kill_orphans: the containers of runs the agent
// follows stay; mesos- containers it does not know, and running ones of
// ended runs, are stopped and removed; an ended run's exited container is
// removed after --docker_remove_delay; containers not named by a Mesos
// agent are never touched.
func TestRecoverKillsOrphans(t *testing.T) {
	e := dockerd.Shared(t)
	f := fixture{t, e}
	live, orphan, orphanExited, ended, endedRunning := uuid(t), uuid(t), uuid(t), uuid(t), uuid(t)
	f.create(docker.ContainerName(live), true)
	f.create(docker.ContainerName(orphan), true)
	f.create(docker.ContainerName(orphanExited), false)
	f.create(docker.ContainerName(ended), false)
	f.create(docker.ContainerName(endedRunning), true)
	f.create("mesos-not-a-uuid", true)
	f.create("other-"+live, true)

	c, err := New(testCtx(t), Config{Docker: cli(t, e.Socket), KillOrphans: true, StopTimeout: time.Second, RemoveDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.Recover(testCtx(t), func(cid string) Known {
		switch cid {
		case live:
			return Known{Live: true}
		case ended, endedRunning:
			return Known{Ended: true, EndedAt: time.Now().Add(-time.Minute)}
		}
		return Known{}
	})
	if err != nil {
		t.Fatal(err)
	}
	wantOrphans := []string{docker.ContainerName(orphan), docker.ContainerName(orphanExited), docker.ContainerName(endedRunning)}
	slices.Sort(wantOrphans)
	if !slices.Equal(res.Orphans, wantOrphans) {
		t.Errorf("orphans %q, want %q", res.Orphans, wantOrphans)
	}
	for name, want := range map[string]bool{
		docker.ContainerName(live): true, docker.ContainerName(orphan): false, docker.ContainerName(orphanExited): false,
		docker.ContainerName(ended): true, docker.ContainerName(endedRunning): false, "mesos-not-a-uuid": true, "other-" + live: true,
	} {
		if got := f.exists(name); got != want {
			t.Errorf("%s exists: %v, want %v", name, got, want)
		}
	}
	if p := c.PendingRemovals(); !slices.Equal(p, []string{docker.ContainerName(ended)}) {
		t.Errorf("pending removals: %q", p)
	}
	pids := c.Pids(testCtx(t), []string{docker.ContainerName(live), docker.ContainerName(ended)})
	if len(pids) != 1 || pids[docker.ContainerName(live)] <= 0 {
		t.Errorf("pids: %v", pids)
	}
}

// Without --docker_kill_orphans nothing unknown is touched, and an ended
// run's container is still removed when its delay is up.
func TestRecoverKeepsOrphansAndRemovesAfterDelay(t *testing.T) {
	e := dockerd.Shared(t)
	f := fixture{t, e}
	orphan, ended := uuid(t), uuid(t)
	f.create(docker.ContainerName(orphan), true)
	f.create(docker.ContainerName(ended), false)
	c, err := New(testCtx(t), Config{Docker: cli(t, e.Socket), KillOrphans: false, RemoveDelay: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.Recover(testCtx(t), func(cid string) Known {
		if cid == ended {
			return Known{Ended: true, EndedAt: time.Now()}
		}
		return Known{}
	})
	if err != nil || len(res.Orphans) != 0 {
		t.Fatalf("recover: %+v %v", res, err)
	}
	if !f.exists(docker.ContainerName(ended)) {
		t.Fatal("removed before its delay")
	}
	deadline := time.Now().Add(time.Minute)
	for f.exists(docker.ContainerName(ended)) {
		if time.Now().After(deadline) {
			t.Fatal("not removed after --docker_remove_delay")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !f.exists(docker.ContainerName(orphan)) {
		t.Error("an orphan was removed without --docker_kill_orphans")
	}
}
