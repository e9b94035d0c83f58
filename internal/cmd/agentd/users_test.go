package agentd

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
)

// testAccount is a real user created with useradd for one test (removed
// at cleanup), with a supplementary group of its own.
type testAccount struct {
	Name, Group, Home string
	UID, GID, SupGID  int
}

func newTestAccount(t *testing.T, tag string) testAccount {
	t.Helper()
	if testing.Short() {
		t.Skip("creates users: not with -short (make unit)")
	}
	for _, tool := range []string{"useradd", "userdel", "groupadd", "groupdel"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found (Debian package passwd)", tool)
		}
	}
	suffix := strconv.FormatInt(time.Now().UnixNano()%1e8, 36) + strconv.Itoa(os.Getpid()%1000)
	a := testAccount{Name: "mt" + tag + suffix, Group: "mtg" + tag + suffix, Home: "/nonexistent/" + tag}
	if out, err := exec.Command("groupadd", a.Group).CombinedOutput(); err != nil {
		t.Fatalf("groupadd %s: %v %s", a.Group, err, out)
	}
	t.Cleanup(func() { exec.Command("groupdel", a.Group).Run() })
	if out, err := exec.Command("useradd", "--no-create-home", "--home-dir", a.Home, "--shell", "/bin/sh",
		"--groups", a.Group, a.Name).CombinedOutput(); err != nil {
		t.Fatalf("useradd %s: %v %s", a.Name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("userdel", a.Name).CombinedOutput(); err != nil {
			t.Errorf("userdel %s: %v %s", a.Name, err, out)
		}
	})
	u, err := user.Lookup(a.Name)
	if err != nil {
		t.Fatal(err)
	}
	g, err := user.LookupGroup(a.Group)
	if err != nil {
		t.Fatal(err)
	}
	a.UID, _ = strconv.Atoi(u.Uid)
	a.GID, _ = strconv.Atoi(u.Gid)
	a.SupGID, _ = strconv.Atoi(g.Gid)
	return a
}

// traversable opens the test agent's directory to other users, as
// /var/lib/mesos is (t.TempDir makes its parent 0700): a task running as
// a test account must reach its sandbox.
func traversable(t *testing.T, a *agentProc) {
	t.Helper()
	for d := a.dir; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// whoami is a task command printing who it runs as, its environment and
// what it can do in its sandbox.
const whoami = `echo "uid=$(id -u) gid=$(id -g) groups=$(id -G)"; echo "HOME=$HOME USER=$USER LOGNAME=$LOGNAME"; ` +
	`echo "cwd=$(pwd)"; touch mine && echo "created=$(stat -c %U mine)"; echo "sandbox=$(stat -c %U:%a .)"`

func parseWhoami(t *testing.T, out string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if i := strings.Index(line, "groups="); i >= 0 {
			m["groups"] = strings.TrimSpace(line[i+len("groups="):])
			line = line[:i]
		}
		for _, f := range strings.Fields(line) {
			if k, v, ok := strings.Cut(f, "="); ok {
				m[k] = v
			}
		}
	}
	return m
}

