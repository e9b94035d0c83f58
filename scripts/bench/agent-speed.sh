#!/usr/bin/env bash
# agentd and exec against the machine's floor (issue #18), in one run, as
# one table: launch latency (task API call → TASK_RUNNING) against a bare
# fork+exec of the same 3-level sh -c chain and of the same process tree
# made of minimal static Go programs in the helpers' places; /state at 0,
# 100 and 1,000 tasks (the last right after the launches and once the
# machine is idle again); the time for 1,000 sleep tasks to be RUNNING
# against 1,000 chains of that minimal tree (and kill -9
# recovery: tasks lost); the PSS of the helper processes per task
# (smaps_rollup); agentd's own CPU while idle with 0, 100 and 1,000
# running tasks (BenchmarkSteadyCPU); one start of the binary per
# personality against an empty Go program (BenchmarkStart); `exec --detach` latency and throughput with 1 and 8
# concurrent submitters over an 8-node test cluster; idle agentd RSS. The
# load average is printed before and after.
#
# Needs root (cgroups, setsid, namespaces, sshd on port 22 for the test
# cluster) and the packages of scripts/install-deps.sh. On a shared machine
# run it under the test lock: flock /work/.testlock scripts/bench/agent-speed.sh
# MESOSCTL_BENCH_TASKS sets the 1,000 of the 1,000-task rows; SKIP_EXEC=1
# leaves out the exec rows (no test cluster), SKIP_CPU=1 the idle CPU rows
# (MESOSCTL_BENCH_CPU_SECS, default 30, is each one's measuring time).
# MESOSCTL_BENCH_AGENTD_FLAGS adds agentd flags (e.g.
# --mesosctl_warm_launchers=0: the cold launch path).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "run as root (cgroups, setsid, test cluster)" >&2; exit 1; }
export PATH="$PATH:/usr/local/go/bin"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/agentd.test" ./internal/cmd/agentd/
go test -c -o "$tmp/mesosctl.test" ./internal/mesosctl/
[ -n "${SKIP_EXEC:-}" ] || go test -c -o "$tmp/exec.test" ./internal/cmd/exec/

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
(cd internal/mesosctl && MESOSCTL_BENCH_STARTS=${MESOSCTL_BENCH_STARTS:-100} "$tmp/mesosctl.test" -test.run '^$' -test.bench '^BenchmarkStart$' -test.benchtime 1x) | tee "$tmp/start.out" >&2
(cd internal/cmd/agentd && "$tmp/agentd.test" -test.run '^$' -test.bench '^BenchmarkAgentSpeed$' -test.benchtime 100x) | tee "$tmp/speed.out" >&2
(cd internal/cmd/agentd && "$tmp/agentd.test" -test.run '^$' -test.bench '^BenchmarkThousandTasks$' -test.benchtime 1x) | tee "$tmp/thousand.out" >&2
[ -n "${SKIP_CPU:-}" ] || (cd internal/cmd/agentd && "$tmp/agentd.test" -test.run '^$' -test.bench '^BenchmarkSteadyCPU$' -test.benchtime 1x) | tee "$tmp/cpu.out" >&2
if [ -z "${SKIP_EXEC:-}" ]; then
  (cd internal/cmd/exec && "$tmp/exec.test" -test.run '^$' -test.bench 'BenchmarkExecDetach200/zookeeper' -test.benchtime 1x) | tee "$tmp/exec.out" >&2
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# metric FILE BENCH-REGEX UNIT: the value reported before UNIT.
metric() {
  awk -v re="$2" -v unit="$3" '$1 ~ re { for (i = 2; i < NF; i++) if ($(i+1) == unit) { print $i; exit } }' "$1" 2>/dev/null || true
}
s=$tmp/speed.out t=$tmp/thousand.out e=$tmp/exec.out c=$tmp/cpu.out b=$tmp/start.out
n=${MESOSCTL_BENCH_TASKS:-1000}
row() { printf '| %-44s | %-26s | %-24s | %-22s |\n' "$1" "$2" "$3" "$4"; }
echo
echo "agentd speed (machine: $(nproc) cores; load average before: $load_before, after: $load_after)"
echo
row "measure" "agentd" "floor (same run)" "goal"
row "---" "---" "---" "---"
row "one start of the binary: exec / launch / executor / agentd" \
    "$(metric $b Start exec-cpu-ms) / $(metric $b Start launch-cpu-ms) / $(metric $b Start executor-cpu-ms) / $(metric $b Start agentd-cpu-ms) ms CPU" \
    "empty Go program $(metric $b Start empty-cpu-ms) ms CPU" "(scripts/bench/start.sh)"
