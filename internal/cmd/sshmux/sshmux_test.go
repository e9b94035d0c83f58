package sshmux_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/mesosctl"
	"github.com/mesosctl/mesosctl/internal/remote"
	"github.com/mesosctl/mesosctl/internal/sshkeep"
	"github.com/mesosctl/mesosctl/internal/testutil/sshd"
)

func run(t *testing.T, args ...string) (cmdutil.ExitCode, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	code := mesosctl.Run(context.Background(), ios, append([]string{"mesosctl", "ssh-mux"}, args...))
	return code, out.String(), errOut.String()
}

// TestStatusAndStop: `ssh-mux status` without a daemon, with one keeping
// a connection to a real sshd (text and JSON), and `ssh-mux stop`.
func TestStatusAndStop(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	dir := sshkeep.Dir(os.Getenv)
	sock := sshkeep.Socket(dir)

	code, out, _ := run(t, "status")
	if code != 0 || out != "not running (socket "+sock+")\n" {
		t.Fatalf("status, none running: exit %d %q", code, out)
	}
	code, out, _ = run(t, "status", "-o", "json")
	var st map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st["running"] != false || st["socket"] != sock {
		t.Fatalf("status -o json, none running: exit %d %s", code, out)
	}
	if code, _, errOut := run(t, "stop"); code != 0 || errOut != "not running\n" {
		t.Fatalf("stop, none running: exit %d %q", code, errOut)
	}

	// A daemon (in this process) keeping one connection.
	srv := sshd.StartNodes(t, 1, sshd.Options{Subnet: "127.0.8"})[0]
	kh := t.TempDir() + "/known_hosts"
	sshd.WriteKnownHosts(kh, []*sshd.Server{srv})
	done := make(chan error, 1)
	go func() {
		done <- (&sshkeep.Server{Dir: dir, Persist: 90 * time.Second, Log: log.New(&bytes.Buffer{}, "", 0)}).Serve(context.Background())
	}()
	c := &sshkeep.Client{Dir: dir, Settings: sshkeep.Settings{KnownHostsFile: kh}}
	for deadline := time.Now().Add(5 * time.Second); c.Available() != nil; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the daemon did not start")
		}
	}
	tg := remote.Target{Name: "n1", Addr: srv.Addr, User: "root", IdentityFiles: []string{srv.Keys.ClientKeyPath}}
	if code, err := c.Exec(context.Background(), tg, remote.Exec{Command: "true"}); err != nil || code != 0 {
		t.Fatalf("exec: %d %v", code, err)
	}

	// The daemon counts the command as running until its handler returns,
	// a moment after the client has its exit status: wait until it is idle.
	var lines []string
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		code, out, _ = run(t, "status")
		lines = strings.Split(out, "\n")
		if len(lines) < 2 || strings.HasPrefix(lines[1], "idle for ") || time.Now().After(deadline) {
			break
		}
	}
	if code != 0 || len(lines) != 5 ||
		!strings.HasPrefix(lines[0], fmt.Sprintf("running: pid %d, socket %s, up ", os.Getpid(), sock)) ||
		!strings.HasPrefix(lines[1], "idle for ") || !strings.HasSuffix(lines[1], "(ssh_persist 1m30s)") ||
		lines[2] != "1 connections" || lines[3] != "  root@"+srv.Addr {
		t.Fatalf("status: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, "status", "-o", "json")
	st = nil
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st["running"] != true || st["pid"] != float64(os.Getpid()) ||
		st["persist"] != "1m30s" || st["commands_running"] != 0.0 || fmt.Sprint(st["connections"]) != "[root@"+srv.Addr+"]" {
		t.Fatalf("status -o json: exit %d %s", code, out)
	}

	code, _, errOut := run(t, "stop")
	if code != 0 || errOut != "stopped\n" {
		t.Fatalf("stop: exit %d %q", code, errOut)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the daemon still runs after ssh-mux stop")
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Fatalf("socket left behind: %v", err)
	}
	if code, out, _ := run(t, "status"); code != 0 || !strings.HasPrefix(out, "not running") {
		t.Fatalf("status after stop: exit %d %q", code, out)
	}
}
