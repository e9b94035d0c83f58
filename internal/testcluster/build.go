package testcluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Binaries are the two programs a cluster runs.
type Binaries struct {
	// Mesosctl is the product binary: /usr/sbin/mesos-slave in the nodes,
	// and the CLI the tests run against the cluster.
	Mesosctl string
	// Harness is mesosctl-testcluster: it starts and tears down clusters
	// and is each node's init and systemctl shim.
	Harness string
}

// Build builds cmd/mesosctl and cmd/mesosctl-testcluster of the module
// containing the current directory into dir (tests pass the result as
// Options.Binaries).
func Build(dir string) (Binaries, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	out, err := exec.Command(goBin, "env", "GOMOD").Output()
	if err != nil {
		return Binaries{}, fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	cmd := exec.Command(goBin, "build", "-o", dir+string(filepath.Separator), "./cmd/mesosctl", "./cmd/mesosctl-testcluster")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return Binaries{}, fmt.Errorf("building mesosctl and mesosctl-testcluster: %w: %s", err, out)
	}
	return Binaries{Mesosctl: filepath.Join(dir, "mesosctl"), Harness: filepath.Join(dir, "mesosctl-testcluster")}, nil
}
