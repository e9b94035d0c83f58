package agentd

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMain removes the agentd binary the tests build (mesosctlBinary), so
// that a test run leaves nothing behind in the temporary directory.
func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}
