#!/usr/bin/env bash
# Start, stop or inspect the multi-node test cluster on this machine
# (see docs/testcluster.md) with bin/mesosctl-testcluster. Builds it and
# bin/mesosctl (the nodes' agent) if needed. Needs root.
#
#   scripts/cluster.sh up [--nodes N] [--dir D] [--subnet 127.0.1] [--no-agent]
#   scripts/cluster.sh status [--dir D]
#   scripts/cluster.sh down [--dir D]
#   scripts/cluster.sh env [--dir D]            # export MESOSCTL_CONFIG=…
#   scripts/cluster.sh ssh lxb001 [command]     # ssh -F <dir>/ssh_config …
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "cluster.sh: the test cluster needs root (namespaces, mounts, sshd on port 22): sudo $0 $*" >&2
  exit 1
fi
for b in mesosctl mesosctl-testcluster; do
  if [ ! -x bin/$b ] || [ -n "$(find cmd internal -name '*.go' -newer bin/$b -print -quit)" ]; then
    make -s build testcluster
    break
  fi
done
verb=$1; shift
case "$verb" in
  ssh)
    dir=${CLUSTER_DIR:-/tmp/mesosctl-cluster}
    exec ssh -F "$dir/ssh_config" "$@" ;;
  up|down|status|env)
    exec bin/mesosctl-testcluster "$verb" "$@" ;;
  *)
    echo "cluster.sh: unknown verb '$verb': use up, down, status, env or ssh" >&2
    exit 2 ;;
esac
