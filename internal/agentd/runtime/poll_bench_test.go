package runtime

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/launcher"
	"github.com/mesosctl/mesosctl/internal/procfs"
)

// BenchmarkPoll is one round of the runtime's 1 s poller over 1,000 running
// containers with nothing new (the steady state): launched by this agentd
// (children), or adopted at recovery (recovered: their end is polled). The
// containers have their task.updates on disk; their launcher is this
// process (recovered), so none ends.
func BenchmarkPoll(b *testing.B) {
	for _, recovered := range []bool{false, true} {
		name := "children"
		if recovered {
			name = "recovered"
		}
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			r := New(Config{WorkDir: dir, RuntimeDir: filepath.Join(dir, "run"), AgentID: "a1"})
			start, err := procfs.StartTime(os.Getpid())
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < 1000; i++ {
				l := &launcher.Info{FrameworkID: "f1", ExecutorID: fmt.Sprintf("e%d", i), ContainerID: fmt.Sprintf("c%d", i), TaskID: fmt.Sprintf("t%d", i)}
				c := &container{done: make(chan struct{}), launchedAt: time.Now(), recovered: recovered}
				if recovered {
					c.pid, c.start = os.Getpid(), start
				}
				c.info.Launch = l
				c.task.ID = l.TaskID
				r.containers[l.TaskID] = c
				p := r.updatesPath(c)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					b.Fatal(err)
				}
				if err := os.WriteFile(p, nil, 0o644); err != nil {
					b.Fatal(err)
				}
			}
			r.poll() // opens what the poller holds open
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r.poll()
			}
		})
	}
}
