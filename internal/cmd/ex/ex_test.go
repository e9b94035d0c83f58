package ex_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/mesosctl"
	"github.com/mesosctl/mesosctl/internal/testutil/sshd"
)

func setup(t *testing.T, n int, user string) (string, []*sshd.Server) {
	t.Helper()
	servers := sshd.StartNodes(t, n, sshd.Options{Subnet: "127.0.4", LogLevel: "INFO"})
	cfg := sshd.Inventory(t, servers, user)
	t.Setenv("MESOSCTL_CONFIG", cfg)
	t.Setenv("NODES", "")
	t.Setenv("SSH_AUTH_SOCK", "")
	// Each test has its own ssh-mux directory and state (@failed).
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	return cfg, servers
}

func run(t *testing.T, args ...string) (cmdutil.ExitCode, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	code := mesosctl.Run(context.Background(), ios, append([]string{"mesosctl"}, args...))
	return code, out.String(), errOut.String()
}

func TestExHeaderMode(t *testing.T) {
	setup(t, 3, "root")
	code, out, errOut := run(t, "ex", "--ordered", "lxb00[1-3]", "echo hi; echo warn >&2")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	want := "-- lxb001 --\nhi\n-- lxb002 --\nhi\n-- lxb003 --\nhi\n"
	if out != want {
		t.Fatalf("stdout:\n%s\nwant:\n%s", out, want)
	}
	if errOut != "warn\nwarn\nwarn\n" {
		t.Fatalf("stderr %q", errOut)
	}
}

func TestExPartialFailureExits3(t *testing.T) {
	_, servers := setup(t, 3, "root")
	servers[1].Stop()
	code, out, errOut := run(t, "ex", "--ordered", "lxb00[1-3]", `test "$(echo $SSH_CONNECTION | cut -d' ' -f3)" != 127.0.4.3`)
	if code != cmdutil.ExitPartial {
		t.Fatalf("exit %d, want 3; stderr %s", code, errOut)
	}
	if out != "-- lxb001 --\n-- lxb002 --\n-- lxb003 --\n" {
		t.Fatalf("stdout %q", out)
	}
	for _, w := range []string{"mesosctl: lxb002: connect to 127.0.4.2:", "connection refused",
		"mesosctl: lxb003: exited with exit code 1", "error: 2 of 3 nodes failed"} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}
}

func TestExSingleNodeExitCodePassesThrough(t *testing.T) {
	setup(t, 1, "root")
	code, _, _ := run(t, "ex", "lxb001", "exit 7")
	if code != 7 {
		t.Fatalf("exit %d, want 7", code)
	}
}

func TestExGather(t *testing.T) {
	setup(t, 4, "root")
	code, out, errOut := run(t, "ex", "-b", "lxb00[1-4]", `case $(echo $SSH_CONNECTION | cut -d' ' -f3) in 127.0.4.3) echo other;; *) echo same;; esac`)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := "---------------\nlxb[001-002,004] (3)\n---------------\nsame\n---------------\nlxb003 (1)\n---------------\nother\n"
	if out != want {
		t.Fatalf("stdout:\n%s\nwant:\n%s", out, want)
	}
}

func TestExStreamLineIntegrity(t *testing.T) {
	setup(t, 3, "root")
	code, out, errOut := run(t, "ex", "--stream", "lxb00[1-3]", `i=0; while [ $i -lt 2000 ]; do echo "line-$i-abcdefghijklmnopqrstuvwxyz"; i=$((i+1)); done; printf partial`)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 3*2001 {
		t.Fatalf("%d lines, want %d", len(lines), 3*2001)
	}
	next := map[string]int{}
	for _, l := range lines {
		node, rest, ok := strings.Cut(l, ": ")
		if !ok || !strings.HasPrefix(node, "lxb00") {
			t.Fatalf("bad line %q", l)
		}
		if rest == "partial" {
			next[node] = -1
			continue
		}
		want := fmt.Sprintf("line-%d-abcdefghijklmnopqrstuvwxyz", next[node])
		if rest != want {
			t.Fatalf("line %q, want %s: %q", l, node, want)
		}
		next[node]++
	}
	for _, n := range []string{"lxb001", "lxb002", "lxb003"} {
		if next[n] != -1 {
			t.Errorf("%s: partial last line missing", n)
		}
	}
}

