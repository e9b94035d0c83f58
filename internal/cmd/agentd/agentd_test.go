package agentd

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/testutil/dockerd"
	"github.com/mesosctl/mesosctl/internal/testutil/syncbuf"
)

// startAgent runs `agentd args…` in-process and returns its address and a
// stop function that waits for it to exit.
func startAgent(t *testing.T, args ...string) (addr string, stop func() error, logs *syncbuf.Buffer) {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	logs = &syncbuf.Buffer{}
	ios.ErrOut = logs
	ready := make(chan string, 1)
	ctx, cancel := context.WithCancel(context.Background())
	opts := &Options{IO: ios, Args: withRuntimeDir(t, args), Environ: func() []string { return nil }, Prog: "mesos-slave",
		Ready: func(a string) { ready <- a }}
	cmd := &cobra.Command{}
	cmd.SetContext(ctx)
	done := make(chan error, 1)
	go func() { done <- Run(cmd, opts) }()
	select {
	case addr = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("agent exited early: %v\nstdout: %s\nlogs: %s", err, out, logs)
	case <-time.After(15 * time.Second):
		cancel()
		t.Fatalf("agent did not become ready; logs: %s", logs)
	}
	var once sync.Once
	var res error
	stop = func() error {
		once.Do(func() { cancel(); res = <-done })
		return res
	}
	t.Cleanup(func() { _ = stop() })
	return addr, stop, logs
}

// withRuntimeDir gives a test agent its own --runtime_dir (the default,
// /var/run/mesos, is shared by every agent on the host).
func withRuntimeDir(t *testing.T, args []string) []string {
	for _, a := range args {
		if strings.HasPrefix(a, "--runtime_dir") || a == "--help" || a == "--version" {
			return args
		}
	}
	return append([]string{"--runtime_dir=" + t.TempDir()}, args...)
}

func runAgent(t *testing.T, args ...string) (string, string, error) {
	ios, _, out, errOut := iostreams.Test()
	opts := &Options{IO: ios, Args: withRuntimeDir(t, args), Environ: func() []string { return nil }, Prog: "mesos-slave"}
	cmd := &cobra.Command{}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd.SetContext(ctx)
	err := Run(cmd, opts)
	return out.String(), errOut.String(), err
}

func jq(t *testing.T, input []byte, filter ...string) string {
	t.Helper()
	if _, err := exec.LookPath("jq"); err != nil {
		t.Fatalf("jq not found: install the Debian package 'jq' (apt-get install jq)")
	}
	cmd := exec.Command("jq", filter...)
	cmd.Stdin = bytes.NewReader(input)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("jq %s: %v: %s", filter, err, out)
	}
	return string(out)
}

func httpGet(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return b
}

func TestSeedJQCommands(t *testing.T) {
	work := t.TempDir()
	confDir := t.TempDir()
	os.WriteFile(filepath.Join(confDir, "containerizers"), []byte("docker,mesos\n"), 0o644)
	// The docker containerizer needs its engine (the test binary's).
	os.WriteFile(filepath.Join(confDir, "docker_socket"), []byte(dockerd.Shared(t).Socket+"\n"), 0o644)
	os.WriteFile(filepath.Join(confDir, "docker"), []byte(dockerd.CLIBinary+"\n"), 0o644)
	os.MkdirAll(filepath.Join(confDir, "attributes"), 0o755)
	os.WriteFile(filepath.Join(confDir, "attributes", "rack"), []byte("3\n"), 0o644)
	addr, _, _ := startAgent(t, "--work_dir="+work, "--ip=127.0.0.1", "--port=0", "--config_dir="+confDir,
		"--resources=cpus:4;mem:1024;disk:2048")
	state := httpGet(t, "http://"+addr+"/state")
	got := jq(t, state, "{resources,attributes}")
	want := `{
  "resources": {
    "cpus": 4,
    "disk": 2048,
    "gpus": 0,
    "mem": 1024,
    "ports": "[31000-32000]"
  },
  "attributes": {
    "rack": 3
  }
}
`
	if got != want {
		t.Errorf("jq '{resources,attributes}':\n%s\nwant:\n%s", got, want)
	}
	if got := jq(t, state, ".flags.containerizers"); got != "\"docker,mesos\"\n" {
		t.Errorf("jq .flags.containerizers = %s", got)
	}
	if !bytes.Contains(state, []byte(`"attributes":{"rack":3.0}`)) || !bytes.Contains(state, []byte(`"cpus":4.0`)) {
		t.Errorf("doubles must be written with a decimal point: %s", state)
	}
	if got := jq(t, httpGet(t, "http://"+addr+"/flags"), ".flags.port"); got != "\"0\"\n" {
		t.Errorf("/flags port = %s", got)
	}
}

