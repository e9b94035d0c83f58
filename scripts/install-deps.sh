#!/usr/bin/env bash
# Installs the Debian packages mesosctl's tests and demo use: OpenSSH (real
# sshd for the multi-node cluster), ZooKeeper (real server), jq (to check
# /state compatibility), pdsh and clustershell (the peers in benchmarks),
# procps/psmisc (ps, pstree), sudo, bash-completion (completion script
# tests), curl (demo and e2e read /state as an operator does), systemd
# (systemd-analyze verify of the packaged unit), docker.io (the real Docker
# engine of the Docker containerizer's tests; internal/testutil/dockerd
# starts its own dockerd), busybox-static (the root filesystem of the
# test images, built with docker import: no registry is ever contacted) and
# protobuf-compiler (protoc: a test checks that the generated protobuf code of
# agentd's v1 API is current).
# Idempotent; needs root.
#
# The packages' maintainer scripts must not start the stock services: the
# stock dockerd would create the docker0 bridge on a private-range address
# and rewrite iptables. While installing, a policy-rc.d that refuses every
# start (exit 101, as in Debian's invoke-rc.d policy interface) stands in
# for any existing one, which is put back afterwards.
set -euo pipefail
pkgs=(openssh-server openssh-sftp-server openssh-client zookeeper jq pdsh clustershell procps psmisc iproute2 sudo util-linux bash-completion curl systemd
  docker.io busybox-static protobuf-compiler)
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

policy=/usr/sbin/policy-rc.d
saved=""
restore_policy() {
  if [ -n "$saved" ]; then
    mv -f "$saved" "$policy"
  else
    rm -f "$policy"
  fi
}
if [ -e "$policy" ] || [ -L "$policy" ]; then
  saved=$(mktemp "$policy.install-deps.XXXXXX")
  cp -a "$policy" "$saved"
fi
trap restore_policy EXIT
printf '#!/bin/sh\n# scripts/install-deps.sh: no service starts while it installs packages\nexit 101\n' >"$policy.new"
chmod 755 "$policy.new"
mv -f "$policy.new" "$policy"

export DEBIAN_FRONTEND=noninteractive
# Other installs on the machine may hold dpkg's lock for a while: wait for it.
apt=(apt-get -o DPkg::Lock::Timeout=300)
"${apt[@]}" update -qq
"${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
