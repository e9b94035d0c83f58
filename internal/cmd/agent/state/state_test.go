package state_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/mesosctl"
	"github.com/mesosctl/mesosctl/internal/testutil/agentdtest"
)

func run(t *testing.T, tty bool, args ...string) (cmdutil.ExitCode, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	ios.StdoutTTY = tty
	code := mesosctl.Run(context.Background(), ios, append([]string{"mesosctl"}, args...))
	return code, out.String(), errOut.String()
}

func jq(t *testing.T, input []byte, args ...string) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/jq"); err != nil {
		t.Fatal("/usr/bin/jq is missing: apt-get install jq (scripts/install-deps.sh)")
	}
	cmd := exec.Command("/usr/bin/jq", args...)
	cmd.Stdin = bytes.NewReader(input)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("jq %v: %v", args, err)
	}
	return string(out)
}

func curl(t *testing.T, url string) []byte {
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

func TestAgentStateMatchesCurlAndJQ(t *testing.T) {
	a1 := agentdtest.Start(t, "--attributes=os:centos7;rack:3", "--resources=cpus:4;mem:2048;disk:8192", "--hostname=lxb001")
	a2 := agentdtest.Start(t, "--attributes=os:centos6;rack:1", "--resources=cpus:2;mem:1024;disk:4096", "--hostname=lxb002")
	agentdtest.UseInventory(t, a1.Port, a2.Port, "1")

	for _, expr := range []string{"{resources,attributes}", ".id", ".flags.work_dir", ".frameworks | length"} {
		code, out, errOut := run(t, false, "agent", "state", "lxb001", "--jq", expr)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if want := jq(t, curl(t, "http://"+a1.Addr+"/state"), expr); out != want {
			t.Errorf("--jq %s:\n%s\nwant (curl | jq):\n%s", expr, out, want)
		}
	}
	// Raw output like jq -r.
	code, out, _ := run(t, false, "agent", "state", "lxb001", "--jq", ".hostname", "-r")
	if code != 0 || out != "lxb001\n" {
		t.Errorf("-r: %d %q", code, out)
	}
	// Without --jq: the document itself, compact when piped.
	code, out, _ = run(t, false, "agent", "state", "lxb001")
	var doc map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || doc["hostname"] != "lxb001" || strings.Count(out, "\n") != 1 {
		t.Errorf("plain: %d %.200s", code, out)
	}
	// A terminal gets it indented.
	code, out, _ = run(t, true, "agent", "state", "lxb001")
	if code != 0 || !strings.HasPrefix(out, "{\n  \"version\"") {
		t.Errorf("tty: %d %.200s", code, out)
	}

	// Several nodes: a header per node, in node-set order.
	code, out, errOut := run(t, false, "agent", "state", "lxb00[1-2]", "--jq", ".attributes.os", "-r")
	if code != 0 || out != "-- lxb001 --\ncentos7\n-- lxb002 --\ncentos6\n" {
		t.Errorf("two nodes: exit %d\n%s\n%s", code, out, errOut)
	}
	// -o json: one object keyed by node.
	code, out, _ = run(t, false, "agent", "state", "lxb00[1-2]", "-o", "json")
	var byNode map[string]struct {
		Hostname string `json:"hostname"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &byNode) != nil || byNode["lxb002"].Hostname != "lxb002" || len(byNode) != 2 {
		t.Errorf("-o json: %d %.300s", code, out)
	}

	// An unreachable node is that node's failure; the others still print.
	code, out, errOut = run(t, false, "agent", "state", "lxb00[1-3]", "--jq", ".hostname", "-r")
	if code != cmdutil.ExitPartial || out != "-- lxb001 --\nlxb001\n-- lxb002 --\nlxb002\n" ||
		!strings.Contains(errOut, "lxb003: ") || !strings.Contains(errOut, "127.0.0.1:1") {
		t.Errorf("unreachable: exit %d\n%s\n%s", code, out, errOut)
	}
	// -x excludes.
	code, out, _ = run(t, false, "agent", "state", "lxb00[1-3]", "-x", "lxb003", "--jq", ".hostname", "-r", "--fanout", "1")
	if code != 0 || out != "-- lxb001 --\nlxb001\n-- lxb002 --\nlxb002\n" {
		t.Errorf("-x: %d %q", code, out)
	}
	// Bad jq is a usage error before any request.
	if code, _, errOut := run(t, false, "agent", "state", "lxb001", "--jq", ".["); code != cmdutil.ExitUsage {
		t.Errorf("bad jq: %d %s", code, errOut)
	}
}
