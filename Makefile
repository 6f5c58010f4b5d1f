# kubectl-stack: build, test, lint, and the demo. `make help` lists the
# targets from the `## target: what it does` lines below.
SHELL := /usr/bin/env bash
MODULE  := github.com/kubectl-stack/kubectl-stack
VERSION ?= $(shell git describe --tags --match 'v*' 2>/dev/null || echo v0.0.0-dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X $(MODULE)/pkg/version.Version=$(VERSION) -X $(MODULE)/pkg/version.Commit=$(COMMIT)

.PHONY: build install help test test-kind unit lint demo demo-down binaries cluster-up cluster-down release bench

## build: the plugin into bin/: kubectl-stack and the kubectl_stack-verbs it runs
build:
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o bin/ ./cmd/...

## install: the plugin (both binaries) into $(go env GOPATH)/bin, where kubectl
## finds it on PATH
install:
	CGO_ENABLED=0 go install -trimpath -ldflags '$(LDFLAGS)' ./cmd/...

## help: this list
help:
	@awk '/^## [a-z-]+:/ { sub(/^## /, ""); name = $$1; sub(/:$$/, "", name); sub(/^[a-z-]+: /, ""); \
	       printf "%s  %-13s%s", sep, name, $$0; sep = "\n"; next } \
	     /^## / { sub(/^## /, ""); printf " %s", $$0 } END { print "" }' $(MAKEFILE_LIST)

## demo: bring up a cluster (kind when Docker is there, else hack/'s local
## node), apply overlays/dev, show the stack (needs root)
demo:
	hack/demo.sh

## demo-down: stop the cluster demo started; the database's data stays
demo-down:
	hack/demo.sh down

## test: lint, then unit, API-server and end-to-end tests on the local node,
## then the demo's end-to-end steps on kind (needs root)
test: lint
	hack/test.sh

## test-kind: the end-to-end tests on a kind cluster of three nodes (Docker
## started and the node image built here when needed; needs root)
test-kind:
	hack/kind/test.sh

## unit: every test that needs no cluster (the API-server and end-to-end
## packages carry the build tags integration and e2e)
unit:
	go test -count=1 ./...

## lint: gofmt, go vet, and shellcheck on every shell script
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet -tags e2e,integration ./...
	@hack/install-deps.sh lint
	shellcheck -x $$(git ls-files '*.sh') .ci/run

## binaries: everything hack/ runs, built from the Go module proxy (cached)
binaries:
	@hack/build-binaries.sh node

## cluster-up: hack/'s local cluster, one real node; prints its kubeconfig
## (needs root)
cluster-up:
	hack/local/up.sh

## cluster-down: remove hack/'s local cluster; the database's data stays
cluster-down:
	hack/local/down.sh

## release: reproducible archives for every platform, the images' OCI archive
## (linux/amd64, linux/arm64), their sha256 and the krew manifest in dist/
## (VERSION=vX.Y.Z); the manifest and the prod kustomizations pinned to the
## images' digests copied into the tree
release:
	go run ./hack/release --version $(VERSION) --out dist
	cp dist/krew-manifest.yaml krew-manifest.yaml
	cp dist/pinned/overlays/prod/kustomization.yaml overlays/prod/kustomization.yaml
	cp dist/pinned/params/prod/kustomization.yaml params/prod/kustomization.yaml

## bench: every benchmark against what users would otherwise run, one table
## (docs/benchmarks.md) and a chart (docs/benchmarks.png); needs root
bench:
	hack/bench/run.sh
