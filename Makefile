# mesosctl — build, test and demo targets. `make help` lists them.
GO       ?= go
PKG      := github.com/mesosctl/mesosctl
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)
DATE     ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS  := -X $(PKG)/internal/build.Version=$(VERSION) -X $(PKG)/internal/build.Commit=$(COMMIT) -X $(PKG)/internal/build.Date=$(DATE)
BIN      := bin/mesosctl

.PHONY: help build testcluster test unit lint deps completions docs demo demo-down clean release-check release-snapshot

help: ## list targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build bin/mesosctl (static, CGO off): the release binary
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/mesosctl

testcluster: ## build bin/mesosctl-testcluster, the test cluster harness (demo, scripts/cluster.sh; not released)
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/mesosctl-testcluster ./cmd/mesosctl-testcluster

deps: ## install the Debian packages the tests and demo use (needs root)
	bash scripts/install-deps.sh

test: ## the whole test suite: installs dependencies, vet, gofmt, go test -race (unit + end-to-end)
	bash scripts/test.sh

unit: ## fast tests only: no sshd, ZooKeeper, dockerd, test cluster, cgroups, containers or packaging (scripts/unit.sh)
	GO=$(GO) bash scripts/unit.sh

lint: ## gofmt and go vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt: files above need formatting'; exit 1; }
	$(GO) vet ./...

completions: ## regenerate completions/ from the command tree
	$(GO) run ./cmd/mesosctl completion bash > completions/mesosctl.bash
	$(GO) run ./cmd/mesosctl completion zsh > completions/_mesosctl
	$(GO) run ./cmd/mesosctl completion fish > completions/mesosctl.fish
	$(GO) run ./cmd/mesosctl completion powershell > completions/mesosctl.ps1

docs: completions ## regenerate every generated doc: docs/cli/*.md, docs/man/*.1, completions/ and the package map in docs/architecture.md
	$(GO) run ./cmd/gen-docs

GORELEASER := github.com/goreleaser/goreleaser/v2@v2.15.1

release-check: ## validate goreleaser.yaml (goreleaser is run with go run, not a module dependency)
	$(GO) run $(GORELEASER) check -f goreleaser.yaml

# goreleaser discards all its git data (commit, dates) when the clone has no
# remote; an origin given through the environment (not written to .git/config)
# keeps it.
GIT_ORIGIN := GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.url GIT_CONFIG_VALUE_0=https://github.com/mesosctl/mesosctl.git

release-snapshot: docs ## build the release archives and .deb/.rpm packages locally into dist/ (no publishing)
	$(if $(shell git remote),,$(GIT_ORIGIN)) $(GO) run $(GORELEASER) release -f goreleaser.yaml --snapshot --clean

demo: ## on a fresh machine: install deps, start a 4-node cluster, walk through the operator workflows
	bash scripts/demo.sh

demo-down: ## tear the demo cluster down
	bash scripts/demo.sh down

clean: ## remove build output
	rm -rf bin dist
