#!/usr/bin/env bash
# The whole test suite, as CI runs it (README: "make test").
# Installs what the tests need, checks formatting and vet, then runs every
# test with the race detector: unit tests, and end-to-end tests against real
# sshd, ZooKeeper, agentd and the kernel's cgroups and namespaces; then
# fails if the tests left anything in /tmp, /run or the cgroups.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export CI="${CI:-}"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt: these files need formatting:" >&2; echo "$unformatted" >&2; exit 1
fi
go vet ./...
# What the tests create must be gone at the end (scripts/leftovers.sh): a
# snapshot of /tmp, /run and the cgroups now, compared after the run.
snap=$(mktemp -d /var/tmp/mesosctl-test-snapshot.XXXXXX)
trap 'rm -rf "$snap"' EXIT
bash scripts/leftovers.sh snapshot "$snap"
rc=0
# TEST_LOG=FILE keeps a copy of the output.
if [ -n "${TEST_LOG:-}" ]; then
  go test -race -count=1 -timeout 60m ./... 2>&1 | tee "$TEST_LOG" || rc=$?
else
  go test -race -count=1 -timeout 60m ./... || rc=$?
fi
# e2e/mesosgo is a module of its own (mesos-go stays out of go.mod): a real
# Mesos client against agentd.
if [ -n "${TEST_LOG:-}" ]; then
  (cd e2e/mesosgo && go vet ./... && go test -race -count=1 -timeout 20m ./...) 2>&1 | tee -a "$TEST_LOG" || rc=$?
else
  (cd e2e/mesosgo && go vet ./... && go test -race -count=1 -timeout 20m ./...) || rc=$?
fi
bash scripts/leftovers.sh check "$snap" || rc=1
exit "$rc"
