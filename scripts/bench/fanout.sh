#!/usr/bin/env bash
# Benchmark: `mesosctl ex` vs `pdsh -R ssh` vs `clush` running `hostname` on
# 64 loopback OpenSSH servers (SUBNET.1-64, port 22), median of N runs.
#
# Needs root and the Debian packages openssh-server, pdsh, clustershell.
# Usage: scripts/bench/fanout.sh [RUNS] (default 5). Environment:
#   NODES=N         node count (default 64); more than 250 are spread over
#                   consecutive /24s, 250 each (NODES=1000: 127.0.216-219)
#   SUBNET=a.b.c    first loopback /24 for the nodes (default 127.0.216)
#   MODE=cold       (default) every run opens new connections: mesosctl
#                   --no-reuse, and mesosctl with its ssh-mux daemon stopped
#                   before each run (it starts one and connects); pdsh and
#                   clush as configured below
#   MODE=rss        mesosctl alone: peak RSS (of mesosctl, and of its ssh-mux
#                   daemon) while every node prints SIZES bytes (default
#                   "1M 50M"; e.g. NODES=4 SIZES="1M 200M", NODES=64
#                   SIZES="1M 50M"), in each output mode (RSS_MODES, comma-
#                   separated, e.g. RSS_MODES=default,--no-reuse), output
#                   to /dev/null; BASELINE=path adds the same rows for
#                   another binary (e.g. one built from main), alternately
#   MODE=warm       connection sharing on, warmed by one untimed run: pdsh
#                   and clush with OpenSSH's ControlMaster auto +
#                   ControlPersist; mesosctl with its ssh-mux daemon, and
#                   mesosctl through the very ControlMaster sockets ssh made
#                   for clush (ssh_config ControlPath)
#   MESOSCTL=path   use a prebuilt binary instead of building one
#   FANOUT=N        nodes at once, for every tool (default: all of them)
#   CONNECT_TIMEOUT=S  seconds for TCP connect + SSH handshake, for every
#                   tool (default 10; mesosctl's connect_timeout, ssh's
#                   ConnectTimeout); with NODES=1000 on 2 CPUs the
#                   handshakes queue behind sshd's CPU and 10 s is too short
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
MODE=${MODE:-cold}
case $MODE in cold|warm|rss) ;; *) echo "MODE must be cold, warm or rss" >&2; exit 2 ;; esac
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true   # 1,000 nodes: thousands of sockets
# addr I: node I (from 1) on SUBNET.1-250, then the next /24s.
addr() {
  local i=$1 a b c
  IFS=. read -r a b c <<< "$SUBNET"
  echo "$a.$b.$((c + (i - 1) / 250)).$(( (i - 1) % 250 + 1 ))"
}
NODE_HOME=${NODE_HOME:-stock}
CONNECT_TIMEOUT=${CONNECT_TIMEOUT:-10}
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
  echo "  connect_timeout: ${CONNECT_TIMEOUT}s"
  echo "nodes:"
} > "$T/mesosctl.yaml"
for i in $(seq 1 "$N"); do
  ip=$(addr "$i")
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
  printf '  - name: bench%04d\n    address: %s\n    ssh_port: 22\n' "$i" "$ip" >> "$T/mesosctl.yaml"
done
common="  User root
  IdentityFile $T/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $T/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout $CONNECT_TIMEOUT"
printf 'Host *\n%s\n' "$common" > "$T/ssh_config"
# mesosctl reads this one (through its configuration): no ControlPath, so
# it uses its own ssh-mux daemon.
cp "$T/ssh_config" "$T/ssh_config.mesosctl"
sed -i "s|ssh_config: .*|ssh_config: $T/ssh_config.mesosctl|" "$T/mesosctl.yaml"
if [ "$MODE" = warm ]; then
  mkdir -m 700 "$T/cm"
  printf 'Host *\n%s\n  ControlMaster auto\n  ControlPath %s/cm/%%C\n  ControlPersist 10m\n' "$common" "$T" > "$T/ssh_config"
  # The same sockets for mesosctl's third contender (ControlPath only).
  printf 'Host *\n%s\n  ControlPath %s/cm/%%C\n' "$common" "$T" > "$T/ssh_config.shared"
  sed "s|ssh_config: .*|ssh_config: $T/ssh_config.shared|" "$T/mesosctl.yaml" > "$T/mesosctl-shared.yaml"
fi

# Wait until every server accepts connections.
for i in $(seq 1 "$N"); do
  ip=$(addr "$i")
  for _ in $(seq 1 100); do
    (exec 3<>/dev/tcp/$ip/22) 2>/dev/null && break
    sleep 0.05
  done
done