row "launch, API call → TASK_RUNNING (100)" "p50 $(metric $s AgentSpeed launch-p50-ms) ms, p99 $(metric $s AgentSpeed launch-p99-ms) ms" \
    "sh -c chain p50 $(metric $s AgentSpeed floor-p50-ms) ms, p99 $(metric $s AgentSpeed floor-p99-ms) ms" "p50 ≤ 8 ms, p99 ≤ 20 ms"
row "  the same tree of minimal Go programs" "" "p50 $(metric $s AgentSpeed tree-floor-p50-ms) ms, p99 $(metric $s AgentSpeed tree-floor-p99-ms) ms" ""
row "  API call → TASK_STARTING recorded" "p50 $(metric $s AgentSpeed to-starting-p50-ms) ms" "one helper start p50 $(metric $s AgentSpeed helper-start-p50-ms) ms" "(two helper starts in series)"
row "  TASK_STARTING → TASK_RUNNING recorded" "p50 $(metric $s AgentSpeed starting-to-running-p50-ms) ms" "" ""
row "  TASK_RUNNING recorded → seen by client" "p50 $(metric $s AgentSpeed running-to-seen-p50-ms) ms" "" ""
row "GET /state, 0 tasks" "p50 $(metric $s AgentSpeed state0-p50-ms) ms, p99 $(metric $s AgentSpeed state0-p99-ms) ms" "" ""
row "GET /state, 100 tasks" "p50 $(metric $s AgentSpeed stateN-p50-ms) ms, p99 $(metric $s AgentSpeed stateN-p99-ms) ms" "" ""
row "GET /state, $n tasks, right after the launches" "p50 $(metric $t ThousandTasks state-p50-ms) ms, p99 $(metric $t ThousandTasks state-p99-ms) ms" "load $(metric $t ThousandTasks state-load1)" "p50 ≤ 8 ms, p99 ≤ 20 ms"
row "GET /state, $n tasks, settled" "p50 $(metric $t ThousandTasks settled-state-p50-ms) ms, p99 $(metric $t ThousandTasks settled-state-p99-ms) ms" "after $(metric $t ThousandTasks settle-s) s, load $(metric $t ThousandTasks settled-load1)" "p50 ≤ 8 ms, p99 ≤ 20 ms"
row "$n sleep tasks all RUNNING (64 clients)" "$(metric $t ThousandTasks launch-all-s) s ($(metric $t ThousandTasks tasks/s)/s)" "same tree of minimal Go programs $(metric $t ThousandTasks floor-all-s) s ($(metric $t ThousandTasks floor-tasks/s)/s)" "≤ 8 s"
row "helpers' PSS per task (100 / $n tasks)" "$(metric $s AgentSpeed helpers-pss-MB/task) / $(metric $t ThousandTasks helpers-pss-MB/task) MB" "" "≤ 6 MB"
row "idle pre-started pairs, PSS of all (0 / 100 tasks)" "$(metric $s AgentSpeed idle-pairs-pss-MB) / $(metric $s AgentSpeed idle-pairs-pss-end-MB) MB" "" "(--mesosctl_warm_launchers)"
row "agentd RSS: idle / with $n tasks" "$(metric $s AgentSpeed idle-rss-MB) / $(metric $t ThousandTasks agentd-rss-MB) MB" "" "idle ≤ 12 MB"
row "kill -9 recovery of $n tasks" "$(metric $t ThousandTasks recovery-s) s, $(metric $t ThousandTasks lost) lost" "" "0 lost"
if [ -z "${SKIP_CPU:-}" ]; then
  row "agentd CPU idle, 0 / 100 / $n tasks" "$(metric $c SteadyCPU cpu0-ms/s) / $(metric $c SteadyCPU cpu100-ms/s) / $(metric $c SteadyCPU cpuN-ms/s) ms/s" "" ""
  row "GET /state, $n tasks, agent otherwise idle" "p50 $(metric $c SteadyCPU stateN-p50-ms) ms, p99 $(metric $c SteadyCPU stateN-p99-ms) ms" "" "p50 ≤ 8 ms, p99 ≤ 20 ms"
fi
if [ -z "${SKIP_EXEC:-}" ]; then
  for p in 1 8; do
    row "exec --detach, 8 agents, $p submitter(s)" \
      "p50 $(metric $e "submitters=$p" p50-ms) ms, p99 $(metric $e "submitters=$p" p99-ms) ms, $(metric $e "submitters=$p" tasks/s) tasks/s" \
      "" "p50 ≤ 100 ms, ≥ 60 tasks/s"
  done
fi
