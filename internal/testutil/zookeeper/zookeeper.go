// Package zookeeper starts a real ZooKeeper server (Debian's package, through
// internal/zkserver) for tests: a temporary dataDir, 127.0.0.1 and a free
// port, waiting until it accepts sessions, stopped with t.Cleanup. Restart
// keeps the data and the port (sessions survive if the restart is quicker
// than their timeout; ephemeral nodes of expired sessions disappear).
package zookeeper

import (
	"os"
	"strings"
	"testing"

	"github.com/mesosctl/mesosctl/internal/zkserver"
)

// Server is a running ZooKeeper.
type Server struct {
	*zkserver.Server
	t testing.TB
}

// Start starts ZooKeeper for a test; the test fails (never skips) when it
// is missing. It is stopped and its data removed by t.Cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := zkserver.Launch(zkserver.Options{Dir: t.TempDir(), DieWithParent: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			logTail(t, s.LogFile())
		}
		s.Stop()
	})
	return &Server{Server: s, t: t}
}

// URL returns zk://127.0.0.1:<port><path>.
func (s *Server) URL(path string) string { return "zk://" + s.Addr() + path }

// Restart stops the server and starts it again on the same port and data;
// a failure fails the test.
func (s *Server) Restart() {
	if err := s.Server.Restart(); err != nil {
		s.t.Helper()
		s.t.Fatal(err)
	}
}

// logTail prints the last lines of the server's log into a failed test's
// output, so a CI failure shows what ZooKeeper said.
func logTail(t testing.TB, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Logf("ZooKeeper log: %v", err)
		return
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 60 {
		lines = lines[len(lines)-60:]
	}
	t.Logf("last lines of %s:\n%s", path, strings.Join(lines, "\n"))
}
