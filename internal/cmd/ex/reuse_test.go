package ex_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/mesosctl"
	"github.com/mesosctl/mesosctl/internal/sshkeep"
	"github.com/mesosctl/mesosctl/internal/testutil/sshd"
)

// leftovers waits up to 3s for every process whose command line contains
// marker to be gone (the test sshd run on this machine, so the "nodes'"
// processes are ours to see) and returns those still there.
func leftovers(marker string) string {
	var out []byte
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		out, _ = exec.Command("pgrep", "-af", marker).Output()
		if len(out) == 0 {
			return ""
		}
	}
	return string(out)
}

// sleeper is a remote command that leaves a background child and a
// grandchild in its process group, each marked with a unique number.
func sleeper(n int) (cmd, marker string) {
	marker = fmt.Sprintf("sleep 97%05d", n)
	return fmt.Sprintf("echo started; (%s.5 & wait) & %s.6; echo never", marker, marker), marker
}

var modes = [][]string{{}, {"-s"}, {"-b"}, {"-o", "json"}, {"--diff"}}

// TestExNothingOutlivesCancelledNode: on --timeout and on cancellation
// (what SIGINT, SIGTERM and SIGHUP do), in every output mode, the remote
// command's whole process group ends.
func TestExNothingOutlivesCancelledNode(t *testing.T) {
	setup(t, 2, "root")
	n := 0
	for _, mode := range modes {
		n++
		cmd, marker := sleeper(n)
		args := append(append([]string{"ex", "--timeout", "700ms"}, mode...), "lxb00[1-2]", cmd)
		code, out, errOut := run(t, args...)
		if code != cmdutil.ExitPartial || strings.Count(out+errOut, "timed out after 700ms") != 2 {
			t.Fatalf("%v: exit %d stderr %s", mode, code, errOut)
		}
		if left := leftovers(marker); left != "" {
			t.Fatalf("%v --timeout: left on the nodes:\n%s", mode, left)
		}

		n++
		cmd, marker = sleeper(n)
		ios, _, _, errBuf := iostreams.Test()
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(700*time.Millisecond, cancel)
		code = mesosctl.Run(ctx, ios, append(append([]string{"mesosctl", "ex"}, mode...), "lxb00[1-2]", cmd))
		if code != cmdutil.ExitCancel {
			t.Fatalf("%v: exit %d stderr %s", mode, code, errBuf)
		}
		if left := leftovers(marker); left != "" {
			t.Fatalf("%v cancelled: left on the nodes:\n%s", mode, left)
		}
	}
}

// TestExNoHeadOfLineBlocking: by default a node is printed as soon as it
// is done, whatever its place in the node set.
func TestExNoHeadOfLineBlocking(t *testing.T) {
	setup(t, 3, "root")
	code, out, errOut := run(t, "ex", "lxb00[1-3]", `case $(echo $SSH_CONNECTION | cut -d' ' -f3) in 127.0.4.1) sleep 2;; esac; echo done`)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.HasSuffix(out, "-- lxb001 --\ndone\n") || strings.Count(out, "done\n") != 3 {
		t.Fatalf("lxb001 (slow) should come last:\n%s", out)
	}
}

// TestExFailedSucceededRetrySummary: a run records its nodes by outcome
// for @failed/@succeeded; --retry tries a refused connection again; on a
// terminal a closing line counts the outcomes.
func TestExFailedSucceededRetrySummary(t *testing.T) {
	_, servers := setup(t, 3, "root")
	servers[2].Stop()
	code, _, _ := run(t, "ex", "lxb00[1-3]", `test "$(echo $SSH_CONNECTION | cut -d' ' -f3)" != 127.0.4.2`)
	if code != cmdutil.ExitPartial {
		t.Fatalf("exit %d", code)
	}
	code, out, errOut := run(t, "ex", "--ordered", "@failed", "true")
	if code != cmdutil.ExitPartial || out != "-- lxb002 --\n-- lxb003 --\n" {
		t.Fatalf("@failed: exit %d stdout %q stderr %s", code, out, errOut)
	}
	// That run recorded lxb002 as succeeded, lxb003 as failed.
	code, out, _ = run(t, "ex", "@succeeded", "echo ok")
	if code != 0 || out != "-- lxb002 --\nok\n" {
		t.Fatalf("@succeeded: exit %d stdout %q", code, out)
	}

	// lxb003 comes back while mesosctl waits to try it again.
	go func() {
		time.Sleep(300 * time.Millisecond)
		servers[2].Restart()
	}()
	ios, _, _, errBuf := iostreams.Test()
	ios.StderrTTY = true
	code = mesosctl.Run(context.Background(), ios, []string{"mesosctl", "ex", "--progress=never", "--retry", "5", "lxb00[1-3]",
		`test "$(echo $SSH_CONNECTION | cut -d' ' -f3)" != 127.0.4.2`})
	if code != cmdutil.ExitPartial || !strings.HasPrefix(errBuf.String(), "2 ok · 1 exit 1: lxb002\n") {
		t.Fatalf("--retry: exit %d stderr %q", code, errBuf)
	}
	servers[0].Stop()
	ios, _, _, errBuf = iostreams.Test()
	ios.StderrTTY = true
	mesosctl.Run(context.Background(), ios, []string{"mesosctl", "ex", "--progress=never", "lxb00[1-3]", "exit 3"})
	if !strings.Contains(errBuf.String(), "\n2 exit 3: lxb[002-003] · 1 unreachable: lxb001\n") {
		t.Fatalf("summary: %q", errBuf)
	}
}