func TestExJSON(t *testing.T) {
	_, servers := setup(t, 3, "root")
	servers[1].Stop()
	code, out, _ := run(t, "ex", "-o", "json", "--ordered", "lxb00[1-3]",
		`echo out; echo err >&2; case $(echo $SSH_CONNECTION | cut -d' ' -f3) in 127.0.4.3) printf 'a\377b\n'; exit 0;; esac; exit 4`)
	if code != cmdutil.ExitPartial {
		t.Fatalf("exit %d", code)
	}
	// JSON Lines: one object a line.
	var res []map[string]any
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%v: %q", err, line)
		}
		res = append(res, m)
	}
	if len(res) != 3 || res[0]["node"] != "lxb001" || res[0]["exit_code"] != 4.0 || res[0]["stdout"] != "out\n" ||
		res[0]["stderr"] != "err\n" || res[0]["duration_ms"] == nil || res[0]["error"] != nil || res[0]["stdout_base64"] != nil {
		t.Fatalf("node 1: %v", res[0])
	}
	if res[1]["exit_code"] != -1.0 || !strings.Contains(res[1]["error"].(string), "connection refused") {
		t.Fatalf("node 2: %v", res[1])
	}
	// Not valid UTF-8: the text has U+FFFD, the base64 field the bytes.
	if res[2]["stdout"] != "out\na\ufffdb\n" || res[2]["stdout_base64"] != base64.StdEncoding.EncodeToString([]byte("out\na\xffb\n")) {
		t.Fatalf("node 3: %v", res[2])
	}
	// --jq works on each node's object.
	code, out, _ = run(t, "ex", "--jq", "select(.exit_code != 0) | .node", "--ordered", "lxb00[1-3]", "exit 2")
	if code != cmdutil.ExitPartial || out != "\"lxb001\"\n\"lxb002\"\n\"lxb003\"\n" {
		t.Fatalf("--jq: exit %d stdout %q", code, out)
	}
}

func TestExNodesEnvAndUsageErrors(t *testing.T) {
	setup(t, 2, "root")
	t.Setenv("NODES", "lxb00[1-2]")
	code, out, errOut := run(t, "ex", "--ordered", "echo $((40+2))")
	if code != 0 || out != "-- lxb001 --\n42\n-- lxb002 --\n42\n" {
		t.Fatalf("exit %d stdout %q stderr %q", code, out, errOut)
	}
	code, out, _ = run(t, "ex", "-x", "lxb001", "echo x")
	if code != 0 || out != "-- lxb002 --\nx\n" {
		t.Fatalf("exclude: exit %d stdout %q", code, out)
	}
	t.Setenv("NODES", "")
	if code, _, errOut := run(t, "ex", "lxb001"); code != cmdutil.ExitUsage || !strings.Contains(errOut, "no command given") {
		t.Fatalf("exit %d stderr %q", code, errOut)
	}
	if code, _, errOut := run(t, "ex", "--progress=sometimes", "lxb001", "true"); code != cmdutil.ExitUsage || !strings.Contains(errOut, "--progress") {
		t.Fatalf("exit %d stderr %q", code, errOut)
	}
	if code, _, _ := run(t, "ex", "-b", "-s", "lxb001", "true"); code != cmdutil.ExitUsage {
		t.Fatalf("exit %d", code)
	}
}

func TestExHostKeys(t *testing.T) {
	cfg, _ := setup(t, 2, "root")
	kh := sshd.KnownHostsPath(cfg)
	os.WriteFile(kh, nil, 0o600)
	code, _, errOut := run(t, "ex", "lxb00[1-2]", "true")
	if code != cmdutil.ExitPartial || !strings.Contains(errOut, "--accept-new-host-keys") {
		t.Fatalf("unknown keys: exit %d stderr %s", code, errOut)
	}
	code, _, errOut = run(t, "ex", "--accept-new-host-keys", "lxb00[1-2]", "true")
	if code != 0 {
		t.Fatalf("accept: exit %d stderr %s", code, errOut)
	}
	b, _ := os.ReadFile(kh)
	if strings.Count(string(b), "ssh-ed25519") != 2 {
		t.Fatalf("known_hosts:\n%s", b)
	}
	// A changed key (another host's line under this name) is refused loudly.
	other, _ := sshd.GenerateKeys(t.TempDir())
	lines := strings.SplitN(string(b), "\n", 2)
	host := strings.Fields(lines[0])[0]
	os.WriteFile(kh, []byte(host+" "+strings.TrimSpace(string(sshMarshal(other)))+"\n"+lines[1]), 0o600)
	code, _, errOut = run(t, "ex", "--accept-new-host-keys", "lxb00[1-2]", "true")
	if code != cmdutil.ExitPartial || !strings.Contains(errOut, "REMOTE HOST IDENTIFICATION HAS CHANGED") {
		t.Fatalf("changed: exit %d stderr %s", code, errOut)
	}
}

func sshMarshal(k *sshd.Keys) []byte {
	b, _ := os.ReadFile(k.HostKeyPath + ".pub")
	f := strings.Fields(string(b))
	return []byte(f[0] + " " + f[1])
}

func TestExTimeout(t *testing.T) {
	setup(t, 2, "root")
	code, _, errOut := run(t, "ex", "--timeout", "500ms", "lxb00[1-2]", "sleep 20")
	if code != cmdutil.ExitPartial || strings.Count(errOut, "timed out after 500ms") != 2 {
		t.Fatalf("exit %d stderr %s", code, errOut)
	}
}

