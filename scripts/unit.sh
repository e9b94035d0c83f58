#!/usr/bin/env bash
# make unit: the fast tests. `go test -short` over every package except those
# whose tests start sshd, ZooKeeper or a test cluster (they import one of the
# harnesses below, or are one) and the Docker engine harness itself; in the
# remaining packages, the tests that build and run agentd, need a Docker
# engine or CLI (dockerd.Shared, dockerd.Start, dockerd.SkipShort), launch
# containers, write cgroups, create users or run goreleaser skip themselves
# under -short. The whole suite is `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
GO="${GO:-go}"
harness='internal/(testcluster|testutil/sshd|testutil/zookeeper|zkserver)$'
pkgs=$("$GO" list -f '{{.ImportPath}} {{join .Imports " "}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... |
  awk -v h="$harness" '$1 ~ /internal\/testutil\/dockerd$/ { next } { for (i = 1; i <= NF; i++) if ($i ~ h) next; print $1 }')
exec "$GO" test -short "$@" $pkgs
