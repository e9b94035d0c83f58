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
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
go test -run '^$' -bench 'BenchmarkDocker' -benchtime 1x -count "${1:-1}" -timeout 60m ./internal/cmd/agentd/ |
  grep -E '^Benchmark|^(ok|FAIL)|--- FAIL|_test.go'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
