#!/bin/sh
# Compresses the committed man pages (docs/man/*.1, from `make docs`) into
# build/man/*.1.gz for the packages (goreleaser's before hook). gzip -n keeps
# no name or time stamp, so the output is reproducible.
set -eu
cd "$(dirname "$0")/.."
out=${1:-build/man}
rm -rf "$out"
mkdir -p "$out"
for page in docs/man/*.1; do
	gzip -9 -n -c "$page" >"$out/$(basename "$page").gz"
done
