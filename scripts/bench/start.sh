#!/usr/bin/env bash
# The start of the multi-call binary per personality (issue #18): the CLI
# (`exec`, to its usage error), `containerizer launch` and `executor` (the
# launchinfo.Direct path agentd's helpers take, to a missing launch_info)
# and `agentd` (its Mesos flag table, to an unknown flag), against an empty
# Go program, all static (CGO_ENABLED=0, as released) and interleaved in one
# run: wall time p50, CPU (utime+stime) and minor page faults per start.
# The binary of git ref BASE (default main) is built too and measured in
# the same run, so the table reads before/after.
#
# Usage: scripts/bench/start.sh [BASE]   (MESOSCTL_BENCH_STARTS: starts per case, default 200)
# On a shared machine run it under the test lock: flock /work/.testlock scripts/bench/start.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin"
base=${1:-main}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/src"
git archive "$base" | tar -x -C "$tmp/src"
(cd "$tmp/src" && CGO_ENABLED=0 go build -trimpath -o "$tmp/base" ./cmd/mesosctl)
go test -c -o "$tmp/mesosctl.test" ./internal/mesosctl/
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
(cd internal/mesosctl && MESOSCTL_BENCH_BASE="$tmp/base" "$tmp/mesosctl.test" -test.run '^$' -test.bench '^BenchmarkStart$' -test.benchtime 1x) | tee "$tmp/start.out" >&2
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

metric() { awk -v unit="$1" '/^BenchmarkStart/ { for (i = 2; i < NF; i++) if ($(i+1) == unit) { print $i; exit } }' "$tmp/start.out"; }
cell() { printf '%s ms, %s ms CPU, %s faults' "$(metric "$1-p50-ms")" "$(metric "$1-cpu-ms")" "$(metric "$1-faults")"; }
row() { printf '| %-34s | %-36s | %-36s |\n' "$1" "$2" "$3"; }
echo
echo "start of the binary, per start: p50 wall, mean CPU, mean minor faults (machine: $(nproc) cores; load average before: $load_before, after: $load_after)"
echo
row "personality" "$base ($(git rev-parse --short "$base"))" "this tree ($(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo +))"
row "---" "---" "---"
row "exec (CLI, to its usage error)" "$(cell base-exec)" "$(cell exec)"
row "containerizer launch (Direct)" "$(cell base-launch)" "$(cell launch)"
row "executor (Direct)" "$(cell base-executor)" "$(cell executor)"
row "agentd (flags, to an unknown one)" "$(cell base-agentd)" "$(cell agentd)"
row "empty Go program (floor)" "$(cell empty)" "$(cell empty)"
