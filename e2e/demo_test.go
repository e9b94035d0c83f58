package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemoScript runs `make demo`'s script as a person does (on its own
// cluster) and `demo.sh down` after it, and checks that the workflows
// printed their commands and the expected output.
func TestDemoScript(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo-cluster")
	env := append(os.Environ(), "CLUSTER_DIR="+dir, "CLUSTER_SUBNET=127.0.207", "NO_COLOR=1")
	demo := exec.Command("bash", "../scripts/demo.sh")
	demo.Env = env
	out, err := demo.CombinedOutput()
	down := exec.Command("bash", "../scripts/demo.sh", "down")
	down.Env = env
	downOut, downErr := down.CombinedOutput()
	if err != nil {
		t.Fatalf("demo.sh: %v\n%s", err, out)
	}
	if downErr != nil || !strings.Contains(string(downOut), "is down") {
		t.Errorf("demo.sh down: %v\n%s", downErr, downOut)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("%s still exists after demo.sh down", dir)
	}
	s := string(out)
	for _, want := range []string{
		"$ mesosctl dev cluster up --dir " + dir,
		"$ ssh lxb001 'ps -eo pid,args | grep [m]esos-slave'",
		"/usr/sbin/mesos-slave --ip=127.0.207.1 --port=5051",
		"$ curl -s http://127.0.207.1:5051/state | jq '{resources,attributes}'",
		`"rack": 3`,
		`"ports": "[21000-29000]"`,
		"mesos,docker\nmesos,docker\nmesos,docker\nmesos,docker\n",
		"The cluster keeps running.",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("demo output:\n%s", s)
	}
}
