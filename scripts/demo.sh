#!/usr/bin/env bash
# make demo: on a fresh machine, install what is needed, build mesosctl, bring
# up a 4-node test cluster (lxb001…lxb004, see docs/testcluster.md) and walk
# through the five seed workflows, printing each command as `$ cmd` and its
# output as an operator sees it. The cluster stays up afterwards to play
# with; `make demo-down` (scripts/demo.sh down) or Ctrl-C tears it down.
#
# To add a step: call `run '<command>'` (printed, then run in this shell,
# where `ssh` means `ssh -F <cluster>/ssh_config`), and guard commands that
# may not exist yet with `if has agent ps; then …`.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${CLUSTER_DIR:-/tmp/mesosctl-cluster}
SUBNET=${CLUSTER_SUBNET:-127.0.1}
# CLUSTER_AGENT_EXE: run another agent binary as /usr/sbin/mesos-slave.

if [ "$(id -u)" -ne 0 ]; then
  echo "demo: needs root (namespaces, mounts, sshd on port 22): sudo make demo" >&2
  exit 1
fi
export PATH="$PWD/bin:$PATH:/usr/local/go/bin"

if [ "${1:-}" = down ]; then
  if [ -f "$DIR/cluster.json" ]; then
    [ -x bin/mesosctl-testcluster ] || make -s testcluster
    mesosctl-testcluster down --dir "$DIR"
  else
    echo "demo: no cluster in $DIR, nothing to tear down"
  fi
  exit 0
fi

bash scripts/install-deps.sh
if ! command -v go >/dev/null; then
  echo "demo: Go is needed to build mesosctl: install Go 1.26 (https://go.dev/dl/) into /usr/local/go" >&2
  exit 1
fi
make -s build testcluster

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then B=$'\e[1m'; D=$'\e[2m'; R=$'\e[0m'; else B= D= R=; fi
step() { printf '\n%s## %s%s\n' "$B" "$*" "$R"; }
note() { printf '%s# %s%s\n' "$D" "$*" "$R"; }
run() { printf '%s$ %s%s\n' "$B" "$1" "$R"; eval "$1"; }
# has CMD...: true when `mesosctl CMD...` exists in this build.
has() { mesosctl "$@" --help 2>/dev/null | sed -n '/^Usage:/{n;p;q;}' | grep -q "^ *mesosctl $* "; }
ssh() { command ssh -F "$DIR/ssh_config" "$@"; }
ip() { echo "$SUBNET.${1#lxb00}"; }
wait_agent() { # node: wait until its /state answers again after a restart
  for _ in $(seq 200); do curl -sf "http://$(ip "$1"):5051/state" >/dev/null && return 0; sleep 0.1; done
  echo "demo: the agent on $1 did not come back; see $DIR/$1/var-log-mesos/" >&2; return 1
}

if [ -f "$DIR/cluster.json" ]; then
  note "a cluster from an earlier run is in $DIR: tearing it down first"
  mesosctl-testcluster down --dir "$DIR"
fi
# Ctrl-C or a failing step tears the cluster down; a finished demo leaves it
# up. (mesosctl exits 130 on Ctrl-C itself, so bash may not see SIGINT: the
# EXIT trap covers that case.)
finished=
cleanup() {
  if [ -z "$finished" ] && [ -f "$DIR/cluster.json" ]; then
    echo; echo "demo: stopped before the end, tearing the cluster down"
    mesosctl-testcluster down --dir "$DIR"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "A 4-node cluster on this machine: namespaces lxb001…lxb004, sshd, agent and Docker engine on each, ZooKeeper"
run "mesosctl-testcluster up --dir $DIR --subnet $SUBNET --docker${CLUSTER_AGENT_EXE:+ --agent-exe $CLUSTER_AGENT_EXE}"
export MESOSCTL_CONFIG="$DIR/config.yaml"
run "export MESOSCTL_CONFIG=$DIR/config.yaml"
if has nodes; then run "mesosctl nodes"; fi
run "ssh lxb003 'hostname; ls /etc/mesos-slave /var/lib/mesos'"
if has ex; then run "mesosctl ex lxb00[1-4] hostname"; fi

step "1. Show the running agent daemon with its arguments"
run "ssh lxb001 'ps -eo pid,args | grep [m]esos-slave'"
if has agent ps; then run "mesosctl agent ps lxb00[1-4]"; fi

step "2. Resources and attributes from /state, through jq"
run "curl -s http://$(ip lxb001):5051/state | jq '{resources,attributes}'"
if has agent state; then run "mesosctl agent state lxb001 --jq '{resources,attributes}'"; fi

step "3. Configure resources and attributes by files in /etc/mesos-slave, clear latest, restart"
run "ssh lxb001 \"echo 'cpus:24;mem:122880;disk:921600;ports:[21000-29000]' > /etc/mesos-slave/resources\""
run "ssh lxb001 \"echo 'os:centos7;rack:3' > /etc/mesos-slave/attributes\""
run "ssh lxb001 'rm -rf /var/lib/mesos/meta/slaves/latest'"
run "ssh lxb001 'systemctl restart mesos-slave'"
wait_agent lxb001
run "curl -s http://$(ip lxb001):5051/state | jq '{resources,attributes}'"

step "4. Containerizers mesos,docker on lxb00[1-4], read back from .flags.containerizers"
if has ex; then
  run "mesosctl ex lxb00[1-4] 'echo mesos,docker > /etc/mesos-slave/containerizers && systemctl restart mesos-slave'"
else
  run "for n in lxb00{1..4}; do ssh \$n 'echo mesos,docker > /etc/mesos-slave/containerizers && systemctl restart mesos-slave'; done"
fi
for n in lxb001 lxb002 lxb003 lxb004; do wait_agent $n; done
run "for n in 1 2 3 4; do curl -s http://$SUBNET.\$n:5051/state | jq -r .flags.containerizers; done"
if has agent state; then run "mesosctl agent state lxb00[1-4] --jq .flags.containerizers"; fi

step "5. Submit a task (sleep), find its agent, show agent → containerizer → executor → sh -c → sleep"
if has exec; then
  run 'id=$(mesosctl exec --detach --name sleep --command "echo sleep... ; sleep 300")'
  run 'mesosctl tasks --state running'
  run 'node=$(mesosctl tasks --state running --jq ".[] | select(.id==\"$id\") | .node" -r)'
  if has tree; then
    run 'mesosctl tree "$node"'
  fi
  run 'ssh "$node" "ps -A --forest -o pid,args | grep mesos-slave -A6"'
  run 'mesosctl task kill "$id"'
else
  note "not in this build yet: mesosctl exec (mesos-execute); this step runs once it lands"
fi

finished=1
printf '\n%sThe cluster keeps running.%s Try:\n  export MESOSCTL_CONFIG=%s\n  ssh -F %s lxb002\n  make demo-down      # or: sudo bin/mesosctl-testcluster down --dir %s\n' \
  "$B" "$R" "$DIR/config.yaml" "$DIR/ssh_config" "$DIR"
