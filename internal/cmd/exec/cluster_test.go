package exec_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentclient"
	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/mesosctl"
	"github.com/mesosctl/mesosctl/internal/testcluster"
)

// run runs mesosctl in-process with the cluster's inventory.
func run(t *testing.T, args ...string) (cmdutil.ExitCode, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	code := mesosctl.Run(context.Background(), ios, append([]string{"mesosctl"}, args...))
	return code, out.String(), errOut.String()
}

// startCluster brings up 3 nodes with known resources and attributes:
// lxb001 rack:1, lxb002 rack:2;os:centos7, lxb003 rack:3 — each cpus:2;mem:1024.
func startCluster(t *testing.T) (*testcluster.Cluster, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("cluster tests need root (namespaces, sshd on port 22)")
	}
	tmp := t.TempDir()
	bins, err := testcluster.Build(tmp)
	if err != nil {
		t.Fatal(err)
	}
	exe := bins.Mesosctl
	c, err := testcluster.Start(testcluster.Options{Dir: filepath.Join(tmp, "cluster"), Nodes: 3, Binaries: bins,
		Subnet: "127.0.213", NoAgent: true, KillWithParent: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cgroups := c.Cgroups()
		if err := c.Down(); err != nil {
			t.Error(err)
		}
		if left := testcluster.Leftovers(c, cgroups); len(left) > 0 {
			t.Errorf("left after teardown:\n  %s", strings.Join(left, "\n  "))
		}
	})
	attrs := map[string]string{"lxb001": "rack:1", "lxb002": "rack:2;os:centos7", "lxb003": "rack:3"}
	for _, n := range c.NodeNames() {
		cmd := fmt.Sprintf("echo '%s' > /etc/mesos-slave/attributes && echo 'cpus:2;mem:1024;disk:1000' > /etc/mesos-slave/resources && "+
			"echo 1secs > /etc/mesos-slave/executor_shutdown_grace_period && systemctl start mesos-slave", attrs[n])
		if out, err := c.SSH(n, cmd); err != nil {
			t.Fatalf("%s: %v\n%s", n, err, out)
		}
	}
	for _, n := range c.NodeNames() {
		if err := c.WaitAgent(n, 30*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("MESOSCTL_CONFIG", c.ConfigFile)
	t.Setenv("NODES", "")
	t.Setenv("SSH_AUTH_SOCK", "")
	// Wait until every agent is in the ZooKeeper registry (the default
	// candidate source of the cluster's config).
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		code, out, _ := run(t, "agents", "-o", "json", "--jq", "length")
		if code == 0 && strings.TrimSpace(out) == "3" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("agents never registered: %s", out)
		}
	}
	return c, exe
}