func TestExDiff(t *testing.T) {
	setup(t, 3, "root")
	code, out, errOut := run(t, "ex", "--diff", "lxb00[1-3]", `echo a; echo $SSH_CONNECTION | cut -d' ' -f3 | sed 's/127.0.4.[12]/same/'; echo z`)
	want := "--- lxb[001-002] (2)\n+++ lxb003 (1)\n@@ -1,3 +1,3 @@\n a\n-same\n+127.0.4.3\n z\n"
	if code != 0 || out != want {
		t.Fatalf("exit %d stderr %s stdout:\n%s\nwant:\n%s", code, errOut, out, want)
	}
}

// TestExSharesControlMaster: a node whose ssh_config ControlPath has a live
// OpenSSH master runs through it (no new login), a node without one
// connects itself; cancelling through the master leaves nothing behind.
func TestExSharesControlMaster(t *testing.T) {
	cfg, servers := setup(t, 2, "root")
	dir, err := os.MkdirTemp("", "cm") // short: socket paths are limited to 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sshCfg := filepath.Join(filepath.Dir(cfg), "ssh_config")
	os.WriteFile(sshCfg, []byte("Host *\n  ControlPath "+dir+"/%C\n"), 0o600)
	sshd.StartMaster(t, servers[0], "root", dir+"/%C", sshd.KnownHostsPath(cfg))
	for range 2 {
		code, out, errOut := run(t, "ex", "--ordered", "lxb00[1-2]", `echo $SSH_CONNECTION | cut -d' ' -f3; echo e >&2; exit 4`)
		if code != cmdutil.ExitPartial || out != "-- lxb001 --\n127.0.4.1\n-- lxb002 --\n127.0.4.2\n" || !strings.HasPrefix(errOut, "e\ne\n") {
			t.Fatalf("exit %d stdout %q stderr %q", code, out, errOut)
		}
	}
	if n := strings.Count(servers[0].Stderr(), "Accepted publickey"); n != 1 {
		t.Fatalf("lxb001 saw %d logins, want 1 (the master's)", n)
	}
	if n := strings.Count(servers[1].Stderr(), "Accepted publickey"); n != 2 {
		t.Fatalf("lxb002 saw %d logins, want 2", n)
	}
	for i, mode := range modes {
		cmd, marker := sleeper(100 + i)
		code, out, errOut := run(t, append(append([]string{"ex", "--timeout", "700ms"}, mode...), "lxb001", cmd)...)
		if code != cmdutil.ExitPartial || !strings.Contains(out+errOut, "timed out") {
			t.Fatalf("%v: exit %d stderr %s", mode, code, errOut)
		}
		if left := leftovers(marker); left != "" {
			t.Fatalf("%v through the master: left on the node:\n%s", mode, left)
		}
	}
	// --no-reuse does not use the master.
	if code, _, errOut := run(t, "ex", "--no-reuse", "lxb001", "true"); code != 0 {
		t.Fatalf("--no-reuse: exit %d %s", code, errOut)
	}
	if n := strings.Count(servers[0].Stderr(), "Accepted publickey"); n != 2 {
		t.Fatalf("lxb001 saw %d logins, want 2", n)
	}
}

