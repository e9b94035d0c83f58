// Package agentdtest starts a real agentd inside the test process, for
// tests of CLI verbs that talk to agents over HTTP.
package agentdtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	agent "github.com/mesosctl/mesosctl/internal/agentd"
	"github.com/mesosctl/mesosctl/internal/agentd/flags"
)

// Agent is a running in-process agentd.
type Agent struct {
	Addr    string // 127.0.0.1:PORT
	Port    string
	WorkDir string
	stop    func()
}

// Stop stops the agent (also done at test cleanup).
func (a *Agent) Stop() { a.stop() }

// Start runs agentd with Mesos-style flags (--work_dir and --runtime_dir
// default to temp dirs, --config_dir to none, --ip to 127.0.0.1, --port to a free one; args
// override these) and waits until it serves.
func Start(t testing.TB, args ...string) *Agent {
	t.Helper()
	a := &Agent{WorkDir: t.TempDir()}
	var all []string
	// The runtime dir is the test's own: the agent's real runtime adopts
	// (and reaps) what it finds there.
	for _, d := range []string{"--work_dir=" + a.WorkDir, "--runtime_dir=" + t.TempDir(), "--config_dir=", "--ip=127.0.0.1", "--port=0"} {
		name, _, _ := strings.Cut(d, "=")
		if !slices.ContainsFunc(args, func(s string) bool { return strings.HasPrefix(s, name+"=") }) {
			all = append(all, d)
		}
	}
	v, err := flags.Load(append(all, args...), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := v.Get("work_dir"); ok {
		a.WorkDir = s
	}
	cfg, err := agent.NewConfig(v)
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	cfg.Ready = func(addr string) { ready <- addr }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- agent.Run(ctx, cfg) }()
	stopped := false
	a.stop = func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	t.Cleanup(a.stop)
	select {
	case a.Addr = <-ready:
	case err := <-done:
		stopped = true
		t.Fatalf("agentd exited: %v", err)
	case <-time.After(15 * time.Second):
		t.Fatal("agentd not ready within 15s")
	}
	_, a.Port, _ = net.SplitHostPort(a.Addr)
	return a
}

// UseInventory writes a mesosctl configuration with nodes lxb001, lxb002, …
// at 127.0.0.1 whose agent ports are ports (in order; "1" is a port where
// nothing answers) and points MESOSCTL_CONFIG at it for the test.
func UseInventory(t testing.TB, ports ...string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("nodes:\n")
	for i, p := range ports {
		fmt.Fprintf(&b, "  - name: lxb%03d\n    address: 127.0.0.1\n    agent_port: %s\n", i+1, p)
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MESOSCTL_CONFIG", path)
	t.Setenv("NODES", "")
}