BIN=${MESOSCTL:-}
if [ -z "$BIN" ]; then
  BIN=$T/mesosctl
  CGO_ENABLED=0 go build -trimpath -o "$BIN" ./cmd/mesosctl
fi
export MESOSCTL_CONFIG=$T/mesosctl.yaml
# mesosctl's ssh-mux daemon lives in (and dies with) the bench directory.
export XDG_RUNTIME_DIR=$T/run XDG_STATE_HOME=$T/state
mkdir -m 700 "$T/run"
unset SSH_AUTH_SOCK NODES
SET="bench[0001-$(printf '%04d' "$N")]"
HOSTS=""
for ((i = 1; i <= N; i += 250)); do
  a=$(addr "$i"); last=$(( N - i + 1 < 250 ? N - i + 1 : 250 ))
  HOSTS+="${HOSTS:+,}${a%.*}.[1-$last]"
done
FAN=${FANOUT:-$N}   # nodes at once, for every tool

if [ "$MODE" = cold ]; then
  TOOLS="mesosctl mesosctl_noreuse pdsh clush"
  run_mesosctl() { "$BIN" ssh-mux stop >/dev/null 2>&1; "$BIN" ex --fanout "$FAN" --progress=never "$SET" hostname; }
else
  TOOLS="mesosctl mesosctl_cm pdsh clush"
  run_mesosctl() { "$BIN" ex --fanout "$FAN" --progress=never "$SET" hostname; }
fi
run_mesosctl_noreuse() { "$BIN" ex --no-reuse --fanout "$FAN" --progress=never "$SET" hostname; }
run_mesosctl_cm() { MESOSCTL_CONFIG=$T/mesosctl-shared.yaml "$BIN" ex --fanout "$FAN" --progress=never "$SET" hostname; }
run_pdsh() { PDSH_SSH_ARGS="-F $T/ssh_config %h" pdsh -R ssh -f "$FAN" -w "$HOSTS" hostname; }
run_clush() { clush -f "$FAN" -o "-F $T/ssh_config" -w "$HOSTS" hostname; }
trap '"$BIN" ssh-mux stop >/dev/null 2>&1; for s in "$T"/cm/*; do [ -S "$s" ] && ssh -F "$T/ssh_config" -S "$s" -O exit x >/dev/null 2>&1; done; cleanup' EXIT INT TERM

