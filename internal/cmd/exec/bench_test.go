package exec_test

import (
	"context"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentclient"
	"github.com/mesosctl/mesosctl/internal/testcluster"
)

// BenchmarkExecDetach200 submits 200 short tasks with `mesosctl exec
// --detach` (the built binary, 8 at a time, as separate processes; and 50
// one at a time) spread
// by placement over an 8-node test cluster, and reports tasks per second
// and p50/p99 of submit→RUNNING as the user sees it (process start until
// exec returns at TASK_RUNNING) and as the agent records it (TASK_STARTING
// to TASK_RUNNING status timestamps), once with candidates from ZooKeeper
// and once from the inventory (--agent). Run: scripts/bench/exec.sh.
func BenchmarkExecDetach200(b *testing.B) {
	const nodes = 8
	tmp := b.TempDir()
	bins, err := testcluster.Build(tmp)
	if err != nil {
		b.Fatal(err)
	}
	exe := bins.Mesosctl
	c, err := testcluster.Start(testcluster.Options{Dir: filepath.Join(tmp, "cluster"), Nodes: nodes, Binaries: bins,
		Subnet: "127.0.215", NoAgent: true, KillWithParent: true})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := c.Down(); err != nil {
			b.Error(err)
		}
	}()
	for _, n := range c.NodeNames() {
		if out, err := c.SSH(n, "echo 'cpus:64;mem:65536' > /etc/mesos-slave/resources && systemctl start mesos-slave"); err != nil {
			b.Fatalf("%s: %v %s", n, err, out)
		}
	}
	for _, n := range c.NodeNames() {
		if err := c.WaitAgent(n, 30*time.Second); err != nil {
			b.Fatal(err)
		}
	}
	env := append(os.Environ(), "MESOSCTL_CONFIG="+c.ConfigFile, "NODES=")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		out, _ := osexec.Command(exe, "agents", "--zk", c.ZooKeeper, "--jq", "length").Output()
		if strings.TrimSpace(string(out)) == fmt.Sprint(nodes) {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("agents never registered: %s", out)
		}
	}
	for _, src := range []struct{ name, flag string }{{"zookeeper", "--zk=" + c.ZooKeeper}, {"inventory", "--agent=lxb00[1-8]"}} {
		for _, parallel := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/submitters=%d", src.name, parallel), func(b *testing.B) {
				benchExec(b, c, exe, env, src.flag, parallel)
			})
		}
	}
}

// benchExec runs 200 execs, parallel at a time (50 when one at a time).
func benchExec(b *testing.B, c *testcluster.Cluster, exe string, env []string, source string, parallel int) {
	tasks := 200
	if parallel == 1 {
		tasks = 50
	}
	for i := 0; i < b.N; i++ {
		prefix := fmt.Sprintf("%s%d-%d-", strings.SplitN(strings.TrimPrefix(source, "--"), "=", 2)[0], parallel, i)
		lat := make([]time.Duration, tasks)
		ids := make([]string, tasks)
		jobs := make(chan int)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var failures []string
		t0 := time.Now()
		for w := 0; w < parallel; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range jobs {
					cmd := osexec.Command(exe, "exec", "--detach", source, "--name", fmt.Sprintf("%s%d", prefix, j),
						"--command", "sleep 0.2", "--resources", "cpus:0.05;mem:16")
					cmd.Env = env
					s := time.Now()
					out, err := cmd.Output()
					lat[j] = time.Since(s)
					ids[j] = strings.TrimSpace(string(out))
					if err != nil {
						mu.Lock()
						failures = append(failures, fmt.Sprintf("%d: %v", j, err))
						mu.Unlock()
					}
				}
			}()
		}
		for j := 0; j < tasks; j++ {
			jobs <- j
		}
		close(jobs)
		wg.Wait()
		wall := time.Since(t0)
		if len(failures) > 0 {
			b.Fatalf("%d execs failed: %v", len(failures), failures)
		}
		// Agent-side STAGING → RUNNING, and the spread over the agents.
		var agentLat []time.Duration
		perNode := map[string]int{}
		for _, n := range c.Nodes {
			infos, err := agentclient.New(fmt.Sprintf("%s:%d", n.IP, c.AgentPort)).Tasks(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			for _, ti := range infos {
				if !strings.HasPrefix(ti.ID, prefix) {
					continue
				}
				perNode[n.Name]++
				var starting, running float64
				for _, st := range ti.Statuses {
					switch st.State {
					case "TASK_STARTING":
						starting = st.Timestamp
					case "TASK_RUNNING":
						running = st.Timestamp
					}
				}
				if starting > 0 && running > 0 {
					agentLat = append(agentLat, time.Duration((running-starting)*1e9))
				}
			}
		}
		b.ReportMetric(float64(tasks)/wall.Seconds(), "tasks/s")
		b.ReportMetric(ms(pct(lat, 50)), "p50-ms")
		b.ReportMetric(ms(pct(lat, 99)), "p99-ms")
		b.ReportMetric(ms(pct(agentLat, 50)), "executor-p50-ms")
		b.ReportMetric(ms(pct(agentLat, 99)), "executor-p99-ms")
		b.Logf("%s: %d tasks in %s over %d agents (%v): %.1f tasks/s; exec --detach p50 %s p99 %s; executor STARTING→RUNNING p50 %s p99 %s",
			source, tasks, wall.Round(time.Millisecond), len(perNode), perNode, float64(tasks)/wall.Seconds(),
			pct(lat, 50).Round(time.Millisecond), pct(lat, 99).Round(time.Millisecond),
			pct(agentLat, 50).Round(time.Millisecond), pct(agentLat, 99).Round(time.Millisecond))
	}
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[(len(s)-1)*p/100]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