func TestExRootViaSudo(t *testing.T) {
	user := "mesosctltest"
	exec.Command("userdel", "-r", user).Run()
	if out, err := exec.Command("useradd", "-m", "-s", "/bin/sh", user).CombinedOutput(); err != nil {
		t.Fatalf("useradd (needs root and the passwd package): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("userdel", "-r", "-f", user).Run() })
	// A new account is locked ("!"), and sshd without PAM refuses locked
	// accounts even for key logins: set "*" (no password, not locked).
	if out, err := exec.Command("usermod", "-p", "*", user).CombinedOutput(); err != nil {
		t.Fatalf("usermod: %v %s", err, out)
	}
	sudoers := "/etc/sudoers.d/mesosctl-test"
	if err := os.WriteFile(sudoers, []byte(user+" ALL=(ALL) NOPASSWD: ALL\n"), 0o440); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(sudoers) })
	_, servers := setup(t, 1, user)
	home := "/home/" + user
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	pub, _ := os.ReadFile(servers[0].Keys.ClientKeyPath + ".pub")
	os.WriteFile(filepath.Join(home, ".ssh", "authorized_keys"), pub, 0o600)
	exec.Command("chown", "-R", user+":", home).Run()
	// The key file must be readable for the client (we are root: fine).
	code, out, errOut := run(t, "ex", "lxb001", "id -un")
	if code != 0 || out != "-- lxb001 --\n"+user+"\n" {
		t.Fatalf("plain: exit %d stdout %q stderr %s", code, out, errOut)
	}
	code, out, errOut = run(t, "ex", "lxb001", "-r", "id -un; echo \"it's $(id -u)\"")
	if code != 0 || out != "-- lxb001 --\nroot\nit's 0\n" {
		t.Fatalf("-r: exit %d stdout %q stderr %s", code, out, errOut)
	}
	// A timed-out command run as root through sudo ends with its whole
	// process group (sshd's signals, sent as the user, could not reach it).
	cmd, marker := sleeper(400)
	code, _, errOut = run(t, "ex", "-r", "--timeout", "700ms", "lxb001", cmd)
	if code != cmdutil.ExitPartial || !strings.Contains(errOut, "timed out") {
		t.Fatalf("-r --timeout: exit %d stderr %s", code, errOut)
	}
	if left := leftovers(marker); left != "" {
		t.Fatalf("-r --timeout: left on the node:\n%s", left)
	}
}

var builtBinary string

// buildBinary builds cmd/mesosctl once for the package's tests.
func buildBinary(t *testing.T) string {
	t.Helper()
	if builtBinary == "" {
		dir, err := os.MkdirTemp("", "mesosctl-ex-test")
		if err != nil {
			t.Fatal(err)
		}
		bin := filepath.Join(dir, "mesosctl")
		if out, err := exec.Command("go", "build", "-o", bin, "github.com/mesosctl/mesosctl/cmd/mesosctl").CombinedOutput(); err != nil {
			t.Fatalf("build: %v %s", err, out)
		}
		builtBinary = bin
	}
	return builtBinary
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builtBinary != "" {
		os.RemoveAll(filepath.Dir(builtBinary))
	}
	os.Exit(code)
}

func TestExBuiltBinary(t *testing.T) {
	setup(t, 2, "root")
	bin := buildBinary(t)
	cmd := exec.Command(bin, "ex", "--ordered", "lxb00[1-2]", "hostname >/dev/null; echo ok; exit 1")
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Fatalf("err %v, want exit 3", err)
	}
	if string(out) != "-- lxb001 --\nok\n-- lxb002 --\nok\n" {
		t.Fatalf("stdout %q", out)
	}
}

func TestExCancelExits130(t *testing.T) {
	setup(t, 2, "root")
	ios, _, out, errOut := iostreams.Test()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	start := time.Now()
	code := mesosctl.Run(ctx, ios, []string{"mesosctl", "ex", "lxb00[1-2]", "echo started; sleep 30"})
	if code != cmdutil.ExitCancel || time.Since(start) > 10*time.Second {
		t.Fatalf("exit %d after %v; stderr %s", code, time.Since(start), errOut)
	}
	if strings.Count(errOut.String(), ": cancelled") != 2 || strings.Count(out.String(), "started") != 2 {
		t.Fatalf("stdout %q stderr %q", out, errOut)
	}
}

func TestExProgressOnStderrOnly(t *testing.T) {
	setup(t, 2, "root")
	code, out, errOut := run(t, "ex", "--ordered", "--progress=always", "lxb00[1-2]", "sleep 1.4; echo done-$((1+1))")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if out != "-- lxb001 --\ndone-2\n-- lxb002 --\ndone-2\n" {
		t.Fatalf("stdout %q", out)
	}
	if !strings.Contains(errOut, "0/2 done, slowest: lxb001 1.") || !strings.HasSuffix(errOut, "\r\x1b[K") {
		t.Fatalf("stderr %q lacks the progress line or its erasure", errOut)
	}
	// Piped stderr with the default (auto): no progress line.
	code, _, errOut = run(t, "ex", "lxb001", "sleep 1.2")
	if code != 0 || errOut != "" {
		t.Fatalf("auto on a pipe: exit %d stderr %q", code, errOut)
	}
}
