#!/usr/bin/env bash
# Leftover check for `make test` (scripts/test.sh): everything the tests
# create must be gone when they end.
#
#   leftovers.sh snapshot DIR   record what is in /tmp, /run and the cgroup
#                               hierarchies now (DIR must be outside /tmp)
#   leftovers.sh check DIR      list what is there now and was not then;
#                               exit 1 if anything is
#
# What legitimately changes while the suite runs is left out: go's own
# temporary build dirs (/tmp/go-build*, removed by go when it exits), and
# the cgroups systemd creates and removes for its services and sessions
# (system.slice, user.slice, machine.slice, init.scope). Everything else
# that is new (a test's temp dir, a dockerd test engine's
# /tmp/mesosctl-dockerd-*, a cluster's dir, a pid file under /run, a
# cgroup under mesos/, docker/ or a test's cgroups root) is a leftover.
set -euo pipefail
mode=${1:-}; dir=${2:-}
if [ -z "$mode" ] || [ -z "$dir" ]; then
  echo "usage: leftovers.sh snapshot|check DIR" >&2; exit 2
fi

list() {
  find /tmp /run -mindepth 1 -maxdepth 1 ! -name 'go-build*' 2>/dev/null
  find /sys/fs/cgroup -mindepth 1 -maxdepth 5 -type d 2>/dev/null |
    grep -Ev '/(system\.slice|user\.slice|machine\.slice|init\.scope)(/|$)' || true
}

case "$mode" in
snapshot)
  case "$dir" in /tmp|/tmp/*) echo "leftovers.sh: keep the snapshot outside /tmp" >&2; exit 2;; esac
  mkdir -p "$dir"
  list | sort >"$dir/before"
  ;;
check)
  list | sort >"$dir/after"
  new=$(comm -13 "$dir/before" "$dir/after")
  if [ -n "$new" ]; then
    echo "leftovers: the tests left these behind (not there before make test):" >&2
    while IFS= read -r path; do
      printf '  %s  (%s)\n' "$path" "$(stat -c '%U, %y' "$path" 2>/dev/null || echo gone)" >&2
    done <<<"$new"
    echo "leftovers: remove them in the test that creates them (t.TempDir, t.Cleanup); on a shared" >&2
    echo "machine, files other users created in /tmp meanwhile show up here too" >&2
    exit 1
  fi
  echo "leftovers: nothing new in /tmp, /run or the cgroups"
  ;;
*)
  echo "usage: leftovers.sh snapshot|check DIR" >&2; exit 2
  ;;
esac
