package agentd

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/testutil/dockerd"
)

// Benchmarks of the Docker containerizer through a real agentd and a real
// engine (the test binary's, dockerd.Shared). Run with
//
//	go test -run '^$' -bench 'Docker' -benchtime 1x ./internal/cmd/agentd/
//
// (scripts/bench/docker.sh, under the test lock). MESOSCTL_BENCH_DOCKER_LAUNCHES
// (default 40) and MESOSCTL_BENCH_DOCKER_TASKS (default 100) set the sizes.

func benchCount(env string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(env)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkDockerLaunchLatency: a Docker task's API call → TASK_RUNNING,
// one task at a time, against `docker run -d` of the same image, command
// and network on the same engine (returning once the container runs), the
// two interleaved so that both see the same machine. The difference is
// agentd's overhead: the launch checkpoint, the image check, the launcher,
// mesos-docker-executor, its attached `docker run` and the inspection that
// reports TASK_RUNNING.
func BenchmarkDockerLaunchLatency(b *testing.B) {
	n := benchCount("MESOSCTL_BENCH_DOCKER_LAUNCHES", 40)
	e := dockerd.Shared(b)
	a := startBinaryAgent(b, "--containerizers=docker,mesos", "--docker="+dockerd.CLIBinary, "--docker_socket="+e.Socket,
		"--resources=cpus:1000;mem:1000000;disk:1000", "--docker_remove_delay=1secs")
	ctx := context.Background()
	const command = `trap "exit 0" TERM; sleep 1000 & wait`
	for i := 0; i < b.N; i++ {
		var agent, plain []time.Duration
		for j := 0; j < n; j++ {
			id := fmt.Sprintf("lat-%d-%d", i, j)
			spec := dockerTask(id, "NONE", command)
			spec.Resources = api.TaskResources{CPUs: 0.01, Mem: 32}
			t0 := time.Now()
			a.launch(spec)
			after := 0
			for {
				ti := a.task(id, fmt.Sprintf("?after=%d&timeout=30s", after))
				if ti.State == "TASK_RUNNING" {
					break
				}
				if checkTerminal(ti.State) {
					b.Fatalf("task %s ended: %+v\n%s", id, ti, a.stderr)
				}
				after = len(ti.Statuses)
			}
			agent = append(agent, time.Since(t0))

			name := fmt.Sprintf("bench-plain-%d-%d", i, j)
			t0 = time.Now()
			if _, err := e.Output(ctx, "run", "-d", "--network=none", "--name", name, dockerd.Image, "sh", "-c", command); err != nil {
				b.Fatal(err)
			}
			plain = append(plain, time.Since(t0))
			_, _ = e.Output(ctx, "rm", "-f", name)
			a.do("POST", api.TaskPath+"/"+id+"/kill", nil)
		}
		b.ReportMetric(ms(percentile(agent, 0.5)), "agentd-p50-ms")
		b.ReportMetric(ms(percentile(agent, 0.99)), "agentd-p99-ms")
		b.ReportMetric(ms(percentile(plain, 0.5)), "docker-run-p50-ms")
		b.ReportMetric(ms(percentile(plain, 0.99)), "docker-run-p99-ms")
		b.ReportMetric(ms(percentile(agent, 0.5)-percentile(plain, 0.5)), "overhead-p50-ms")
	}
}

func checkTerminal(state string) bool {
	switch state {
	case "TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR", "TASK_DROPPED", "TASK_GONE":
		return true
	}
	return false
}

// BenchmarkDockerRecovery: N running Docker tasks, kill -9 of agentd, and
// its restart: the time until it serves again (recovery done: every run
// adopted, the engine's mesos- containers listed and inspected, no
// orphans), and how many tasks were lost (not RUNNING, or under another
// executor, or without a running container).
func BenchmarkDockerRecovery(b *testing.B) {
	n := benchCount("MESOSCTL_BENCH_DOCKER_TASKS", 100)
	e := dockerd.Shared(b)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		a := startBinaryAgent(b, "--containerizers=docker,mesos", "--docker="+dockerd.CLIBinary, "--docker_socket="+e.Socket,
			"--resources=cpus:1000;mem:1000000;disk:1000")
		start := time.Now()
		ids := make(chan int)
		var wg sync.WaitGroup
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range ids {
					id := fmt.Sprintf("rec-%d-%03d", i, j)
					spec := dockerTask(id, "NONE", `trap "exit 0" TERM; sleep 3600 & wait`)
					spec.Resources = api.TaskResources{CPUs: 0.01, Mem: 32}
					a.launch(spec)
					a.waitState(id, 5*time.Minute, "TASK_RUNNING")
				}
			}()
		}
		for j := 0; j < n; j++ {
			ids <- j
		}
		close(ids)
		wg.Wait()
		b.ReportMetric(time.Since(start).Seconds(), "launch-all-s")
		before := map[string]int{}
		for _, ti := range tasksOf(b, a) {
			before[ti.ID] = ti.ExecutorPID
		}

		a.kill9()
		t0 := time.Now()
		a.restart()
		recovery := time.Since(t0)
		b.ReportMetric(recovery.Seconds(), "recovery-s")

		lost := 0
		for _, ti := range tasksOf(b, a) {
			if pid, ok := before[ti.ID]; !ok || ti.State != "TASK_RUNNING" || ti.ExecutorPID != pid {
				lost++
			}
			delete(before, ti.ID)
		}
		lost += len(before)
		out, err := e.Output(ctx, "ps", "--filter", "name=mesos-", "--filter", "status=running", "--format", "{{.Names}}")
		if err != nil {
			b.Fatal(err)
		}
		if got := len(strings.Fields(out)); got != n {
			b.Errorf("%d mesos- containers running after recovery, want %d", got, n)
		}
		b.ReportMetric(float64(lost), "lost")
		if lost != 0 {
			b.Errorf("%d of %d Docker tasks lost in recovery", lost, n)
		}
		// Stop them all (the engine's containers go with the agent's kill).
		for _, ti := range tasksOf(b, a) {
			a.do("POST", api.TaskPath+"/"+ti.ID+"/kill", nil)
		}
		for _, ti := range tasksOf(b, a) {
			a.waitState(ti.ID, 2*time.Minute, "TASK_KILLED", "TASK_FAILED", "TASK_FINISHED")
		}
		_, _ = e.Output(ctx, "container", "prune", "-f")
	}
}

func tasksOf(b *testing.B, a *agentProc) []api.TaskInfo {
	b.Helper()
	_, body := a.do("GET", api.TaskPath, nil)
	var list api.TaskList
	if err := json.Unmarshal(body, &list); err != nil {
		b.Fatal(err)
	}
	return list.Tasks
}
