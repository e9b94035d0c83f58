#!/usr/bin/env bash
# make demo: on a fresh machine, install what is needed, build mesosctl, bring
# up a 4-node test cluster (lxb001…lxb004, see docs/testcluster.md) and walk
# through the five seed workflows and a Docker task, printing each command as `$ cmd` and its
# output as an operator sees it. The cluster stays up afterwards to play
# with; `make demo-down` (scripts/demo.sh down) or Ctrl-C tears it down.
#
# To add a step: call `run '<command>' [exit status]` (printed, then run in
# this shell, where `ssh` means `ssh -F <cluster>/ssh_config`; any other
# exit status stops the demo).
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
# run COMMAND [STATUS]: print it, run it in this shell, and stop the demo
# unless it exits STATUS (default 0).
run() {
  printf '%s$ %s%s\n' "$B" "$1" "$R"
  local rc=0
  eval "$1" || rc=$?
  if [ "$rc" -ne "${2:-0}" ]; then
    echo "demo: '$1' exited $rc (expected ${2:-0})" >&2
    exit 1
  fi
}
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
run "export MESOSCTL_CONFIG=$DIR/config.yaml"
run "mesosctl nodes"
run "mesosctl agents"
run "ssh lxb003 'hostname; ls /etc/mesos-slave /var/lib/mesos'"
run "mesosctl ex lxb00[1-4] hostname"

step "1. Show the running agent daemon with its arguments"
run "ssh lxb001 'ps -eo pid,args | grep [m]esos-slave'"
note "with mesosctl, on every node:"
run "mesosctl agent ps lxb00[1-4]"

step "2. Resources and attributes from /state, through jq"
run "curl -s http://$(ip lxb001):5051/state | jq '{resources,attributes}'"
run "mesosctl agent state lxb001 --jq '{resources,attributes}'"

step "3. Configure resources and attributes by files in /etc/mesos-slave, clear latest, restart"
note "by hand on lxb001, as the runbook says:"
run "ssh lxb001 \"echo 'cpus:24;mem:122880;disk:921600;ports:[21000-29000]' > /etc/mesos-slave/resources\""
run "ssh lxb001 \"echo 'os:centos7;rack:3' > /etc/mesos-slave/attributes\""
run "ssh lxb001 'rm -rf /var/lib/mesos/meta/slaves/latest'"
run "ssh lxb001 'systemctl restart mesos-slave'"
wait_agent lxb001
run "curl -s http://$(ip lxb001):5051/state | jq '{resources,attributes}'"
note "the same change on lxb002 with mesosctl's verbs: the plan first, then the change,"
note "verified in /state; clearing latest is refused while tasks run (unless --drain or --force)"
run "mesosctl agent set-resources lxb002 'cpus:24;mem:122880;disk:921600;ports:[21000-29000]' --dry-run"
run "mesosctl agent set-resources lxb002 'cpus:24;mem:122880;disk:921600;ports:[21000-29000]'"
note "attributes change live on agentd: same agent ID, no restart"
run "mesosctl agent set-attributes lxb002 os:centos7 rack:3"
run "mesosctl agent state lxb002 --jq '{resources,attributes}'"

step "4. Containerizers mesos,docker on lxb00[1-4], read back from .flags.containerizers"
note "by hand on lxb001 and lxb002:"
run "for n in lxb001 lxb002; do ssh \$n 'echo mesos,docker > /etc/mesos-slave/containerizers && systemctl restart mesos-slave'; done"
note "with mesosctl on lxb003 and lxb004 (written, restarted, verified):"
run "mesosctl agent set-containerizers lxb00[3-4] mesos,docker"
for n in lxb001 lxb002 lxb003 lxb004; do wait_agent $n; done
run "for n in 1 2 3 4; do curl -s http://$SUBNET.\$n:5051/state | jq -r .flags.containerizers; done"
run "mesosctl agent flags lxb00[1-4] containerizers"

step "5. Submit a task (sleep), find its agent, show agent → containerizer → executor → sh -c → sleep"
run 'id=$(mesosctl exec --detach --name sleep --command "echo sleep... ; sleep 300")'
run 'mesosctl tasks --state running'
run 'node=$(mesosctl tasks --state running --jq ".[] | select(.id==\"$id\") | .node" -r)'
run 'mesosctl tree "$node"'
note "kill it and wait for the end: TASK_KILLED is exit status 137, as mesos-execute reports it"
run 'mesosctl task kill --wait "$id"' 137

step "6. A Docker task on the mesos,docker agents: its image, its container's processes, its logs"
note "each node runs its own Docker engine (loopback only; the image was imported, never pulled)"
run 'id=$(mesosctl exec --detach --name web --containerizer docker --docker_image mesosctl-test/busybox --resources "cpus:0.5;mem:64" --command "echo serving from \$MESOS_SANDBOX; exec sleep 300")'
run 'mesosctl tasks --state running'
run 'node=$(mesosctl tasks --state running --jq ".[] | select(.id==\"$id\") | .node" -r)'
note "the container's processes hang under containerd's shim, not under the executor: tree joins them"
run 'mesosctl tree "$node" "$id"'
run 'ssh "$node" "docker ps --filter name=mesos- --format \"{{.Names}} {{.Image}} {{.Status}}\""'
run 'mesosctl task logs "$id"'
run 'mesosctl task kill --wait "$id"' 137
note "a missing image: the pull fails (no registry is reachable) and says so"
run 'mesosctl exec --name nopull --containerizer docker --docker_image mesosctl-test/absent --command true' 1

finished=1
printf '\n%sThe cluster keeps running.%s In another shell:\n  export PATH=%s:$PATH\n  export MESOSCTL_CONFIG=%s\n  mesosctl agents\n  ssh -F %s lxb002\n  make demo-down      # or: mesosctl-testcluster down --dir %s\n' \
  "$B" "$R" "$PWD/bin" "$DIR/config.yaml" "$DIR/ssh_config" "$DIR"
