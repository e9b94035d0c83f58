#!/usr/bin/env bash
# Benchmark: `mesosctl cp` vs `pdcp -R ssh` vs `clush --copy` pushing one
# 25 MB file to 64 loopback OpenSSH servers (SUBNET.1-64, port 22), and
# `mesosctl rcp` vs `rpdcp` vs `clush --rcopy` pulling it back, median of N
# runs, interleaved, in one run of this script; mesosctl both with --no-reuse
# (cold, new connections like its peers) and warm (cp's default: through the
# connections its ssh-mux daemon keeps from the earlier runs).
#
# Needs root and the Debian packages openssh-server (with its
# openssh-sftp-server), pdsh, clustershell.
# Usage: scripts/bench/cp.sh [RUNS] (default 5). Environment:
#   NODES=N         node count (default 64)
#   SIZE_MB=M       file size (default 25)
#   SUBNET=a.b.c    loopback /24 for the nodes (default 127.0.219)
#   MESOSCTL=path   use a prebuilt binary instead of building one
#   DATA=dir        where node homes and pulled files live (default /dev/shm:
#                   memory, so that the disk's write-back is not measured;
#                   NODES x SIZE_MB are written at a time, removed between runs)
# Each sshd runs in a private mount namespace with a home of its own (a stock
# Debian one, base-files' dot.bashrc and dot.profile) bind-mounted over /root,
# so that the 64 "nodes" write 64 different files at /root/dest/, as 64 real
# nodes would. All three tools talk to the same sshd processes (same config,
# same ed25519 host key, same client key, MaxStartups high enough for 64 at
# once, sftp subsystem as in Debian's stock config). clush copies with scp,
# which speaks SFTP to the node (OpenSSH 9); pdcp runs pdcp on the node.
set -euo pipefail
RUNS=${1:-5}
N=${NODES:-64}
SIZE_MB=${SIZE_MB:-25}
SUBNET=${SUBNET:-127.0.219}
DATA=${DATA:-/dev/shm}
LOAD_START=$(cut -d' ' -f1 /proc/loadavg)   # before our own sshd and checks
cd "$(dirname "$0")/../.."

for tool in /usr/sbin/sshd /usr/lib/openssh/sftp-server ssh scp ssh-keygen pdcp rpdcp clush unshare bc cmp; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install openssh-server openssh-client pdsh clustershell" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "run as root (sshd on port 22 of loopback addresses)" >&2; exit 1; }

T=$(mktemp -d /tmp/mesosctl-bench-cp.XXXXXX)
D=$(mktemp -d "$DATA/mesosctl-bench-cp.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$T" "$D"
}
trap cleanup EXIT INT TERM

mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$T/host_key" -C host
ssh-keygen -q -t ed25519 -N '' -f "$T/id_ed25519" -C client
cp "$T/id_ed25519.pub" "$T/authorized_keys"
head -c "${SIZE_MB}M" /dev/urandom > "$D/file"
SRC=$D/file

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
  home=$D/home.$i
  mkdir -p "$home/dest"
  cp /usr/share/base-files/dot.bashrc "$home/.bashrc"
  cp /usr/share/base-files/dot.profile "$home/.profile"
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
Subsystem sftp /usr/lib/openssh/sftp-server
CFG
  # unshare without --fork execs: $! ends up being sshd itself.
  unshare -m --propagation private sh -c 'mount --bind "$0" /root && exec "$@"' "$home" \
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
# mesosctl's ssh-mux daemon (the warm rows) lives in the bench directory.
export XDG_RUNTIME_DIR=$T/run XDG_STATE_HOME=$T/state
mkdir -m 700 "$T/run"
trap '"$BIN" ssh-mux stop >/dev/null 2>&1; cleanup' EXIT INT TERM
unset SSH_AUTH_SOCK NODES
SET="bench[001-$(printf '%03d' "$N")]"
HOSTS="$SUBNET.[1-$N]"
OUT=$D/out
# clush and pdcp pass the ssh options through: the same config file for all.
export PDSH_SSH_ARGS="-F $T/ssh_config %h"
CLUSH=(clush -f "$N" -o "-F $T/ssh_config" -S)   # -S: exit non-zero when a node fails

push_mesosctl() { "$BIN" cp --no-reuse --fanout "$N" --progress=never "$SET" "$SRC" /root/dest/; }
push_pdcp() { pdcp -R ssh -f "$N" -w "$HOSTS" "$SRC" /root/dest/; }
push_clush() { "${CLUSH[@]}" -w "$HOSTS" --copy "$SRC" --dest /root/dest/; }
# warm: through the connections mesosctl's ssh-mux daemon keeps from the
# correctness check (cp's default), where the peers have none to reuse.
push_mesosctl_warm() { "$BIN" cp --fanout "$N" --progress=never "$SET" "$SRC" /root/dest/; }
pull_mesosctl_warm() { "$BIN" rcp --fanout "$N" --progress=never "$SET" /root/dest/file "$OUT"; }
pull_mesosctl() { "$BIN" rcp --no-reuse --fanout "$N" --progress=never "$SET" /root/dest/file "$OUT"; }
pull_rpdcp() { rpdcp -R ssh -f "$N" -w "$HOSTS" /root/dest/file "$OUT"; }
pull_clush() { "${CLUSH[@]}" -w "$HOSTS" --rcopy /root/dest/file --dest "$OUT"; }

