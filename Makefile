# The two commands a new machine needs: `make run` and `make test`.
# Everything else is for developers.
SHELL := bash
MODULES := platform subgraphs router tools e2e bench web
PKGS := $(foreach m,$(MODULES),./$(m)/...)
# gqlgen under the race detector takes minutes; its staleness test runs without it.
SLOW_PKGS := github.com/myshop/supergraph/tools/cmd/generate
# Deployment checks live in their own module, kept out of go.work so their
# dependencies (compose-go, kustomize, k8s API types) never move the versions
# compiled into the binaries.
DEPLOY_CHECK := cd deploy/check && GOWORK=off

.PHONY: run build test generate compose bench fuzz playground conformance-compose tidy fmt web test-e2e demo

## run: build, find or start Postgres and Redis, migrate, seed, serve everything.
run: build
	@tools/run.sh

## demo: replace the local databases with a fresh demo world of SCALE (1: the make run demo; 50: for load tests), by COPY.
SCALE ?= 1
demo:
	@source tools/services.sh && trap 'tools/services.sh stop' EXIT && \
	  go run ./tools/cmd/demogen -scale $(SCALE) -reset

## build: every binary into bin/.
build:
	@mkdir -p bin
	go build -o bin/ ./tools/cmd/devstack ./router/cmd/router ./subgraphs/cmd/...

## test: every test, with -race, against real Postgres and Redis.
test:
	@source tools/services.sh && trap 'tools/services.sh stop' EXIT && \
	  go vet $(PKGS) && \
	  go test -race -count=1 $$(go list $(PKGS) | grep -v -x -F '$(SLOW_PKGS)') && \
	  go test -count=1 $(SLOW_PKGS) && \
	  ($(DEPLOY_CHECK) go vet ./... && GOWORK=off go test -race -count=1 ./...)

## generate: gqlgen code for every subgraph, then the supergraph.
generate:
	go run ./tools/cmd/generate
	$(MAKE) compose

## compose: schema/*/ → schema/supergraph.graphql.
compose:
	go run ./router/cmd/router compose -config schema/subgraphs.json -out schema/supergraph.graphql
	cp schema/supergraph.graphql deploy/k8s/base/supergraph.graphql

## bench: router against the subgraphs, ratios in one run.
bench:
	@source tools/services.sh && trap 'tools/services.sh stop' EXIT && \
	  go test -run '^$$' -bench . -benchmem -count=1 ./bench/... ./router/... ./subgraphs/... ./tools/cmd/demogen/

## fuzz: each fuzz target for FUZZTIME (the seeds also run in make test).
FUZZTIME ?= 60s
fuzz:
	cd router && go test -run '^$$' -fuzz '^FuzzGraphQLHandler$$' -fuzztime $(FUZZTIME) ./server/
	cd router && go test -run '^$$' -fuzz '^FuzzPrepare$$' -fuzztime $(FUZZTIME) ./gateway/
	cd platform && go test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime $(FUZZTIME) ./auth/
	cd subgraphs && go test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime $(FUZZTIME) ./platform/webhook/

## playground: rebuild the router's embedded GraphiQL from npm (output is checked in; CI needs no Node).
playground:
	cd router/playground && npm ci && npm run build

## web: rebuild the storefront demo SPA (web/dist, served at /shop) from npm (output is checked in; CI needs no Node).
web:
	cd web && npm ci && npm run build

## test-e2e: the storefront in headless Chromium (apt-get install chromium) against its own stack; also fails when web/dist is stale.
test-e2e:
	@mkdir -p bin && go build -o bin/ ./tools/cmd/devstack
	@source tools/services.sh && trap 'tools/services.sh stop' EXIT && \
	  (cd web && npm ci --no-audit --no-fund && npm run check:dist && npm run test:e2e)

## conformance-compose: recompose the conformance scenarios' supergraphs with Hive's composition (checked in).
conformance-compose:
	cd router/conformance/compose && npm ci && npm run compose

tidy:
	for m in $(MODULES); do (cd $$m && GOWORK=off go mod tidy) || exit 1; done
	$(DEPLOY_CHECK) go mod tidy

fmt:
	gofmt -l -w $(MODULES)
