package launcher

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/checkpoint"
)

// TestMain lets the test binary act as the launcher: with
// LAUNCHER_TEST_INFO set it runs Run on that launch info and exits.
func TestMain(m *testing.M) {
	if arg := os.Getenv("LAUNCHER_TEST_INFO"); arg != "" {
		info, err := Load(arg)
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(Run(info))
	}
	os.Exit(m.Run())
}

// TestKillBeforeStart: a SIGTERM that reaches the launcher while it waits
// for agentd's go-ahead is not lost: the command never starts and the
// termination record says it was killed by that signal.
func TestKillBeforeStart(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	info := &Info{ContainerID: "c1", RuntimeDir: filepath.Join(dir, "run"), WorkDir: filepath.Join(dir, "work"),
		Sandbox: dir, Shell: true, Command: "touch " + marker, Standalone: true, Handshake: true}
	rt := info.Paths().Runtime(info.ContainerID)
	if err := os.MkdirAll(rt, 0o755); err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(info)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "LAUNCHER_TEST_INFO="+string(js))
	cmd.ExtraFiles = []*os.File{pr} // descriptor 3 = HandshakeFD
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pr.Close()
	waitBlockedOnHandshake(t, cmd.Process.Pid)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let the signal be delivered before the go-ahead
	pw.WriteString(HandshakeGo)
	pw.Close()
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 128+int(syscall.SIGTERM) {
		t.Errorf("launcher: %v, want exit %d", err, 128+int(syscall.SIGTERM))
	}
	var term Termination
	if err := checkpoint.ReadRecord(filepath.Join(rt, "termination"), &term); err != nil {
		t.Fatal(err)
	}
	if term.Signal != int(syscall.SIGTERM) || term.Exited {
		t.Errorf("termination %+v, want killed by SIGTERM", term)
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Errorf("the command ran although it was killed before it started (%v)", err)
	}
}

// waitBlockedOnHandshake waits until a thread of pid sits in read(2) on
// HandshakeFD: the launcher has installed its signal handling by then.
func waitBlockedOnHandshake(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		tasks, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "syscall"))
		for _, p := range tasks {
			b, _ := os.ReadFile(p)
			f := strings.Fields(string(b))
			if len(f) > 1 && f[0] == "0" && f[1] == "0x3" { // read(3, ...) on x86_64
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the launcher never waited on the handshake descriptor")
}