// TestExKeepsConnections runs the built binary: the first run starts the
// ssh-mux daemon, later runs reuse its connections (one login per node),
// host keys are checked again on reuse, cancelled commands leave nothing
// behind, SIGTERM and SIGHUP end the run (exit 128+N) and its remote commands, and
// `ssh-mux status|stop` work.
func TestExKeepsConnections(t *testing.T) {
	cfg, servers := setup(t, 2, "root")
	bin := buildBinary(t)
	rt := os.Getenv("XDG_RUNTIME_DIR")
	mux := sshkeep.Dir(os.Getenv)
	t.Cleanup(func() { exec.Command(bin, "ssh-mux", "stop").Run() })
	for i := range 3 {
		out, err := exec.Command(bin, "ex", "--ordered", "lxb00[1-2]", "echo $SSH_CONNECTION | cut -d' ' -f3").CombinedOutput()
		if err != nil || string(out) != "-- lxb001 --\n127.0.4.1\n-- lxb002 --\n127.0.4.2\n" {
			t.Fatalf("run %d: %v %s", i, err, out)
		}
	}
	for i, s := range servers {
		if n := strings.Count(s.Stderr(), "Accepted publickey"); n != 1 {
			t.Fatalf("lxb00%d saw %d logins, want 1", i+1, n)
		}
	}
	if fi, err := os.Stat(mux); err != nil || fi.Mode().Perm() != 0o700 || filepath.Dir(mux) != rt {
		t.Fatalf("socket directory %s: %v %v", mux, fi.Mode(), err)
	}
	if fi, err := os.Stat(sshkeep.Socket(mux)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket: %v %v", fi.Mode(), err)
	}
	out, err := exec.Command(bin, "ssh-mux", "status").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "2 connections") || !strings.Contains(string(out), "root@127.0.4.1:") {
		t.Fatalf("status: %v\n%s", err, out)
	}

	// Cancelled through the daemon: nothing is left.
	for i, mode := range modes {
		cmd, marker := sleeper(200 + i)
		c := exec.Command(bin, append(append([]string{"ex", "--timeout", "700ms"}, mode...), "lxb00[1-2]", cmd)...)
		if out, err := c.CombinedOutput(); exitCode(err) != 3 {
			t.Fatalf("%v: %v %s", mode, err, out)
		}
		if left := leftovers(marker); left != "" {
			t.Fatalf("%v through ssh-mux: left on the node:\n%s", mode, left)
		}
	}
	for i, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		cmd, marker := sleeper(300 + i)
		c := exec.Command(bin, "ex", "-s", "lxb00[1-2]", cmd) // -s: "started" shows at once
		stdout, _ := c.StdoutPipe()
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64)
		stdout.Read(buf) // wait until the command runs
		time.Sleep(300 * time.Millisecond)
		c.Process.Signal(sig)
		if err := c.Wait(); exitCode(err) != 128+int(sig) {
			t.Fatalf("%v: %v", sig, err)
		}
		if left := leftovers(marker); left != "" {
			t.Fatalf("%v: left on the node:\n%s", sig, left)
		}
	}

	// A changed host key is refused on reuse too.
	kh := sshd.KnownHostsPath(cfg)
	other, _ := sshd.GenerateKeys(t.TempDir())
	orig, _ := os.ReadFile(kh)
	lines := strings.Split(string(orig), "\n")
	os.WriteFile(kh, []byte(strings.Fields(lines[0])[0]+" "+string(sshMarshal(other))+"\n"+lines[1]+"\n"), 0o600)
	out, err = exec.Command(bin, "ex", "lxb00[1-2]", "true").CombinedOutput()
	if exitCode(err) != 3 || !strings.Contains(string(out), "lxb001: host key verification failed") {
		t.Fatalf("changed key on reuse: %v\n%s", err, out)
	}
	os.WriteFile(kh, orig, 0o600)

	if out, err := exec.Command(bin, "ssh-mux", "stop").CombinedOutput(); err != nil || !strings.Contains(string(out), "stopped") {
		t.Fatalf("stop: %v %s", err, out)
	}
	if out, _ := exec.Command(bin, "ssh-mux", "status").CombinedOutput(); !strings.Contains(string(out), "not running") {
		t.Fatalf("status after stop: %s", out)
	}
	// --no-reuse leaves no daemon behind.
	if out, err := exec.Command(bin, "ex", "--no-reuse", "lxb001", "true").CombinedOutput(); err != nil {
		t.Fatalf("--no-reuse: %v %s", err, out)
	}
	if _, err := os.Stat(sshkeep.Socket(mux)); err == nil {
		t.Fatal("--no-reuse started the daemon")
	}
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// TestExSSHPersist: ssh_persist sets how long the ssh-mux daemon stays
// when idle, and 0 starts none (connections of the run's own, closed at
// its end).
func TestExSSHPersist(t *testing.T) {
	setup(t, 1, "root")
	bin := buildBinary(t)
	sock := sshkeep.Socket(sshkeep.Dir(os.Getenv))
	t.Cleanup(func() { exec.Command(bin, "ssh-mux", "stop").Run() })

	t.Setenv("MESOSCTL_SSH_PERSIST", "1s")
	if out, err := exec.Command(bin, "ex", "lxb001", "true").CombinedOutput(); err != nil {
		t.Fatalf("ssh_persist 1s: %v %s", err, out)
	}
	if out, err := exec.Command(bin, "ssh-mux", "status").CombinedOutput(); err != nil || !strings.Contains(string(out), "ssh_persist 1s") {
		t.Fatalf("status: %v\n%s", err, out)
	}
	gone := false
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && !gone; time.Sleep(100 * time.Millisecond) {
		_, err := os.Stat(sock)
		gone = os.IsNotExist(err)
	}
	if !gone {
		t.Fatal("the ssh-mux daemon was still there 5s after a run with ssh_persist 1s")
	}

	t.Setenv("MESOSCTL_SSH_PERSIST", "0")
	if out, err := exec.Command(bin, "ex", "lxb001", "true").CombinedOutput(); err != nil {
		t.Fatalf("ssh_persist 0: %v %s", err, out)
	}
	if _, err := os.Stat(sock); err == nil {
		t.Fatal("ssh_persist 0 started the ssh-mux daemon")
	}
}
