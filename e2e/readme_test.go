package e2e

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mesosctl/mesosctl/internal/testcluster"
)

// readmeSubnet is the README test's own cluster (the README shows the demo
// cluster's 127.0.1.x).
const readmeSubnet = "127.0.209"

// TestREADMETour runs the README's checked console sessions (the block
// after a "<!-- e2e/readme_test.go: NAME -->" line) on a fresh 4-node
// cluster, command by command as a person would type them, and compares
// each command's output (stdout and stderr, as a terminal shows them) with
// the README's. What differs from run to run or machine to machine is
// normalized on both sides: agent, container and task IDs (the README's
// task IDs in later commands are replaced by the real ones), process IDs
// in trees, ages, the subnet, ZooKeeper's port, the binary's path,
// resources the agents detect, runs of spaces.
func TestREADMETour(t *testing.T) {
	sessions := readmeSessions(t, "../README.md")
	if len(sessions["tour"]) < 10 {
		t.Fatalf("the README's tour has %d commands: is the <!-- e2e/readme_test.go: tour --> marker gone?", len(sessions["tour"]))
	}
	dir := filepath.Join(t.TempDir(), "readme-cluster")
	cl, err := testcluster.Start(testcluster.Options{Dir: dir, Subnet: readmeSubnet, KillWithParent: true,
		Binaries: testcluster.Binaries{Mesosctl: exe, Harness: harness}})
	if err != nil {
		t.Fatal(err)
	}
	cgroups := cl.Cgroups()
	defer func() {
		if err := cl.Down(); err != nil {
			t.Error(err)
		}
		if left := testcluster.Leftovers(cl, cgroups); len(left) > 0 {
			t.Errorf("left after teardown: %v", left)
		}
	}()
	for name, steps := range sessions {
		ids := map[string]string{} // README ID → this run's
		for _, st := range steps {
			cmdline := st.cmd
			for from, to := range ids {
				cmdline = strings.ReplaceAll(cmdline, from, to)
			}
			cmd := exec.Command("bash", "-c", cmdline+" 2>&1")
			cmd.Env = append(os.Environ(), "MESOSCTL_CONFIG="+cl.ConfigFile, "NO_COLOR=1", "NODES=",
				"XDG_RUNTIME_DIR="+runtimeDir, // the ssh-mux daemon goes with the package's run (TestMain)
				"XDG_STATE_HOME="+filepath.Join(filepath.Dir(runtimeDir), "state"),
				"PATH="+filepath.Dir(exe)+":"+os.Getenv("PATH"))
			out, _ := cmd.Output() // the exit status is part of what the README shows, if it matters
			got := string(out)
			learnIDs(ids, st.want, got)
			if a, b := normalize(st.want), normalize(got); a != b {
				t.Errorf("README %s: $ %s\nREADME shows:\n%s\nthe run printed:\n%s\nnormalized, README:\n%s\nrun:\n%s",
					name, st.cmd, st.want, got, a, b)
			}
		}
	}
}

type readmeStep struct{ cmd, want string }

// readmeSessions reads the checked console blocks of the README, by name.
func readmeSessions(t *testing.T, path string) map[string][]readmeStep {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	marker := regexp.MustCompile(`^<!-- e2e/readme_test\.go: (\S+) -->$`)
	out := map[string][]readmeStep{}
	sc := bufio.NewScanner(f)
	name, inBlock := "", false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case name == "":
			if m := marker.FindStringSubmatch(line); m != nil {
				name = m[1]
			}
		case !inBlock:
			if line != "```console" {
				t.Fatalf("README: the line after the %s marker must open a ```console block, not %q", name, line)
			}
			inBlock = true
		case line == "```":
			name, inBlock = "", false
		case strings.HasPrefix(line, "$ "):
			out[name] = append(out[name], readmeStep{cmd: line[2:]})
		default:
			steps := out[name]
			if len(steps) == 0 {
				t.Fatalf("README %s: output before the first command: %q", name, line)
			}
			steps[len(steps)-1].want += line + "\n"
		}
	}
	return out
}

var (
	agentIDRe = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-S\d+`)
	taskIDRe  = regexp.MustCompile(`\b([a-z][a-z0-9-]*)\.[0-9a-f]{8}\b`)
)

// learnIDs maps the task IDs the README shows to this run's, in the order
// they appear.
func learnIDs(ids map[string]string, want, got string) {
	w, g := taskIDRe.FindAllString(want, -1), taskIDRe.FindAllString(got, -1)
	for i := 0; i < len(w) && i < len(g); i++ {
		if _, ok := ids[w[i]]; !ok {
			ids[w[i]] = g[i]
		}
	}
}

var normalizers = []struct {
	re   *regexp.Regexp
	with string
}{
	{agentIDRe, "AGENT-ID"},
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "UUID"},
	{taskIDRe, "$1.TASK"},
	{regexp.MustCompile(`\b` + regexp.QuoteMeta(readmeSubnet) + `\.`), "127.0.1."},
	{regexp.MustCompile(`zk://127\.0\.0\.1:\d+/`), "zk://127.0.0.1:PORT/"},
	{regexp.MustCompile(`/\S+/mesosctl (containerizer|executor) `), "MESOSCTL $1 "},
	{regexp.MustCompile(`(── )\d+ `), "${1}PID "},
	{regexp.MustCompile(`(?m)^(\s*)\d+ /usr/sbin/mesos-slave`), "${1}PID /usr/sbin/mesos-slave"},
	{regexp.MustCompile(`\b\d+[smhd]\b`), "AGE"},
	// what the agents detect (cpus, memory, disk of the machine)
	{regexp.MustCompile(`\b[\d.]+/[\d.]+\b`), "USED/TOTAL"},
	{regexp.MustCompile(`changed [\d.]+ →`), "changed DETECTED →"},
	{regexp.MustCompile(`up \d+ days?, `), "up "},
	{regexp.MustCompile(` +`), " "},
	{regexp.MustCompile(` +\n`), "\n"},
}

func normalize(s string) string {
	for _, n := range normalizers {
		s = n.re.ReplaceAllString(s, n.with)
	}
	return s
}

func TestREADMENormalize(t *testing.T) {
	for in, want := range map[string]string{
		"sleep.1a2b3c4d on 127.0.209.2":                                         "sleep.TASK on 127.0.1.2",
		"agent '7519c582-20d0-427a-a417-019e6878b7fb-S1'":                       "agent 'AGENT-ID'",
		"└── 62 root /usr/sbin/mesos-slave --master=zk://127.0.0.1:41201/mesos": "└── PID root /usr/sbin/mesos-slave --master=zk://127.0.0.1:PORT/mesos",
		"└── 70 root /tmp/x/bin/mesosctl executor --launch_info=":               "└── PID root MESOSCTL executor --launch_info=",
		"lxb001  up      0/2   0/23081  5s  ":                                   "lxb001 up USED/TOTAL USED/TOTAL AGE",
	} {
		if got := normalize(in + "\n"); got != want+"\n" {
			t.Errorf("normalize(%q) = %q, want %q", in, got, want)
		}
	}
}
