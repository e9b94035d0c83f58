package testcluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// BuildBinary builds cmd/mesosctl of the module containing the current
// directory into dir and returns the binary's path (tests use it as
// Options.Exe).
func BuildBinary(dir string) (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	out, err := exec.Command(goBin, "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	exe := filepath.Join(dir, "mesosctl")
	cmd := exec.Command(goBin, "build", "-o", exe, "./cmd/mesosctl")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building mesosctl: %w: %s", err, out)
	}
	return exe, nil
}
