// Package zookeeper starts a real ZooKeeper server (Debian's package, through
// internal/zkserver) for tests: a temporary dataDir, 127.0.0.1 and a free
// port, waiting until it accepts sessions, stopped with t.Cleanup. Restart
// keeps the data and the port (sessions survive if the restart is quicker
// than their timeout; ephemeral nodes of expired sessions disappear).
package zookeeper

import (
	"testing"

	"github.com/mesosctl/mesosctl/internal/zkserver"
)

// Server is a running ZooKeeper.
type Server struct {
	*zkserver.Server
	t testing.TB // nil when started with Launch
}

// Start starts ZooKeeper for a test; the test fails (never skips) when it
// is missing. It is stopped and its data removed by t.Cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := zkserver.Launch(zkserver.Options{Dir: t.TempDir(), DieWithParent: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return &Server{Server: s, t: t}
}

// Launch starts ZooKeeper outside of tests with its data in dir on
// 127.0.0.1:port (0: a free port). Call Stop when done.
func Launch(dir string, port int) (*Server, error) {
	s, err := zkserver.Launch(zkserver.Options{Dir: dir, Port: port, DieWithParent: true})
	if err != nil {
		return nil, err
	}
	return &Server{Server: s}, nil
}

// Restart stops the server and starts it again on the same port and data.
// Started by Start, a failure fails the test; started by Launch, it is
// returned.
func (s *Server) Restart() error {
	err := s.Server.Restart()
	if err != nil && s.t != nil {
		s.t.Helper()
		s.t.Fatal(err)
	}
	return err
}

// FreePort returns a currently free TCP port on 127.0.0.1.
func FreePort() (int, error) { return zkserver.FreePort() }
