#!/usr/bin/env bash
# Benchmark: 200 `mesosctl exec --detach` of short tasks (sleep 0.2, 8
# clients at a time, each a separate process) spread by placement over an
# 8-node test cluster (127.0.215.1-8). Prints tasks per second and p50/p99
# of submit→RUNNING as the client sees it and as the agents record it.
#
# Needs root (namespaces, sshd on port 22) and the packages of
# scripts/install-deps.sh. Usage: scripts/bench/exec.sh [COUNT] (default 1).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "run as root (test cluster: namespaces, sshd on port 22)" >&2; exit 1; }
export PATH="$PATH:/usr/local/go/bin"
go test -run '^$' -bench BenchmarkExecDetach200 -benchtime 1x -count "${1:-1}" -v ./internal/cmd/exec/ |
  grep -E 'tasks in|tasks/s|^(ok|FAIL)'
