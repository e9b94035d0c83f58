#!/usr/bin/env bash
# Benchmark: `mesosctl nodeset` vs ClusterShell's `nodeset` expanding and
# folding 100,000 names, in one, two and three dimensions, median of N runs
# each, interleaved (both tools run alike through any drift in the load).
#
# Expand: `nodeset -e EXPR`. Fold: `nodeset -f` of the expanded names read
# from standard input (mesosctl: `nodeset -f -`). Both tools' outputs are
# compared first: the same names, and the same folded text. Each time is a
# whole command run (process start-up included), as a shell script sees it:
# wall time, and CPU time (user+sys), which a busy machine disturbs less.
#
# Needs the Debian package clustershell. Usage: scripts/bench/nodeset.sh
# [RUNS] (default 5). MESOSCTL=path uses a prebuilt binary.
# Goal (issue 19): mesosctl ≤ 0.3 × ClusterShell's time for each.
set -euo pipefail
RUNS=${1:-5}
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
cd "$(dirname "$0")/../.."
command -v nodeset >/dev/null || { echo "missing ClusterShell's nodeset: apt-get install clustershell" >&2; exit 1; }
T=$(mktemp -d /tmp/mesosctl-bench-nodeset.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM
BIN=${MESOSCTL:-}
if [ -z "$BIN" ]; then
  BIN=$T/mesosctl
  CGO_ENABLED=0 go build -trimpath -o "$BIN" ./cmd/mesosctl
fi
export MESOSCTL_CONFIG=$T/none.yaml   # no inventory: node sets need none
unset NODES

CASES=(1d 2d 3d)
declare -A EXPR=(
  [1d]='lxb[000001-100000]'
  [2d]='rack[001-100]-node[0001-1000]'
  [3d]='dc[1-4]r[01-25]n[0001-1000]'
)
for c in "${CASES[@]}"; do
  nodeset -e "${EXPR[$c]}" | tr ' ' '\n' > "$T/$c.names"
done

# Correctness first: the same names, the same folds.
for c in "${CASES[@]}"; do
  [ "$(wc -l < "$T/$c.names")" = 100000 ] || { echo "${EXPR[$c]}: not 100000 names" >&2; exit 1; }
  cmp -s <("$BIN" nodeset -e "${EXPR[$c]}" | tr ' ' '\n') "$T/$c.names" ||
    { echo "expand ${EXPR[$c]}: mesosctl and nodeset differ" >&2; exit 1; }
  ours=$("$BIN" nodeset -f - < "$T/$c.names"); theirs=$(nodeset -f < "$T/$c.names")
  [ "$ours" = "$theirs" ] && [ "$ours" = "${EXPR[$c]}" ] ||
    { echo "fold of ${EXPR[$c]}: mesosctl '$ours', nodeset '$theirs'" >&2; exit 1; }
done

run() { # tool op case
  case $1.$2 in
  mesosctl.expand) "$BIN" nodeset -e "${EXPR[$3]}" ;;
  mesosctl.fold) "$BIN" nodeset -f - < "$T/$3.names" ;;
  clustershell.expand) nodeset -e "${EXPR[$3]}" ;;
  clustershell.fold) nodeset -f < "$T/$3.names" ;;
  esac
}
declare -A TIMES CPU
TIMEFORMAT='%R %U %S'
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
for _ in $(seq 1 "$RUNS"); do
  for c in "${CASES[@]}"; do
    for op in expand fold; do
      for tool in mesosctl clustershell; do
        read -r wall usr sys < <( { time run "$tool" "$op" "$c" >/dev/null; } 2>&1 )
        TIMES[$tool.$op.$c]+="$wall "
        CPU[$tool.$op.$c]+="$(echo "$usr + $sys" | bc) "
      done
    done
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

printf '\n100,000 names, median of %d runs, %d CPUs; load average %s at start, %s before the timed runs, %s after\n' \
  "$RUNS" "$(nproc)" "$LOAD_START" "$LOAD0" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-7s %-30s %21s %21s %13s\n' "" "" "mesosctl s" "ClusterShell s" "ratio"
printf '%-7s %-30s %10s %10s %10s %10s %6s %6s\n' op "node set" wall CPU wall CPU wall CPU
worst=0 worstcpu=0
for op in expand fold; do
  for c in "${CASES[@]}"; do
    m=$(echo "${TIMES[mesosctl.$op.$c]}" | median); n=$(echo "${TIMES[clustershell.$op.$c]}" | median)
    mc=$(echo "${CPU[mesosctl.$op.$c]}" | median); nc=$(echo "${CPU[clustershell.$op.$c]}" | median)
    r=$(echo "$m / $n" | bc -l); rc=$(echo "$mc / $nc" | bc -l)
    worst=$(echo "if ($r > $worst) $r else $worst" | bc -l)
    worstcpu=$(echo "if ($rc > $worstcpu) $rc else $worstcpu" | bc -l)
    printf '%-7s %-30s %10.3f %10.3f %10.3f %10.3f %6.2f %6.2f\n' "$op" "${EXPR[$c]}" "$m" "$mc" "$n" "$nc" "$r" "$rc"
  done
done
printf '\nworst mesosctl/ClusterShell: wall %.2f, CPU %.2f (goal: <= 0.30)\n' "$worst" "$worstcpu"
