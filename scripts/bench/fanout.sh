#!/usr/bin/env bash
# Benchmark: `mesosctl ex` vs `pdsh -R ssh` vs `clush` running `hostname` on
# 64 loopback OpenSSH servers (127.0.3.1-64, port 22), median of N runs.
#
# Needs root and the Debian packages openssh-server, pdsh, clustershell.
# Usage: scripts/bench/fanout.sh [RUNS] (default 5). NODES=N changes the
# node count (default 64). MESOSCTL=path uses a prebuilt binary.
set -euo pipefail
RUNS=${1:-5}
N=${NODES:-64}
cd "$(dirname "$0")/../.."

for tool in /usr/sbin/sshd ssh ssh-keygen pdsh clush; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install openssh-server openssh-client pdsh clustershell" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "run as root (sshd on port 22 of loopback addresses)" >&2; exit 1; }

T=$(mktemp -d /tmp/mesosctl-bench.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT INT TERM

mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$T/host_key" -C host
ssh-keygen -q -t ed25519 -N '' -f "$T/id_ed25519" -C client
cp "$T/id_ed25519.pub" "$T/authorized_keys"

: > "$T/known_hosts"
{
  echo "defaults:"
  echo "  ssh_user: root"
  echo "  identity_file: $T/id_ed25519"
  echo "  known_hosts: $T/known_hosts"
  echo "  ssh_config: $T/ssh_config"
  echo "nodes:"
} > "$T/mesosctl.yaml"
for i in $(seq 1 "$N"); do
  ip=127.0.3.$i
  cat > "$T/sshd_config.$i" <<CFG
ListenAddress $ip:22
HostKey $T/host_key
AuthorizedKeysFile $T/authorized_keys
PidFile $T/sshd.$i.pid
PermitRootLogin yes
UsePAM no
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
PrintMotd no
LogLevel ERROR
MaxStartups 1000
CFG
  /usr/sbin/sshd -D -e -f "$T/sshd_config.$i" 2>>"$T/sshd.log" &
  PIDS+=($!)
  echo "$ip $(cut -d' ' -f1,2 "$T/host_key.pub")" >> "$T/known_hosts"
  printf '  - name: bench%03d\n    address: %s\n    ssh_port: 22\n' "$i" "$ip" >> "$T/mesosctl.yaml"
done
cat > "$T/ssh_config" <<CFG
Host *
  User root
  IdentityFile $T/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $T/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 10
CFG

# Wait until every server accepts connections.
for i in $(seq 1 "$N"); do
  for _ in $(seq 1 100); do
    (exec 3<>/dev/tcp/127.0.3.$i/22) 2>/dev/null && break
    sleep 0.05
  done
done

BIN=${MESOSCTL:-}
if [ -z "$BIN" ]; then
  BIN=$T/mesosctl
  CGO_ENABLED=0 go build -trimpath -o "$BIN" ./cmd/mesosctl
fi
export MESOSCTL_CONFIG=$T/mesosctl.yaml
unset SSH_AUTH_SOCK NODES
FIRST=$(printf 'bench%03d' 1); LAST=$(printf 'bench%03d' "$N")
SET="bench[001-$(printf '%03d' "$N")]"
HOSTS="127.0.3.[1-$N]"

run_mesosctl() { "$BIN" ex --fanout "$N" --progress=never "$SET" hostname; }
run_pdsh() { PDSH_SSH_ARGS="-F $T/ssh_config %h" pdsh -R ssh -f "$N" -w "$HOSTS" hostname; }
run_clush() { clush -f "$N" -o "-F $T/ssh_config" -w "$HOSTS" hostname; }

# Correctness first: every tool must reach every node.
for t in mesosctl pdsh clush; do
  lines=$("run_$t" 2>"$T/$t.err" | grep -c "$(hostname)" || true)
  if [ "$lines" != "$N" ]; then
    echo "$t reached $lines of $N nodes:" >&2; head -5 "$T/$t.err" >&2; exit 1
  fi
done

now() { date +%s.%N; }
declare -A TIMES
for r in $(seq 1 "$RUNS"); do
  for t in mesosctl pdsh clush; do   # interleaved so drift hits all alike
    s=$(now); "run_$t" >/dev/null 2>&1; e=$(now)
    TIMES[$t]+="$(echo "$e - $s" | bc) "
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
M=$(echo "${TIMES[mesosctl]}" | median); P=$(echo "${TIMES[pdsh]}" | median); C=$(echo "${TIMES[clush]}" | median)
printf '\n%d nodes, `hostname`, median of %d runs (%d CPUs)\n' "$N" "$RUNS" "$(nproc)"
printf '%-10s %10s   %s\n' tool "median s" "all runs"
printf '%-10s %10.3f   %s\n' mesosctl "$M" "${TIMES[mesosctl]}" pdsh "$P" "${TIMES[pdsh]}" clush "$C" "${TIMES[clush]}"
printf '\nmesosctl/clush = %.2f   mesosctl/pdsh = %.2f   (goal: mesosctl/clush <= 0.60)\n' \
  "$(echo "$M / $C" | bc -l)" "$(echo "$M / $P" | bc -l)"
