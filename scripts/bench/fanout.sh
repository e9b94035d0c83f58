#!/usr/bin/env bash
# Benchmark: `mesosctl ex` vs `pdsh -R ssh` vs `clush` running `hostname` on
# 64 loopback OpenSSH servers (SUBNET.1-64, port 22), median of N runs.
#
# Needs root and the Debian packages openssh-server, pdsh, clustershell.
# Usage: scripts/bench/fanout.sh [RUNS] (default 5). Environment:
#   NODES=N         node count (default 64)
#   SUBNET=a.b.c    loopback /24 for the nodes (default 127.0.216)
#   MESOSCTL=path   use a prebuilt binary instead of building one
#   NODE_HOME=stock (default) the nodes log root in with a stock Debian home
#                   (/usr/share/base-files dot.bashrc and dot.profile) bind-
#                   mounted over /root in the sshd's private mount namespace,
#                   as on a freshly installed node; NODE_HOME=host keeps this
#                   machine's own /root, whose shell start-up files then run
#                   on every connection for every tool (a developer's
#                   ~/.bashrc running `pyenv init` costs ~150 ms of CPU per
#                   connection and dwarfs the SSH work being measured).
# All three tools talk to the same sshd processes (same config, same ed25519
# host key, same client key, MaxStartups high enough for 64 at once).
set -euo pipefail
RUNS=${1:-5}
N=${NODES:-64}
SUBNET=${SUBNET:-127.0.216}
NODE_HOME=${NODE_HOME:-stock}
LOAD_START=$(cut -d' ' -f1 /proc/loadavg)   # before our own sshd and checks
cd "$(dirname "$0")/../.."

for tool in /usr/sbin/sshd ssh ssh-keygen pdsh clush unshare bc; do
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

mkdir -p /run/sshd "$T/home"
case $NODE_HOME in
stock)
  cp /usr/share/base-files/dot.bashrc "$T/home/.bashrc"
  cp /usr/share/base-files/dot.profile "$T/home/.profile" ;;
host) ;;
*) echo "NODE_HOME must be stock or host" >&2; exit 2 ;;
esac
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
  ip=$SUBNET.$i
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
  sshd=(/usr/sbin/sshd -D -e -f "$T/sshd_config.$i")
  if [ "$NODE_HOME" = stock ]; then
    # unshare without --fork execs: $! ends up being sshd itself.
    unshare -m --propagation private sh -c 'mount --bind "$0" /root && exec "$@"' "$T/home" "${sshd[@]}" 2>>"$T/sshd.log" &
  else
    "${sshd[@]}" 2>>"$T/sshd.log" &
  fi
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
    (exec 3<>/dev/tcp/$SUBNET.$i/22) 2>/dev/null && break
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
SET="bench[001-$(printf '%03d' "$N")]"
HOSTS="$SUBNET.[1-$N]"

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

# sshd CPU: each listener's own plus its reaped descendants' user+sys ticks
# (a connection's rexec'd sshd, privsep children, shell and command are all
# reaped up the tree into the listener's cutime/cstime).
TICK=$(getconf CLK_TCK)
sshd_ticks() {
  local p s=0 f
  for p in "${PIDS[@]}"; do
    read -r -a f < "/proc/$p/stat"
    s=$((s + f[13] + f[14] + f[15] + f[16]))
  done
  echo "$s"
}
# settle waits (untimed) until every connection's sshd is gone, so its CPU
# has been added to its listener.
settle() {
  local p _ kids
  for _ in $(seq 1 100); do
    for p in "${PIDS[@]}"; do
      kids=$(< "/proc/$p/task/$p/children")
      if [ -n "$kids" ]; then sleep 0.05; continue 2; fi
    done
    return 0
  done
}

declare -A TIMES CPU SRV
TIMEFORMAT='%R %U %S'
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
for r in $(seq 1 "$RUNS"); do
  for t in mesosctl pdsh clush; do   # interleaved so drift hits all alike
    settle; before=$(sshd_ticks)
    read -r wall usr sys < <( { time "run_$t" >/dev/null 2>&1; } 2>&1 )
    settle; after=$(sshd_ticks)
    TIMES[$t]+="$wall "
    CPU[$t]+="$(echo "$usr + $sys" | bc) "
    SRV[$t]+="$(echo "($after - $before) / $TICK" | bc -l) "
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
M=$(echo "${TIMES[mesosctl]}" | median); P=$(echo "${TIMES[pdsh]}" | median); C=$(echo "${TIMES[clush]}" | median)
printf '\n%d nodes, `hostname`, node home %s, median of %d runs (%d CPUs, load %s at start, %s before the timed runs, %s after)\n' \
  "$N" "$NODE_HOME" "$RUNS" "$(nproc)" "$LOAD_START" "$LOAD0" "$(cut -d' ' -f1 /proc/loadavg)"
printf '%-10s %8s %13s %13s %10s   %s\n' tool "wall s" "client CPU s" "sshd CPU s" "sshd ms/node" "all runs (wall)"
for t in mesosctl pdsh clush; do
  srv=$(echo "${SRV[$t]}" | median)
  printf '%-10s %8.3f %13.3f %13.3f %10.1f   %s\n' "$t" "$(echo "${TIMES[$t]}" | median)" \
    "$(echo "${CPU[$t]}" | median)" "$srv" "$(echo "$srv * 1000 / $N" | bc -l)" "${TIMES[$t]}"
done
printf '\nmesosctl/clush = %.2f   mesosctl/pdsh = %.2f   (goal: mesosctl/clush <= 0.60)\n' \
  "$(echo "$M / $C" | bc -l)" "$(echo "$M / $P" | bc -l)"
printf 'floor: sshd CPU under mesosctl / %d CPUs = %.3f s = %.2f of clush\n' "$(nproc)" \
  "$(echo "$(echo "${SRV[mesosctl]}" | median) / $(nproc)" | bc -l)" \
  "$(echo "$(echo "${SRV[mesosctl]}" | median) / $(nproc) / $C" | bc -l)"
