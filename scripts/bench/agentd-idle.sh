#!/usr/bin/env bash
# Idle RSS of agentd and /state latency under concurrent clients.
# Usage: scripts/bench/agentd-idle.sh   (needs go, curl; runs on 127.0.0.1)
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/mesosctl" ./cmd/mesosctl
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$tmp/mesosctl" agentd --work_dir="$tmp/work" --ip=127.0.0.1 --port="$port" --config_dir= --quiet &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
sleep 2
echo "idle RSS: $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)"
go test -run '^$' -bench BenchmarkStateConcurrent -benchtime=5000x ./internal/agentd/ | grep -E 'Benchmark|p50|p99' || true
