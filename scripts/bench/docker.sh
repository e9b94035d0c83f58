#!/usr/bin/env bash
# Benchmark: the Docker containerizer through a real agentd and a real
# engine (the harness's loopback-only dockerd, started for the run).
#   - Docker task launch → TASK_RUNNING p50/p99, one at a time, against
#     `docker run -d` of the same image on the same engine, interleaved
#     (MESOSCTL_BENCH_DOCKER_LAUNCHES, default 40);
#   - recovery after kill -9 of agentd with N running Docker tasks, and how
#     many were lost (MESOSCTL_BENCH_DOCKER_TASKS, default 100).
# Prints the load average with the figures. Run it under the test lock:
#   flock /work/.testlock scripts/bench/docker.sh
# Needs root and the packages of scripts/install-deps.sh (docker.io,
# busybox-static).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "run as root (dockerd, agentd containers)" >&2; exit 1; }
export PATH="$PATH:/usr/local/go/bin"
go test -c -o /tmp/mesosctl-bench-agentd.test ./internal/cmd/agentd/
trap 'rm -f /tmp/mesosctl-bench-agentd.test' EXIT
for b in BenchmarkDockerLaunchLatency BenchmarkDockerRecovery; do
  echo "load average before $b: $(cut -d' ' -f1-3 /proc/loadavg)"
  (cd internal/cmd/agentd && /tmp/mesosctl-bench-agentd.test -test.run '^$' -test.bench "^$b\$" -test.benchtime 1x \
    -test.count "${1:-1}" -test.timeout 60m) | grep -E '^Benchmark|^(ok|FAIL|PASS)|--- FAIL|_test.go'
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