func TestIdentityAndReconfiguration(t *testing.T) {
	work := t.TempDir()
	base := []string{"--work_dir=" + work, "--ip=127.0.0.1", "--port=0", "--config_dir=", "--hostname=h1",
		"--resources=cpus:2;mem:512;disk:1024;ports:[31000-32000]"}
	addr, stop, logs := startAgent(t, append(base, "--attributes=rack:1")...)
	id1 := strings.TrimSpace(jq(t, httpGet(t, "http://"+addr+"/state"), "-r", ".id"))
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Flags at startup: ", "Agent resources: ", "Agent attributes: ", "Agent hostname: h1",
		"Recovering state from '" + work + "/meta'", "Finished recovery"} {
		if !strings.Contains(logs.String(), s) {
			t.Errorf("log lacks %q", s)
		}
	}
	if target, err := os.Readlink(filepath.Join(work, "meta", "slaves", "latest")); err != nil || target != id1 {
		t.Fatalf("latest -> %q, %v; want %s", target, err, id1)
	}
	if _, err := os.Stat(filepath.Join(work, "meta", "slaves", id1, "slave.info")); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(id1, "-S0") {
		t.Errorf("agent id %q not of form <uuid>-S0", id1)
	}

	// Same config: same ID.
	addr, stop, _ = startAgent(t, append(base, "--attributes=rack:1")...)
	if id := strings.TrimSpace(jq(t, httpGet(t, "http://"+addr+"/state"), "-r", ".id")); id != id1 {
		t.Errorf("restart changed ID %s → %s", id1, id)
	}
	stop()

	// Changed attribute under equal: refused with the hint, exit 1.
	_, errOut, err := runAgent(t, append(base, "--attributes=rack:2")...)
	if err == nil || cmdutil.ExitCodeOf(err) != 1 {
		t.Fatalf("changed attributes accepted: %v", err)
	}
	for _, s := range []string{"Failed to perform recovery: Incompatible agent info detected", "rack",
		"rm -f " + filepath.Join(work, "meta", "slaves", "latest"), "--reconfiguration_policy"} {
		if !strings.Contains(errOut, s) {
			t.Errorf("error output lacks %q:\n%s", s, errOut)
		}
	}
	// Additive policy accepts a new attribute.
	addr, stop, _ = startAgent(t, append(base, "--attributes=rack:1;os:centos7", "--reconfiguration_policy=additive")...)
	if id := strings.TrimSpace(jq(t, httpGet(t, "http://"+addr+"/state"), "-r", ".id")); id != id1 {
		t.Errorf("additive restart changed ID")
	}
	stop()

	// latest removed: new agent ID, S1.
	os.Remove(filepath.Join(work, "meta", "slaves", "latest"))
	addr, stop, _ = startAgent(t, append(base, "--attributes=rack:2")...)
	id2 := strings.TrimSpace(jq(t, httpGet(t, "http://"+addr+"/state"), "-r", ".id"))
	stop()
	if id2 == id1 || !strings.HasSuffix(id2, "-S1") || strings.TrimSuffix(id2, "-S1") != strings.TrimSuffix(id1, "-S0") {
		t.Errorf("new ID after removing latest = %s (old %s)", id2, id1)
	}
}