clear_pushed() { rm -f "$D"/home.*/dest/file; }
clear_pulled() { rm -rf "$OUT"; mkdir -p "$OUT"; }
# Every node must have the whole file (pushes), every node's copy must
# have arrived (pulls): the correctness check before timing.
check_pushed() {
  local i
  for i in $(seq 1 "$N"); do cmp -s "$SRC" "$D/home.$i/dest/file" || { echo "$1: node $i has no good copy" >&2; return 1; }; done
}
check_pulled() {
  local n
  n=$(find "$OUT" -type f -size "$(stat -c %s "$SRC")c" | wc -l)
  [ "$n" = "$N" ] || { echo "$1: $n of $N files pulled" >&2; find "$OUT" | head >&2; return 1; }
}

for t in mesosctl mesosctl_warm pdcp clush; do
  clear_pushed
  "push_$t" >"$T/$t.out" 2>"$T/$t.err" || { echo "push $t failed:" >&2; head -5 "$T/$t.err" >&2; exit 1; }
  check_pushed "push $t"
done
for t in mesosctl mesosctl_warm rpdcp clush; do
  clear_pulled
  "pull_$t" >"$T/$t.out" 2>"$T/$t.err" || { echo "pull $t failed:" >&2; head -5 "$T/$t.err" >&2; exit 1; }
  check_pulled "pull $t"
done

TICK=$(getconf CLK_TCK)
# For each listener, the user+sys ticks of every process in its tree plus
# what the live ones have reaped, so that the connections the ssh-mux
# daemon keeps open (the warm rows) are counted too.
tree_ticks() {
  local p=$1 f k s=0
  read -r -a f < "/proc/$p/stat" 2>/dev/null || { echo 0; return; }
  s=$((f[13] + f[14] + f[15] + f[16]))
  for k in $(cat "/proc/$p/task/$p/children" 2>/dev/null); do
    s=$((s + $(tree_ticks "$k")))
  done
  echo "$s"
}
sshd_ticks() {
  local p s=0
  for p in "${PIDS[@]}"; do s=$((s + $(tree_ticks "$p"))); done
  echo "$s"
}
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
measure() { # KEY COMMAND
  local before after wall usr sys
  settle; before=$(sshd_ticks)
  read -r wall usr sys < <( { time "$2" >/dev/null 2>&1; } 2>&1 )
  settle; after=$(sshd_ticks)
  TIMES[$1]+="$wall "
  CPU[$1]+="$(echo "$usr + $sys" | bc) "
  SRV[$1]+="$(echo "($after - $before) / $TICK" | bc -l) "
}
for r in $(seq 1 "$RUNS"); do
  for t in mesosctl mesosctl_warm pdcp clush; do   # interleaved so drift hits all alike
    clear_pushed; measure "push $t" "push_$t"
  done
  for t in mesosctl mesosctl_warm rpdcp clush; do
    clear_pulled; measure "pull $t" "pull_$t"
  done
done
LOAD1=$(cut -d' ' -f1 /proc/loadavg)
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
printf '\n%d nodes, one %d MB file, median of %d runs (%d CPUs; load average %s at start, %s before the timed runs, %s after)\n' \
  "$N" "$SIZE_MB" "$RUNS" "$(nproc)" "$LOAD_START" "$LOAD0" "$LOAD1"
printf '%-20s %8s %13s %13s %8s   %s\n' tool "wall s" "client CPU s" "sshd CPU s" "MB/s" "all runs (wall)"
for k in "push mesosctl" "push mesosctl_warm" "push pdcp" "push clush" "pull mesosctl" "pull mesosctl_warm" "pull rpdcp" "pull clush"; do
  w=$(echo "${TIMES[$k]}" | median)
  printf '%-20s %8.3f %13.3f %13.3f %8.0f   %s\n' "$k" "$w" "$(echo "${CPU[$k]}" | median)" \
    "$(echo "${SRV[$k]}" | median)" "$(echo "$N * $SIZE_MB / $w" | bc -l)" "${TIMES[$k]}"
done
ratio() { # KEY OTHER...: KEY's median over the fastest OTHER's
  local m best="" o v
  m=$(echo "${TIMES[$1]}" | median); shift
  for o in "$@"; do
    v=$(echo "${TIMES[$o]}" | median)
    if [ -z "$best" ] || [ "$(echo "$v < $best" | bc)" = 1 ]; then best=$v; fi
  done
  echo "$m / $best" | bc -l
}
printf '\npush: mesosctl/pdcp = %.2f   mesosctl/clush = %.2f   mesosctl/faster peer = %.2f   (goal <= 0.50)\n' \
  "$(ratio "push mesosctl" "push pdcp")" "$(ratio "push mesosctl" "push clush")" "$(ratio "push mesosctl" "push pdcp" "push clush")"
printf 'pull: mesosctl/rpdcp = %.2f   mesosctl/clush = %.2f   mesosctl/faster peer = %.2f\n' \
  "$(ratio "pull mesosctl" "pull rpdcp")" "$(ratio "pull mesosctl" "pull clush")" "$(ratio "pull mesosctl" "pull rpdcp" "pull clush")"
printf 'warm (ssh-mux daemon, connections kept from earlier runs):\n'
printf 'push: mesosctl_warm/pdcp = %.2f   mesosctl_warm/clush = %.2f   mesosctl_warm/faster peer = %.2f   (goal <= 0.50)\n' \
  "$(ratio "push mesosctl_warm" "push pdcp")" "$(ratio "push mesosctl_warm" "push clush")" "$(ratio "push mesosctl_warm" "push pdcp" "push clush")"
printf 'pull: mesosctl_warm/rpdcp = %.2f   mesosctl_warm/clush = %.2f   mesosctl_warm/faster peer = %.2f\n' \
  "$(ratio "pull mesosctl_warm" "pull rpdcp")" "$(ratio "pull mesosctl_warm" "pull clush")" "$(ratio "pull mesosctl_warm" "pull rpdcp" "pull clush")"
