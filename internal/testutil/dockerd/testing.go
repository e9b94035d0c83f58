package dockerd

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// HostEnv names the environment variable that chooses the socket of the
// shared engine: "unix:///path/to/docker.sock" or "/path/to/docker.sock".
// If an engine answers there it is used and left running; otherwise one is
// started listening there. Unset: a new engine in a temporary directory.
const HostEnv = "MESOSCTL_TEST_DOCKER_HOST"

// SkipShort skips a test that needs Docker (an engine, or the docker CLI)
// under -short: `make unit` runs without them. Shared and Start call it.
func SkipShort(tb testing.TB) {
	tb.Helper()
	if testing.Short() {
		tb.Skip("needs Docker (dockerd or the docker CLI): not with -short (make unit)")
	}
}

// Start starts an engine of the test's own (never reusing one), with Image
// imported, stopped by t.Cleanup; the test fails if anything is left
// behind. A missing engine fails the test; it is never skipped, but under
// -short (SkipShort).
func Start(tb testing.TB) *Engine {
	tb.Helper()
	SkipShort(tb)
	e, err := launchTemp("")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := stopTemp(e); err != nil {
			tb.Error(err)
		}
	})
	if err := e.EnsureImage(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return e
}

var shared struct {
	sync.Mutex
	main   bool // Main is running the tests
	engine *Engine
	err    error
}

// Shared returns the test binary's engine, with Image imported: started
// (or found on HostEnv's socket) by the first call, reused by the others,
// stopped by Main when the package's tests are done. The package must run
// its tests through Main. A missing engine fails the test; it is never
// skipped, but under -short (SkipShort).
//
// One engine per test binary, not one for the whole `go test ./...`:
// packages run in parallel, and a container of one must never be seen,
// listed or killed (--docker_kill_orphans) by another's agent.
func Shared(tb testing.TB) *Engine {
	tb.Helper()
	SkipShort(tb)
	shared.Lock()
	defer shared.Unlock()
	if !shared.main {
		tb.Fatal("dockerd.Shared needs the package's TestMain to be: func TestMain(m *testing.M) { os.Exit(dockerd.Main(m)) }")
	}
	if shared.engine == nil && shared.err == nil {
		shared.engine, shared.err = launchTemp(socketFromEnv())
		if shared.err == nil {
			if err := shared.engine.EnsureImage(context.Background()); err != nil {
				shared.err = err
			}
		}
	}
	if shared.err != nil {
		tb.Fatal(shared.err)
	}
	return shared.engine
}

// Main runs the package's tests (m.Run) and then stops the shared engine,
// if one was started. A stop that leaves anything behind fails the run.
func Main(m *testing.M) int {
	shared.Lock()
	shared.main = true
	shared.Unlock()
	code := m.Run()
	shared.Lock()
	defer shared.Unlock()
	if e := shared.engine; e != nil {
		shared.engine = nil
		if err := stopTemp(e); err != nil {
			fmt.Fprintln(os.Stderr, "dockerd:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

func socketFromEnv() string {
	return strings.TrimPrefix(os.Getenv(HostEnv), "unix://")
}

// launchTemp sweeps engines of dead test processes and launches one in a
// new temporary directory, on socket (default: in that directory).
func launchTemp(socket string) (*Engine, error) {
	if err := SweepStale(); err != nil {
		return nil, fmt.Errorf("cleaning up the Docker engines of earlier test runs: %w", err)
	}
	dir, err := os.MkdirTemp("", StalePrefix)
	if err != nil {
		return nil, err
	}
	e, err := Launch(Options{Dir: dir, Socket: socket, DieWithParent: true, Timeout: 2 * time.Minute})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return e, nil
}

// stopTemp stops an engine from launchTemp and removes its directory (Stop
// leaves the directory of an engine it only reused).
func stopTemp(e *Engine) error {
	if err := e.Stop(); err != nil {
		return err
	}
	return os.RemoveAll(e.Dir)
}