func agentID(t *testing.T, c *testcluster.Cluster, node string) string {
	t.Helper()
	n, err := c.Node(node)
	if err != nil {
		t.Fatal(err)
	}
	st, err := agentclient.New(fmt.Sprintf("%s:%d", n.IP, c.AgentPort)).StateTyped(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st.ID
}

var taskIDLine = regexp.MustCompile(`task ID (\S+) on (\S+)`)

func TestTasksOnCluster(t *testing.T) {
	c, exe := startCluster(t)

	t.Run("exec lands on the agent whose attributes match, output as mesos-execute", func(t *testing.T) {
		code, out, errOut := run(t, "exec", "--name", "hello", "--command", "echo hello", "--constraint", "os:centos7")
		if code != 0 {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		want := fmt.Sprintf("Subscribed with ID %s-mesosctl\n"+
			"Submitted task 'hello' to agent '%[1]s'\n"+
			"Received status update TASK_STARTING for task 'hello'\n  source: SOURCE_EXECUTOR\n"+
			"Received status update TASK_RUNNING for task 'hello'\n  source: SOURCE_EXECUTOR\n"+
			"Received status update TASK_FINISHED for task 'hello'\n  message: 'Command exited with status 0'\n  source: SOURCE_EXECUTOR\n",
			agentID(t, c, "lxb002"))
		if out != want {
			t.Fatalf("stdout:\n%s\nwant:\n%s", out, want)
		}
		if m := taskIDLine.FindStringSubmatch(errOut); m == nil || m[2] != "lxb002" || !strings.HasPrefix(m[1], "hello.") {
			t.Fatalf("stderr: %s", errOut)
		}
	})

	t.Run("a task that fits nowhere is refused with each agent's reason", func(t *testing.T) {
		waitIdle(t, c)
		code, out, errOut := run(t, "exec", "--name", "big", "--command", "true", "--resources", "cpus:4;mem:128")
		want := "error: no agent fits cpus:4;mem:128: lxb001 has cpus 2 free, lxb002 has cpus 2 free, lxb003 has cpus 2 free\n"
		if code != 1 || out != "" || errOut != want {
			t.Fatalf("exit %d stdout %q stderr %q", code, out, errOut)
		}
		code, _, errOut = run(t, "exec", "--name", "x", "--command", "true", "--constraint", "rack:9", "--agent", "lxb00[1-2]")
		if code != 1 || errOut != "error: no agent fits cpus:1;mem:128: lxb001 lacks attribute rack:9, lxb002 lacks attribute rack:9\n" {
			t.Fatalf("constraint: exit %d stderr %q", code, errOut)
		}
	})

	t.Run("exit codes propagate", func(t *testing.T) {
		code, out, _ := run(t, "exec", "--name", "seven", "--command", "exit 7")
		if code != 7 || !strings.Contains(out, "Received status update TASK_FAILED for task 'seven'\n  message: 'Command exited with status 7'\n") {
			t.Fatalf("exit %d\n%s", code, out)
		}
		code, out, _ = run(t, "exec", "--name", "env", "--env", `{"GREETING":"hi there"}`, "--command", `test "$GREETING" = "hi there"`)
		if code != 0 {
			t.Fatalf("--env: exit %d\n%s", code, out)
		}
		// argv, no shell: ";" reaches test(1) as an argument (a shell would fail on it).
		code, out, _ = run(t, "exec", "--name", "argv", "--shell=false", "--command", "/usr/bin/test ; = ;")
		if code != 0 || !strings.Contains(out, "TASK_FINISHED") {
			t.Fatalf("--shell=false: exit %d\n%s", code, out)
		}
		code, out, _ = run(t, "exec", "--name", "killed", "--command", "sleep 30", "--kill_after", "500ms")
		if code != 137 || !regexp.MustCompile(`Asked to kill task 'killed' on agent '\S+-S\d+'\nReceived status update TASK_KILLED`).MatchString(out) {
			t.Fatalf("kill_after: exit %d\n%s", code, out)
		}
	})

	t.Run("detach, tasks, logs follow, kill, wait", func(t *testing.T) {
		// The previous subtest's last task is reported TASK_KILLED a few
		// milliseconds before its container has ended and its resources are
		// free: wait for that, as the placement subtests do.
		waitIdle(t, c)
		code, out, errOut := run(t, "exec", "--detach", "--name", "talk", "--agent", "lxb003",
			"--command", "for i in 1 2 3 4; do echo out $i; echo err $i >&2; sleep 0.3; done")
		id := strings.TrimSpace(out)
		if code != 0 || !strings.HasPrefix(id, "talk.") || strings.Contains(id, "\n") ||
			!strings.Contains(errOut, "Received status update TASK_RUNNING for task 'talk'") {
			t.Fatalf("detach: exit %d stdout %q stderr %s", code, out, errOut)
		}
		code, out, errOut = run(t, "task", "logs", "-f", id)
		if code != 0 || out != "out 1\nout 2\nout 3\nout 4\n" {
			t.Fatalf("logs -f: exit %d %q %s", code, out, errOut)
		}
		code, out, _ = run(t, "task", "logs", "--stderr", id)
		// The executor writes "Forked command at <pid>" there too, as Mesos' does.
		if code != 0 || regexp.MustCompile(`(?m)^Forked command at \d+\n`).ReplaceAllString(out, "") != "err 1\nerr 2\nerr 3\nerr 4\n" {
			t.Fatalf("logs --stderr: exit %d %q", code, out)
		}
		code, out, _ = run(t, "task", "wait", id)
		if code != 0 || out != fmt.Sprintf("Received status update TASK_FINISHED for task '%s'\n  message: 'Command exited with status 0'\n  source: SOURCE_EXECUTOR\n", id) {
			t.Fatalf("wait on a finished task: exit %d %q", code, out)
		}

		code, out, _ = run(t, "exec", "--detach", "--name", "sleeper", "--command", "sleep 300", "--constraint", "rack:1")
		sleeper := strings.TrimSpace(out)
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
		code, out, _ = run(t, "tasks", "--state", "running", "-o", "json")
		var rows []struct{ ID, Node, State string }
		if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 || rows[0].ID != sleeper || rows[0].Node != "lxb001" {
			t.Fatalf("tasks --state running: exit %d %s", code, out)
		}
		code, out, _ = run(t, "tasks")
		if code != 0 || !regexp.MustCompile(`(?m)^ID\s+NAME\s+STATE\s+NODE\s+IMAGE\s+CPUS\s+MEM\s+AGE\s+EXIT\n`).MatchString(out) ||
			!regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(sleeper)+`\s+sleeper\s+RUNNING\s+lxb001\s+-\s+1\s+128\s+\d+s\s*$`).MatchString(out) ||
			!regexp.MustCompile(`(?m)^seven\.\S+\s+seven\s+FAILED\s+\S+\s+-\s+1\s+128\s+\d+s\s+7$`).MatchString(out) {
			t.Fatalf("tasks table:\n%s", out)
		}

		// tree: agent → containerizer launch → executor → sh -c → command.
		code, out, errOut = run(t, "tree", "lxb001", sleeper, "-o", "json")
		var trees []struct {
			Node, Source string
			Agent        *api.Process
		}
		if code != 0 || json.Unmarshal([]byte(out), &trees) != nil || len(trees) != 1 || trees[0].Agent == nil {
			t.Fatalf("tree: exit %d %s %s", code, out, errOut)
		}
		levels := []string{}
		for p := trees[0].Agent; p != nil; {
			levels = append(levels, p.Command)
			if len(p.Children) == 0 {
				break
			}
			p = &p.Children[0]
		}
		wantLevels := []string{"/usr/sbin/mesos-slave ", " containerizer launch ", " executor ", "/bin/sh -c sleep 300", "sleep 300"}
		if len(levels) != 5 {
			t.Fatalf("tree levels %q", levels)
		}
		for i, w := range wantLevels {
			if !strings.Contains(levels[i], w) {
				t.Fatalf("level %d = %q, want %q", i, levels[i], w)
			}
		}
		if task := trees[0].Agent.Children[0].Task; task == nil || task.ID != sleeper || task.State != "TASK_RUNNING" {
			t.Fatalf("container task note %+v", task)
		}
		// The same tree from ps over SSH (the node runs agentd as /usr/sbin/mesos-slave).
		// The two are read at different moments: until the task's shell has
		// exec'd its child, that child still shows the shell's command line
		// in one of them, so they are read again until they agree.
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			code, out, _ = run(t, "tree", "lxb001", "-o", "json")
			if code != 0 || json.Unmarshal([]byte(out), &trees) != nil {
				t.Fatalf("tree: exit %d %s", code, out)
			}
			code, psOut, errOut := run(t, "tree", "lxb001", "-o", "json", "--source", "ps")
			var psTrees []struct {
				Source string
				Agent  *api.Process
			}
			if code != 0 || json.Unmarshal([]byte(psOut), &psTrees) != nil || psTrees[0].Source != "ps" {
				t.Fatalf("tree --source ps: exit %d %s %s", code, psOut, errOut)
			}
			a, b := flatten(psTrees[0].Agent), flatten(trees[0].Agent)
			if a == b {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("ps tree:\n%s\nagentd tree:\n%s", a, b)
			}
		}
		code, out, _ = run(t, "tree", "lxb001")
		if code != 0 || !strings.Contains(out, "lxb001 (agentd)\n└── ") || !strings.Contains(out, "[task sleeper ("+sleeper+") TASK_RUNNING") ||
			!strings.Contains(out, "        └── ") {
			t.Fatalf("tree table:\n%s", out)
		}

		// On a terminal: styled, command lines cut to the width.
		ios, _, ttyOut, _ := iostreams.Test()
		ios.StdoutTTY = true
		ios.Width = 80
		if code := mesosctl.Run(context.Background(), ios, []string{"mesosctl", "tree", "lxb001"}); code != 0 {
			t.Fatalf("tree on a terminal: exit %d", code)
		}
		for _, line := range strings.Split(strings.TrimSpace(ttyOut.String()), "\n") {
			plain := regexp.MustCompile(`\x1b\[[0-9;]*m`).ReplaceAllString(line, "")
			if w := len([]rune(plain)); w > 80 && !strings.Contains(plain, "[task ") {
				t.Errorf("line of %d columns on an 80-column terminal: %q", w, plain)
			}
		}
		if !strings.Contains(ttyOut.String(), "…") {
			t.Errorf("nothing cut on an 80-column terminal:\n%s", ttyOut)
		}

		code, out, _ = run(t, "task", "kill", sleeper)
		if code != 0 || !strings.HasPrefix(out, "Asked to kill task '"+sleeper+"' on agent '"+agentID(t, c, "lxb001")+"'\n") {
			t.Fatalf("kill: exit %d %q", code, out)
		}
		code, out, _ = run(t, "task", "wait", sleeper)
		if code != 137 || !strings.Contains(out, "Received status update TASK_KILLED for task '"+sleeper+"'") {
			t.Fatalf("wait after kill: exit %d %q", code, out)
		}
		code, _, errOut = run(t, "task", "kill", "nope.1234")
		if code != 1 || !strings.Contains(errOut, "task nope.1234 not found on 3 agents") {
			t.Fatalf("unknown task: exit %d %s", code, errOut)
		}
	})

	t.Run("two execs racing for the last resources: one is placed elsewhere", func(t *testing.T) {
		waitIdle(t, c)
		var wg sync.WaitGroup
		type res struct {
			code     cmdutil.ExitCode
			out, err string
		}
		results := make([]res, 2)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Separate processes, as two operators would run them.
				cmd := osexec.Command(exe, "exec", "--detach", "--name", fmt.Sprintf("race%d", i), "--command", "sleep 300",
					"--resources", "cpus:1.5;mem:128", "--agent", "lxb001,lxb003")
				var stdout, stderr strings.Builder
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				_ = cmd.Run()
				results[i] = res{cmdutil.ExitCode(cmd.ProcessState.ExitCode()), stdout.String(), stderr.String()}
			}()
		}
		wg.Wait()
		nodes := map[string]bool{}
		for _, r := range results {
			m := taskIDLine.FindStringSubmatch(r.err)
			if r.code != 0 || m == nil {
				t.Fatalf("race: %+v", results)
			}
			nodes[m[2]] = true
		}
		if !nodes["lxb001"] || !nodes["lxb003"] {
			t.Fatalf("both tasks on one node: %+v", results)
		}
		code, _, errOut := run(t, "exec", "--name", "third", "--command", "true", "--resources", "cpus:1.5;mem:128", "--agent", "lxb001,lxb003")
		if code != 1 || errOut != "error: no agent fits cpus:1.5;mem:128: lxb001 has cpus 0.4 free, lxb003 has cpus 0.4 free\n" {
			t.Fatalf("third: exit %d %q", code, errOut)
		}
		for _, r := range results {
			if code, _, errOut := run(t, "task", "kill", "--wait", strings.TrimSpace(r.out)); code != 137 {
				t.Fatalf("kill --wait: %d %s", code, errOut)
			}
		}
	})

	t.Run("Ctrl-C stops following and leaves the task running", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		ios, _, out, errOut := iostreams.Test()
		done := make(chan cmdutil.ExitCode, 1)
		go func() {
			done <- mesosctl.Run(ctx, ios, []string{"mesosctl", "exec", "--name", "interrupted", "--command", "sleep 300", "--agent", "lxb002"})
		}()
		n, _ := c.Node("lxb002")
		cl := agentclient.New(fmt.Sprintf("%s:%d", n.IP, c.AgentPort))
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			infos, _ := cl.Tasks(context.Background())
			if len(infos) > 0 && strings.HasPrefix(infos[len(infos)-1].ID, "interrupted.") && infos[len(infos)-1].State == "TASK_RUNNING" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the task never ran")
			}
		}
		time.Sleep(100 * time.Millisecond) // exec is in its long poll now
		cancel()
		code := <-done
		m := regexp.MustCompile(`task (interrupted\.\S+) keeps running on lxb002 \(mesosctl task kill interrupted\.\S+\)\ncancelled\n$`).FindStringSubmatch(errOut.String())
		if code != cmdutil.ExitCancel || m == nil || !strings.Contains(out.String(), "Received status update TASK_RUNNING for task 'interrupted'") {
			t.Fatalf("exit %d stdout %s stderr %s", code, out, errOut)
		}
		if code, _, errOut := run(t, "task", "kill", "--wait", m[1]); code != 137 {
			t.Fatalf("the interrupted task was not running: %d %s", code, errOut)
		}
	})

	t.Run("reachable as mesos-execute", func(t *testing.T) {
		link := filepath.Join(t.TempDir(), "mesos-execute")
		if err := os.Symlink(exe, link); err != nil {
			t.Fatal(err)
		}
		cmd := osexec.Command(link, "--master="+c.ZooKeeper, "--name=viaLink", "--command=echo linked; exit 3", "--checkpoint")
		cmd.Env = append(os.Environ(), "MESOSCTL_CONFIG="+c.ConfigFile)
		out, err := cmd.Output()
		ee, _ := err.(*osexec.ExitError)
		if ee == nil || ee.ExitCode() != 3 || !regexp.MustCompile(`^Subscribed with ID \S+-mesosctl\nSubmitted task 'viaLink' to agent '`).Match(out) ||
			!strings.HasSuffix(string(out), "Received status update TASK_FAILED for task 'viaLink'\n  message: 'Command exited with status 3'\n  source: SOURCE_EXECUTOR\n") {
			t.Fatalf("mesos-execute: %v\n%s", err, out)
		}
	})
}

// waitIdle waits until no agent has resources allocated (an executor
// frees its resources when it exits, shortly after the terminal update).
func waitIdle(t *testing.T, c *testcluster.Cluster) {
	t.Helper()
	for _, n := range c.Nodes {
		cl := agentclient.New(fmt.Sprintf("%s:%d", n.IP, c.AgentPort))
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			st, err := cl.StateTyped(context.Background())
			var used map[string]float64
			if err == nil && json.Unmarshal(st.UnreservedResourcesAllocated, &used) == nil && used["cpus"] == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s still has resources allocated: %v %s", n.Name, err, st.UnreservedResourcesAllocated)
			}
		}
	}
}

// flatten lists a tree's pid, ppid, user and command, one per line.
func flatten(p *api.Process) string {
	var b strings.Builder
	var walk func(p *api.Process, depth int)
	walk = func(p *api.Process, depth int) {
		fmt.Fprintf(&b, "%s%d %d %s %s\n", strings.Repeat("  ", depth), p.PID, p.PPID, p.User, p.Command)
		for i := range p.Children {
			walk(&p.Children[i], depth+1)
		}
	}
	if p != nil {
		walk(p, 0)
	}
	return b.String()
}
