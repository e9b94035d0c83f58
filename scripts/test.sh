#!/usr/bin/env bash
# The whole test suite, as CI runs it (README: "make test").
# Installs what the tests need, checks formatting and vet, then runs every
# test with the race detector: unit tests, and end-to-end tests against real
# sshd, ZooKeeper, agentd and the kernel's cgroups and namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export CI="${CI:-}"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt: these files need formatting:" >&2; echo "$unformatted" >&2; exit 1
fi
go vet ./...
go test -race -count=1 -timeout 60m ./... 2>&1 | tee /tmp/mesosctl-test.log
# e2e/mesosgo is a module of its own (mesos-go stays out of go.mod): a real
# Mesos client against agentd.
(cd e2e/mesosgo && go vet ./... && go test -race -count=1 -timeout 20m ./...) 2>&1 | tee -a /tmp/mesosctl-test.log