func TestBadConfigRefused(t *testing.T) {
	work := t.TempDir()
	cases := map[string][]string{
		"Failed to load flag 'attributes'":                              {"--attributes=rack:{a,b}"},
		"Failed to load flag 'resources'":                               {"--resources=cpus:abc:1"},
		"Failed to load flag 'reconfiguration_policy'":                  {"--reconfiguration_policy=loose"},
		"Failed to load flag 'containerizers'":                          {"--containerizers=rkt"},
		"Failed to load flag 'http_credentials'":                        {"--http_credentials=/nonexistent/creds.json"},
		"Failed to load flag 'mesosctl_warm_launchers': -1 is negative": {"--mesosctl_warm_launchers=-1"},
		"need credentials":                                              {"--authenticate_http_readwrite"},
		"Failed to load unknown flag 'bogus'":                           {"--bogus=1"},
		"unknown isolator 'cgroups/bogus'":                              {"--isolation=cgroups/cpu,cgroups/bogus"},
		// stout reads no separate value: say how to write it.
		"Failed to load non-boolean flag 'attributes': Missing value (write --attributes=rack:1: Mesos flags take their value after '='": {"--attributes", "rack:1"},
	}
	for want, extra := range cases {
		_, _, err := runAgent(t, append([]string{"--work_dir=" + work, "--config_dir=", "--port=0"}, extra...)...)
		if err == nil || !strings.Contains(err.Error(), want) || cmdutil.ExitCodeOf(err) != 2 {
			t.Errorf("%v: err = %v, want %q", extra, err, want)
		}
	}
	out, _, err := runAgent(t, "--version")
	if err != nil || !strings.Contains(out, "(mesos 1.11.0 compatible)") {
		t.Errorf("--version: %q %v", out, err)
	}
	out, _, err = runAgent(t, "--help")
	if err != nil || !strings.Contains(out, "Usage: mesos-slave [options]") {
		t.Errorf("--help: %q %v", out, err)
	}
}

// Arguments that are not flags are skipped, as a Mesos agent skips them,
// and named in a start-up warning.
func TestStrayArgumentsWarned(t *testing.T) {
	_, stop, logs := startAgent(t, "--work_dir="+t.TempDir(), "--config_dir=", "--ip=127.0.0.1", "--port=0", "--strict", "false")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "Ignoring command-line arguments that are not flags: 'false' (flags are written --name=value") {
		t.Errorf("no warning naming the stray argument:\n%s", logs)
	}
}

func TestCredentialsFromFile(t *testing.T) {
	work := t.TempDir()
	creds := filepath.Join(t.TempDir(), "creds.json")
	os.WriteFile(creds, []byte(`{"credentials":[{"principal":"ops","secret":"pw"}]}`), 0o600)
	addr, _, _ := startAgent(t, "--work_dir="+work, "--config_dir=", "--ip=127.0.0.1", "--port=0",
		"--http_credentials=file://"+creds, "--authenticate_http_readwrite", "--authenticate_http_readonly")
	resp, err := http.Get("http://" + addr + "/state")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("/state without credentials: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", "http://"+addr+"/state", nil)
	req.SetBasicAuth("ops", "pw")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/state with credentials: %d", resp.StatusCode)
	}
}

func TestCobraPassesMesosSyntaxThrough(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	var got []string
	cmd := NewCmdAgentd(&cmdutil.Factory{IOStreams: ios}, func(o *Options) error { got = o.Args; return nil })
	args := []string{"--work_dir=/w", "--no-switch_user", "--port", "5052", "--help"}
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != strings.Join(args, " ") {
		t.Fatalf("args = %q", got)
	}
}

func TestTornCheckpointReported(t *testing.T) {
	work := t.TempDir()
	base := []string{"--work_dir=" + work, "--ip=127.0.0.1", "--port=0", "--config_dir=", "--hostname=h1"}
	_, stop, _ := startAgent(t, base...)
	stop()
	id, _ := os.Readlink(filepath.Join(work, "meta", "slaves", "latest"))
	os.WriteFile(filepath.Join(work, "meta", "slaves", id, "slave.info"), []byte(`{"id":`), 0o644)
	_, errOut, err := runAgent(t, base...)
	if err == nil || !strings.Contains(errOut, "torn") || !strings.Contains(errOut, "rm -f") {
		t.Fatalf("torn slave.info: %v\n%s", err, errOut)
	}
}
