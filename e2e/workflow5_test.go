package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Workflow 5: submit a task (sleep) with mesos-execute's flags, find its
// agent, and show agent → containerizer → executor → sh -c → sleep, with
// the seed's `ps -A --forest | grep mesos-slave -A6` and with mesosctl tree.
func TestWorkflow5SubmitTaskAndShowProcessTree(t *testing.T) {
	link := filepath.Join(filepath.Dir(exe), "mesos-execute")
	if err := os.Symlink(exe, link); err != nil && !os.IsExist(err) {
		t.Fatal(err)
	}
	// Agents (re)start in earlier workflows: wait until all four are in
	// ZooKeeper's registry, where mesos-execute --master=zk://… looks.
	for deadline := time.Now().Add(30 * time.Second); strings.TrimSpace(sh(t, `mesosctl agents --jq '[.[] | select(.source=="zookeeper" and .status=="up")] | length' 2>/dev/null || true`)) != "4"; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the agents never all registered in ZooKeeper")
		}
	}
	// mesos-execute stays with its task (it has no --detach): run it in
	// the background and take the task ID from mesosctl's stderr line.
	dir := t.TempDir()
	outFile, errFile := filepath.Join(dir, "out"), filepath.Join(dir, "err")
	sh(t, `mesos-execute --master=`+c.ZooKeeper+` --name=sleep --command='echo sleep... ; sleep 300' >`+outFile+` 2>`+errFile+` &`)
	var id string
	for deadline := time.Now().Add(60 * time.Second); id == ""; time.Sleep(100 * time.Millisecond) {
		b, _ := os.ReadFile(errFile)
		if m := regexp.MustCompile(`task ID (sleep\.[0-9a-f]{8}) on `).FindSubmatch(b); m != nil {
			id = string(m[1])
		}
		if time.Now().After(deadline) {
			t.Fatalf("mesos-execute did not submit the task: %s", b)
		}
	}
	if out, _ := os.ReadFile(outFile); !regexp.MustCompile(`^Subscribed with ID \S+\nSubmitted task 'sleep' to agent '`).Match(out) {
		t.Errorf("mesos-execute's first lines: %q", out)
	}
	node := strings.TrimSpace(sh(t, `mesosctl tasks --jq '.[] | select(.id=="`+id+`") | .node' -r`))
	forest := sh(t, `ssh `+node+` 'ps -A --forest -o pid,args | grep mesos-slave -A6'`)
	tree := sh(t, `mesosctl tree `+node+` `+id)
	for _, want := range []string{"/usr/sbin/mesos-slave", " containerizer launch ", " executor ", "/bin/sh -c echo sleep... ; sleep 300", "sleep 300"} {
		if !strings.Contains(forest, want) {
			t.Errorf("ps --forest lacks %q:\n%s", want, forest)
		}
		if !strings.Contains(tree, want) {
			t.Errorf("mesosctl tree lacks %q:\n%s", want, tree)
		}
	}
	// Five levels below the node line: 4 nested indents for the command.
	if !regexp.MustCompile(`\n {16}└── \d+ root sleep 300\n`).MatchString(tree) || !strings.Contains(tree, "[task sleep ("+id+") TASK_RUNNING") {
		t.Errorf("tree:\n%s", tree)
	}
	out := sh(t, `mesosctl task kill --wait `+id+` || test $? = 137`)
	if !strings.Contains(out, "Received status update TASK_KILLED for task '"+id+"'") {
		t.Errorf("kill: %s", out)
	}
}
