#!/usr/bin/env bash
# make unit: the fast tests. `go test -short` over every package except those
# whose tests start sshd, ZooKeeper, dockerd or a test cluster (they import
# one of the harnesses below, or are one); in the remaining packages, the tests that
# build and run agentd, launch containers, write cgroups, create users or run
# goreleaser skip themselves under -short. The whole suite is `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
GO="${GO:-go}"
harness='internal/(testcluster|testutil/sshd|testutil/zookeeper|testutil/dockerd|zkserver)$'
pkgs=$("$GO" list -f '{{.ImportPath}} {{join .Imports " "}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... |
  awk -v h="$harness" '{ for (i = 1; i <= NF; i++) if ($i ~ h) next; print $1 }')
exec "$GO" test -short "$@" $pkgs