if [ "$MODE" = rss ]; then
  tobytes() { numfmt --from=iec "$1"; }
  # BASELINE=path: the same rows for another binary too (e.g. main's), run
  # alternately with this one so that both see the same load.
  BINS=("$BIN"); LABELS=(this)
  if [ -n "${BASELINE:-}" ]; then BINS=("$BASELINE" "$BIN"); LABELS=(baseline this); fi
  printf '\n%d nodes, each printing SIZE bytes of text (yes | head -c), output to /dev/null (%d CPUs, load %s at start, %s now)\n' \
    "$N" "$(nproc)" "$LOAD_START" "$(cut -d' ' -f1 /proc/loadavg)"
  printf 'peak RSS (VmHWM) of mesosctl and of its ssh-mux daemon (started afresh for each row)\n'
  printf '%-9s %-12s %6s %10s %8s %12s %11s %12s %6s\n' binary mode SIZE "total MB" "wall s" "mesosctl MB" "ssh-mux MB" "ssh-mux CPU" load
  IFS=, read -ra RSS_MODE_LIST <<< "${RSS_MODES:-default,-s,-b,-o json,--no-reuse}"
  for mode in "${RSS_MODE_LIST[@]}"; do
    for size in ${SIZES:-1M 50M}; do
      b=$(tobytes "$size")
      for k in "${!BINS[@]}"; do
        bin=${BINS[$k]}
        "$bin" ssh-mux stop >/dev/null 2>&1
        args=$mode; [ "$mode" = default ] && args=
        # shellcheck disable=SC2086 # $args is zero, one or two words
        /usr/bin/time -o "$T/rss.time" -f '%e %M' "$bin" ex $args --fanout "$FAN" --progress=never "$SET" \
          "yes 'mesosctl output line 0123456789 abcdefghijklmnopqrstuvwxyz' | head -c $b" >/dev/null 2>"$T/rss.err" || {
          echo "mesosctl ex $mode failed:" >&2; tail -5 "$T/rss.err" >&2; exit 1; }
        read -r wall rss < "$T/rss.time"
        mux=- muxcpu=-
        pid=$("$bin" ssh-mux status -o json 2>/dev/null | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
        if [ -n "$pid" ]; then
          mux=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$pid/status")
          read -r -a f < "/proc/$pid/stat"
          muxcpu=$(echo "(${f[13]} + ${f[14]}) / $(getconf CLK_TCK)" | bc -l | xargs printf '%.2f')
        fi
        printf '%-9s %-12s %6s %10.0f %8.2f %12.0f %11s %12s %6s\n' "${LABELS[$k]}" "$mode" "$size" "$(echo "$b * $N / 1000000" | bc -l)" "$wall" \
          "$(echo "$rss / 1024" | bc -l)" "$mux" "$muxcpu" "$(cut -d' ' -f1 /proc/loadavg)"
      done
    done
  done
  "$BIN" ssh-mux stop >/dev/null 2>&1
  exit 0
fi

# Correctness first (and, with MODE=warm, the warm-up): every tool must
# reach every node.
# The first run's wall time is kept: with MODE=warm it is each tool's cold
# run, the one that opens the connections later runs share.
declare -A FIRST
for t in $TOOLS; do
  s0=$(date +%s.%N)
  lines=$("run_$t" 2>"$T/$t.err" | grep -c "$(hostname)" || true)
  FIRST[$t]=$(echo "$(date +%s.%N) - $s0" | bc -l)
  if [ "$lines" != "$N" ]; then
    echo "$t reached $lines of $N nodes:" >&2; head -5 "$T/$t.err" >&2; exit 1
  fi
done

# sshd CPU: for each listener, the user+sys ticks of every process in its
# tree plus what the live ones have reaped from their children (a
# connection's sshd, privsep children, shell and command), so that
# connections kept open (ControlPersist, ssh-mux) are counted too.
TICK=$(getconf CLK_TCK)
tree_ticks() {
  local p=$1 f k s=0
  read -r -a f < "/proc/$p/stat" 2>/dev/null || { echo 0; return; }
  # fields after the ")" of comm: utime is field 14 of the whole line
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
# settle waits (untimed, at most 5s) until the connections of the last
# run have gone (cold) or gone idle, so their CPU is counted.
settle() {
  local p _ kids
  if [ "$MODE" = warm ]; then sleep 0.3; return; fi
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
  for t in $TOOLS; do   # interleaved so drift hits all alike
    settle; before=$(sshd_ticks)
    read -r wall usr sys < <( { time "run_$t" >/dev/null 2>&1; } 2>&1 )
    settle; after=$(sshd_ticks)
    TIMES[$t]+="$wall "
    CPU[$t]+="$(echo "$usr + $sys" | bc) "
    SRV[$t]+="$(echo "($after - $before) / $TICK" | bc -l) "
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
C=$(echo "${TIMES[clush]}" | median); P=$(echo "${TIMES[pdsh]}" | median)
printf '\n%d nodes, `hostname`, %s, node home %s, median of %d runs (%d CPUs, load %s at start, %s before the timed runs, %s after)\n' \
  "$N" "$MODE" "$NODE_HOME" "$RUNS" "$(nproc)" "$LOAD_START" "$LOAD0" "$(cut -d' ' -f1 /proc/loadavg)"
printf '%-18s %8s %13s %13s %10s %8s %8s   %s\n' tool "wall s" "client CPU s" "sshd CPU s" "sshd ms/node" "/clush" "/pdsh" "all runs (wall)"
for t in $TOOLS; do
  w=$(echo "${TIMES[$t]}" | median); srv=$(echo "${SRV[$t]}" | median)
  printf '%-18s %8.3f %13.3f %13.3f %10.1f %8.2f %8.2f   %s\n' "$t" "$w" \
    "$(echo "${CPU[$t]}" | median)" "$srv" "$(echo "$srv * 1000 / $N" | bc -l)" \
    "$(echo "$w / $C" | bc -l)" "$(echo "$w / $P" | bc -l)" "${TIMES[$t]}"
done
printf '\nfirst run (the reach check, not in the medians), wall s:'
for t in $TOOLS; do printf ' %s %.2f' "$t" "${FIRST[$t]}"; done
printf '%s\n' "$([ "$MODE" = warm ] && echo ' (cold: it opens the shared connections)' || true)"
if [ "$MODE" = warm ]; then
  printf '\ngoal (warm): mesosctl/clush <= 0.50; mesosctl = its ssh-mux daemon, mesosctl_cm = through the ControlMaster sockets ssh keeps for clush\n'
else
  printf '\ncold: mesosctl = first run, starting its ssh-mux daemon; mesosctl_noreuse = --no-reuse (new connections, no daemon)\n'
fi
printf 'floor: sshd CPU under mesosctl / %d CPUs = %.3f s\n' "$(nproc)" "$(echo "$(echo "${SRV[mesosctl]}" | median) / $(nproc)" | bc -l)"
