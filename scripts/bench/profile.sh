#!/usr/bin/env bash
# CPU and allocation profiles of agentd's hot paths (issue #18): the
# launch (task API call → TASK_RUNNING) and GET /state at 0/100/1,000
# tasks, with the agent in the benchmark process (internal/agentd
# BenchmarkLaunch, BenchmarkStateTasks) and its containers started by the
# real binary; and the start-up cost of the per-task helper processes
# (package init, from GODEBUG=inittrace). Profiles are kept in OUT
# (default ./profiles) for `go tool pprof`.
#
# Needs root (cgroups, setsid). On a shared machine run it under the test
# lock: flock /work/.testlock scripts/bench/profile.sh [OUT]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(realpath -m "${1:-profiles}")
mkdir -p "$out"
export PATH="$PATH:/usr/local/go/bin"
go test -c -o "$out/agentd.test" ./internal/agentd/
CGO_ENABLED=0 go build -o "$out/mesosctl" ./cmd/mesosctl
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for b in Launch StateTasks; do
  (cd internal/agentd && "$out/agentd.test" -test.run '^$' -test.bench "^Benchmark$b\$" -test.benchtime 100x \
    -test.cpuprofile "$out/$b-cpu.out" -test.memprofile "$out/$b-mem.out") | grep -E '^Benchmark'
  echo "--- $b: CPU (cumulative, agentd's own functions)"
  go tool pprof -top -cum "$out/agentd.test" "$out/$b-cpu.out" 2>/dev/null | grep -E 'mesosctl/internal|encoding/json|syscall|os\.' | head -15
  echo "--- $b: allocated bytes"
  go tool pprof -top -sample_index=alloc_space "$out/agentd.test" "$out/$b-mem.out" 2>/dev/null | sed -n '6,16p'
done
echo "--- helper start-up: package init of the multi-call binary (GODEBUG=inittrace, best of 10)"
for _ in $(seq 10); do GODEBUG=inittrace=1 "$out/mesosctl" executor --launch_info={} 2>&1 | grep '^init'; done |
  awk '{k=$2; if (!(k in m) || $5 < m[k]) m[k]=$5} END {for (k in m) {s+=m[k]; print m[k], "ms", k}; print s, "ms TOTAL"}' | sort -rn | head -12
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