func sandboxFile(t *testing.T, a *agentProc, sandbox, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sandbox, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTaskUsers: with --switch_user (the default) a task runs as its user,
// else its framework's, with that user's groups, HOME, USER and LOGNAME,
// in a sandbox it owns; an unknown user fails the task as Mesos does and
// nothing runs; all of it survives an agentd restart.
func TestTaskUsers(t *testing.T) {
	alice, bob := newTestAccount(t, "a"), newTestAccount(t, "b")
	a := startBinaryAgent(t)
	traversable(t, a)

	spec := sh("as-alice", whoami)
	spec.User = alice.Name
	a.launch(spec)
	ti := a.waitState("as-alice", 20*time.Second, "TASK_FINISHED", "TASK_FAILED")
	out := sandboxFile(t, a, ti.Sandbox, "stdout")
	m := parseWhoami(t, out)
	wantGroups := fmt.Sprintf("%d %d", alice.GID, alice.SupGID)
	if ti.State != "TASK_FINISHED" || m["uid"] != strconv.Itoa(alice.UID) || m["gid"] != strconv.Itoa(alice.GID) ||
		m["groups"] != wantGroups || m["HOME"] != alice.Home || m["USER"] != alice.Name || m["LOGNAME"] != alice.Name ||
		m["cwd"] != ti.Sandbox || m["created"] != alice.Name || m["sandbox"] != alice.Name+":750" {
		t.Fatalf("task as %s (uid %d, groups %s): %s\n%s\nstderr: %s", alice.Name, alice.UID, wantGroups, ti.State, out,
			sandboxFile(t, a, ti.Sandbox, "stderr"))
	}
	for _, f := range []string{"stdout", "stderr"} {
		fi, _ := os.Stat(filepath.Join(ti.Sandbox, f))
		if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != alice.UID {
			t.Errorf("%s owned by uid %d, want %d", f, st.Uid, alice.UID)
		}
	}

	// No task user: the framework's.
	spec = sh("as-bob", whoami)
	spec.FrameworkID, spec.FrameworkUser = "bobs-framework", bob.Name
	a.launch(spec)
	ti = a.waitState("as-bob", 20*time.Second, "TASK_FINISHED", "TASK_FAILED")
	if m := parseWhoami(t, sandboxFile(t, a, ti.Sandbox, "stdout")); ti.State != "TASK_FINISHED" || m["uid"] != strconv.Itoa(bob.UID) || m["USER"] != bob.Name {
		t.Errorf("framework user task: %s %v", ti.State, m)
	}
	// Neither: agentd's own user (root here), with root's HOME.
	a.launch(sh("as-agentd", whoami))
	ti = a.waitState("as-agentd", 20*time.Second, "TASK_FINISHED", "TASK_FAILED")
	if m := parseWhoami(t, sandboxFile(t, a, ti.Sandbox, "stdout")); m["uid"] != "0" || m["USER"] != "root" || m["HOME"] != "/root" {
		t.Errorf("task without a user: %v", m)
	}

	// A user the node does not know: TASK_FAILED with Mesos' message and
	// reason, from the agent, and nothing ran (no sandbox at all).
	spec = sh("nobody-here", "echo ran > /tmp/should-not-run-"+strconv.Itoa(os.Getpid()))
	spec.User = "mtnosuchuser"
	got := a.launch(spec)
	if got.State != "TASK_FAILED" {
		t.Fatalf("launch answer for an unknown user: %+v", got)
	}
	check := func(ti api.TaskInfo) {
		t.Helper()
		want := fmt.Sprintf("Failed to create executor directory '%s': Failed to chown directory to 'mtnosuchuser': No such user 'mtnosuchuser'", ti.Sandbox)
		if ti.State != "TASK_FAILED" || len(ti.Statuses) != 1 || ti.Statuses[0].Message != want ||
			ti.Statuses[0].Reason != "REASON_EXECUTOR_TERMINATED" || ti.Statuses[0].Source != "SOURCE_AGENT" {
			t.Errorf("unknown user: %+v\nwant message %q", ti, want)
		}
		if _, err := os.Stat(ti.Sandbox); !os.IsNotExist(err) {
			t.Errorf("sandbox of the failed task exists: %v", err)
		}
	}
	check(a.task("nobody-here", ""))
	if _, err := os.Stat("/tmp/should-not-run-" + strconv.Itoa(os.Getpid())); err == nil {
		t.Error("the task of an unknown user ran")
	}

	// /state: frameworks with their users, the failed task completed.
	st := a.state()
	users := map[string]string{}
	for _, f := range append(st.Frameworks, st.CompletedFrameworks...) {
		users[f.ID] = f.User
	}
	if users["bobs-framework"] != bob.Name {
		t.Errorf("framework users in /state: %v", users)
	}
	a.kill9()
	a.restart()
	check(a.task("nobody-here", ""))
	if ti := a.task("as-alice", ""); ti.State != "TASK_FINISHED" {
		t.Errorf("after restart: as-alice %s", ti.State)
	}
}

// TestNoSwitchUser: with --no-switch_user every task runs as agentd's
// user, whatever user it names (and an unknown one is no failure).
func TestNoSwitchUser(t *testing.T) {
	alice := newTestAccount(t, "n")
	a := startBinaryAgent(t, "--no-switch_user")
	for id, u := range map[string]string{"named": alice.Name, "unknown": "mtnosuchuser"} {
		spec := sh(id, whoami)
		spec.User = u
		a.launch(spec)
		ti := a.waitState(id, 20*time.Second, "TASK_FINISHED", "TASK_FAILED")
		if m := parseWhoami(t, sandboxFile(t, a, ti.Sandbox, "stdout")); ti.State != "TASK_FINISHED" || m["uid"] != "0" || m["sandbox"] != "root:750" {
			t.Errorf("%s with --no-switch_user: %s %v", id, ti.State, m)
		}
	}
}

// TestStandaloneContainerUsers: LAUNCH_CONTAINER's command.user, as for
// tasks: the container runs as that user with its groups; an unknown user
// is refused as Mesos refuses it (500, "Failed to create sandbox: …");
// --no-switch_user runs it as agentd's user.
func TestStandaloneContainerUsers(t *testing.T) {
	alice := newTestAccount(t, "s")
	launch := func(a *agentProc, cid, u string) (int, string) {
		body := fmt.Sprintf(`{"type":"LAUNCH_CONTAINER","launch_container":{"container_id":{"value":%q},"command":{"value":%q,"user":%q}}}`, cid, whoami, u)
		code, out := a.do("POST", "/api/v1", body)
		return code, string(out)
	}
	wait := func(a *agentProc, cid string) string {
		code, out := a.do("POST", "/api/v1", `{"type":"WAIT_CONTAINER","wait_container":{"container_id":{"value":"`+cid+`"}}}`)
		if code != 200 {
			t.Fatalf("wait %s: %d %s", cid, code, out)
		}
		return sandboxFile(t, a, filepath.Join(a.dir, "work", "containers", cid), "stdout")
	}
	a := startBinaryAgent(t)
	traversable(t, a)
	if code, out := launch(a, "c-alice", alice.Name); code != 200 {
		t.Fatalf("launch: %d %s", code, out)
	}
	m := parseWhoami(t, wait(a, "c-alice"))
	if m["uid"] != strconv.Itoa(alice.UID) || m["groups"] != fmt.Sprintf("%d %d", alice.GID, alice.SupGID) ||
		m["USER"] != alice.Name || m["HOME"] != alice.Home || m["sandbox"] != alice.Name+":750" || m["created"] != alice.Name {
		t.Errorf("standalone container as %s: %v", alice.Name, m)
	}
	code, out := launch(a, "c-unknown", "mtnosuchuser")
	if code != 500 || out != "Failed to create sandbox: Failed to chown directory to 'mtnosuchuser': No such user 'mtnosuchuser'\n" {
		t.Errorf("unknown user: %d %q", code, out)
	}
	if code, _ := a.do("POST", "/api/v1", `{"type":"WAIT_CONTAINER","wait_container":{"container_id":{"value":"c-unknown"}}}`); code != 404 {
		t.Errorf("the refused container exists: WAIT_CONTAINER answers %d", code)
	}

	b := startBinaryAgent(t, "--no-switch_user")
	if code, out := launch(b, "c-root", alice.Name); code != 200 {
		t.Fatalf("launch: %d %s", code, out)
	}
	if m := parseWhoami(t, wait(b, "c-root")); m["uid"] != "0" || m["sandbox"] != "root:750" {
		t.Errorf("--no-switch_user standalone: %v", m)
	}
}

// TestExecAsUser: the CLI user's view: `mesosctl exec --user` runs the
// command as that user; a user the node lacks makes exec fail with Mesos'
// message.
func TestExecAsUser(t *testing.T) {
	alice := newTestAccount(t, "e")
	a := startBinaryAgent(t)
	traversable(t, a)
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("nodes:\n  - name: lxb001\n    address: 127.0.0.1\n    agent_port: %d\n", a.port)), 0o644)
	run := func(args ...string) (string, error) {
		cmd := exec.Command(a.bin, append([]string{"exec", "--agent", "lxb001", "--resources", "cpus:0.1;mem:32"}, args...)...)
		cmd.Env = append(os.Environ(), "MESOSCTL_CONFIG="+cfg, "NODES=")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("--name", "ids", "--user", alice.Name, "--command", "id -un >&2; id -u")
	if err != nil || !strings.Contains(out, "TASK_FINISHED") {
		t.Fatalf("exec --user %s: %v\n%s", alice.Name, err, out)
	}
	var list api.TaskList
	_, body := a.do("GET", api.TaskPath, nil)
	json.Unmarshal(body, &list)
	if len(list.Tasks) != 1 || sandboxFile(t, a, list.Tasks[0].Sandbox, "stdout") != strconv.Itoa(alice.UID)+"\n" {
		t.Errorf("tasks: %s", body)
	}
	out, err = run("--name", "ghost", "--user", "mtnosuchuser", "--command", "true")
	if err == nil || !strings.Contains(out, "TASK_FAILED") || !strings.Contains(out, "No such user 'mtnosuchuser'") {
		t.Errorf("exec --user mtnosuchuser: %v\n%s", err, out)
	}
}

