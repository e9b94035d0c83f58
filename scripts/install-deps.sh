#!/usr/bin/env bash
# Installs the Debian packages mesosctl's tests and demo use: OpenSSH (real
# sshd for the multi-node cluster), ZooKeeper (real server), jq (to check
# /state compatibility), pdsh and clustershell (the peers in benchmarks),
# procps/psmisc (ps, pstree), sudo, bash-completion (completion script
# tests), curl (demo and e2e read /state as an operator does), systemd
# (systemd-analyze verify of the packaged unit). Idempotent;
# needs root.
set -euo pipefail
pkgs=(openssh-server openssh-client zookeeper jq pdsh clustershell procps psmisc iproute2 sudo util-linux bash-completion curl systemd)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
