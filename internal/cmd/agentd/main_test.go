package agentd

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mesosctl/mesosctl/internal/testutil/dockerd"
)

// TestMain runs the tests through dockerd.Main, which stops the Docker
// engine the Docker tests share (started by the first that needs it), and
// removes the agentd binary the tests build (mesosctlBinary), so that a
// test run leaves nothing behind in the temporary directory.
func TestMain(m *testing.M) {
	code := dockerd.Main(m)
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}
