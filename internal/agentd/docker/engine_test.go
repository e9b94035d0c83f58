package docker

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/testutil/dockerd"
)

func TestMain(m *testing.M) { os.Exit(dockerd.Main(m)) }

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// engineCLI is the docker CLI (Debian's, matching the engine) for the
// test binary's engine.
func engineCLI(t *testing.T) (*Docker, *dockerd.Engine) {
	e := dockerd.Shared(t)
	d, err := New(dockerd.CLIBinary, e.Socket, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d, e
}

func newID() string {
	b, _ := os.ReadFile("/proc/sys/kernel/random/uuid")
	return strings.TrimSpace(string(b))
}

func TestValidate(t *testing.T) {
	d, _ := engineCLI(t)
	if err := d.Validate(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	v, err := d.Version(testCtx(t))
	if err != nil || v.Less(Version{20, 0, 0}) {
		t.Fatalf("version %v, %v", v, err)
	}
	missing, _ := New("/nonexistent/docker", DefaultSocket, nil)
	err = missing.Validate(testCtx(t))
	want := "Failed to get docker version: Failed to execute '/nonexistent/docker -H unix:///var/run/docker.sock --version': exited with status 127"
	if err == nil || err.Error() != want {
		t.Errorf("missing CLI: %v\nwant %s", err, want)
	}
	if _, err := New("docker", "relative.sock", nil); err == nil || err.Error() != "Invalid Docker socket path: relative.sock" {
		t.Errorf("relative socket: %v", err)
	}
}

// An engine that does not answer: docker ps fails with the CLI's own
// words (what agentd's refusal to start quotes).
func TestEngineUnreachable(t *testing.T) {
	dockerd.SkipShort(t) // runs the docker CLI
	sock := filepath.Join(t.TempDir(), "docker.sock")
	d, err := New(dockerd.CLIBinary, sock, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Ps(testCtx(t), true, NamePrefix)
	var ce *CommandError
	if !errors.As(err, &ce) || ce.Code != 1 || !strings.Contains(ce.Stderr, "Cannot connect to the Docker daemon at unix://"+sock) {
		t.Fatalf("ps against no engine: %v", err)
	}
	if !strings.HasPrefix(err.Error(), "Failed to run '"+dockerd.CLIBinary+" -H unix://"+sock+" ps -a': exited with status 1; stderr='") {
		t.Errorf("message: %s", err)
	}
}

// A container run as the Docker executor runs it: the sandbox mounted at
// the mapped directory, MESOS_SANDBOX set, cpu shares and memory limit in
// force, listed by Ps under the mesos- prefix, stopped and removed.
func TestRunInspectPsStop(t *testing.T) {
	d, e := engineCLI(t)
	ctx := testCtx(t)
	sandbox := t.TempDir()
	id := newID()
	name := ContainerName(id)
	ci := &api.ContainerInfo{Type: "DOCKER", Docker: &api.DockerInfo{Image: dockerd.Image, Network: "NONE"}}
	o, err := NewRunOptions(ci, Command{Shell: true, Value: `echo "out $MESOS_SANDBOX"; echo err >&2; echo hi > $MESOS_SANDBOX/written; trap "exit 0" TERM; sleep 1000 & wait`},
		name, sandbox, "/mnt/mesos/sandbox", &Resources{CPUs: 0.5, Mem: 48}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd, err := d.Start(o, &stdout, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = d.Rm(context.Background(), name, true) })

	var c Container
	deadline := time.Now().Add(time.Minute)
	for {
		c, err = d.Inspect(ctx, name)
		if err == nil && c.Started {
			break
		}
		if err != nil && !IsNoSuchContainer(err) {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("container did not start: %v; stderr %s", err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if c.Name != name || c.Pid <= 0 || !c.Running || c.NetworkMode != "none" || c.Image != dockerd.Image {
		t.Fatalf("inspect: %+v", c)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(c.Pid)); err != nil {
		t.Errorf("container pid %d not on the host: %v", c.Pid, err)
	}
	for file, want := range map[string]string{"cpu.shares": "512", "cpu.cfs_quota_us": "50000", "memory.limit_in_bytes": "50331648"} {
		ctrl, _, _ := strings.Cut(file, ".")
		got, err := dockerd.ReadCgroupFile(c.Pid, ctrl, file)
		if err != nil {
			t.Errorf("%s: %v", file, err)
		} else if strings.TrimSpace(got) != want {
			t.Errorf("%s = %s, want %s", file, got, want)
		}
	}
	waitFile(t, filepath.Join(sandbox, "written"), "hi\n")

	other := "other-" + id
	if _, err := e.Output(ctx, "create", "--name", other, dockerd.Image, "true"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Rm(context.Background(), other, true) })
	list, err := d.Ps(ctx, true, NamePrefix)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, x := range list {
		if x.Name == other {
			t.Errorf("ps with prefix %s lists %s", NamePrefix, other)
		}
		found = found || x.Name == name && x.Pid == c.Pid
	}
	if !found {
		t.Errorf("ps does not list %s: %+v", name, list)
	}
	all, err := d.Ps(ctx, true, "")
	if err != nil || len(all) < 2 {
		t.Errorf("ps without prefix: %d, %v", len(all), err)
	}

	if err := d.Stop(ctx, name, 5*time.Second, true); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("docker run after stop: %v (the trap exits 0)", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("docker run did not return after docker stop")
	}
	if !strings.Contains(stdout.String(), "out /mnt/mesos/sandbox") || !strings.Contains(stderr.String(), "err") {
		t.Errorf("output: %q / %q", stdout.String(), stderr.String())
	}
	if _, err := d.Inspect(ctx, name); !IsNoSuchContainer(err) {
		t.Errorf("after stop with remove: %v", err)
	}
}

func waitFile(t *testing.T, path, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil && string(b) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %q, %v; want %q", path, b, err, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill sends a signal; a container that exits is still inspectable until
// removed.
func TestKillAndExitState(t *testing.T) {
	d, _ := engineCLI(t)
	ctx := testCtx(t)
	name := ContainerName(newID())
	o, err := NewRunOptions(&api.ContainerInfo{Type: "DOCKER", Docker: &api.DockerInfo{Image: dockerd.Image, Network: "NONE"}},
		Command{Value: "sleep", Arguments: []string{"1000"}}, name, t.TempDir(), "/mnt/mesos/sandbox", nil, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	cmd, err := d.Start(o, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Rm(context.Background(), name, true) })
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		if c, err := d.Inspect(ctx, name); err == nil && c.Running {
			break
		}
		if time.Since(start) > time.Minute {
			t.Fatal("not running")
		}
	}
	if err := d.Kill(ctx, name, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || WaitStatus(ws) != "exited with status 137" {
		t.Errorf("docker run after SIGKILL: %v", err)
	}
	c, err := d.Inspect(ctx, name)
	if err != nil || c.Running || c.Pid != 0 || c.ExitCode != 137 || c.FinishedAt.IsZero() || !c.Started {
		t.Errorf("exited container: %+v %v", c, err)
	}
}

// An image present locally is used without any registry; a missing one
// fails with the pull command, its status and docker's stderr. A forced
// pull goes to the registry even for a present image (and so fails here:
// no registry is reachable).
func TestPull(t *testing.T) {
	d, _ := engineCLI(t)
	ctx := testCtx(t)
	img, err := d.Pull(ctx, t.TempDir(), dockerd.Image, false)
	if err != nil || !strings.HasPrefix(img.ID, "sha256:") {
		t.Fatalf("present image: %+v, %v", img, err)
	}
	img, err = d.Pull(ctx, t.TempDir(), "mesosctl-test/busybox", false) // :latest is added
	if err != nil || img.ID == "" {
		t.Fatalf("present image without tag: %+v, %v", img, err)
	}
	_, err = d.Pull(ctx, t.TempDir(), "mesosctl-test/absent", false)
	re := regexp.MustCompile(`^Failed to run '` + regexp.QuoteMeta(d.Cmdline("pull", "mesosctl-test/absent:latest")) + `': exited with status 1; stderr='.*(connection refused|not found|denied).*'$`)
	if err == nil || !re.MatchString(err.Error()) {
		t.Errorf("missing image: %v", err)
	}
	_, err = d.Pull(ctx, t.TempDir(), dockerd.Image, true)
	if err == nil || !strings.Contains(err.Error(), "pull "+dockerd.Image+"': exited with status 1") {
		t.Errorf("forced pull: %v", err)
	}
}

// --docker_config is the client's configuration for the pull: the
// credentials it holds for a registry are what the engine presents to it.
// The registry is a stand-in HTTP server on loopback that asks for basic
// authentication and records what it gets.
func TestPullWithDockerConfig(t *testing.T) {
	e := dockerd.Shared(t)
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("Authorization"))
		mu.Unlock()
		if r.Header.Get("Authorization") == "" {
			w.Header().Set("WWW-Authenticate", `Basic realm="mesosctl-test"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	registry := strings.TrimPrefix(srv.URL, "http://")
	auth := base64.StdEncoding.EncodeToString([]byte("alice:s3cret"))
	d, err := New(dockerd.CLIBinary, e.Socket, []byte(`{"auths":{"`+registry+`":{"auth":"`+auth+`"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Pull(testCtx(t), t.TempDir(), registry+"/team/app", false); err == nil {
		t.Fatal("pull from a registry without the image succeeded")
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(got, "Basic "+auth) {
		t.Errorf("the registry got Authorization %q, want the --docker_config credentials", got)
	}
	// Without the config, no credentials.
	got = nil
	mu.Unlock()
	plain, _ := New(dockerd.CLIBinary, e.Socket, nil)
	_, _ = plain.Pull(testCtx(t), t.TempDir(), registry+"/team/app", false)
	mu.Lock()
	for _, a := range got {
		if a != "" {
			t.Errorf("credentials sent without --docker_config: %q", a)
		}
	}
}