// TestExecFindsLocalCredential: `mesosctl exec` on the agent's host needs
// no configured credentials when agentd requires read-write
// authentication: it uses the agent's own credential file. When that file
// cannot be read, the 401 says where it is and what to do.
func TestExecFindsLocalCredential(t *testing.T) {
	creds := filepath.Join(t.TempDir(), "agentd-credentials.json")
	os.WriteFile(creds, []byte(`{"credentials":[{"principal":"mesosctl","secret":"x7"}]}`), 0o600)
	a := startBinaryAgent(t, "--authenticate_http_readwrite", "--http_credentials="+creds)
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("nodes:\n  - name: lxb001\n    address: 127.0.0.1\n    agent_port: %d\n", a.port)), 0o644)
	run := func(args ...string) (string, error) {
		cmd := exec.Command(a.bin, append([]string{"exec", "--agent", "lxb001", "--resources", "cpus:0.1;mem:32"}, args...)...)
		cmd.Env = append(os.Environ(), "MESOSCTL_CONFIG="+cfg, "NODES=", "MESOSCTL_HTTP_CREDENTIALS=")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run("--name", "authd", "--command", "true"); err != nil || !strings.Contains(out, "TASK_FINISHED") {
		t.Fatalf("exec against an authenticating local agentd: %v\n%s", err, out)
	}
	os.Remove(creds)
	out, err := run("--name", "nocred", "--command", "true")
	if err == nil || !strings.Contains(out, "401") || !strings.Contains(out, creds) || !strings.Contains(out, "run mesosctl as root") {
		t.Errorf("exec when the credential file is gone: %v\n%s", err, out)
	}
}
