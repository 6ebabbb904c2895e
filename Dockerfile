# syntax=docker/dockerfile:1
#
# One image holds every MyShop binary: the router, the seven subgraphs, the
# demo data generator (demogen) and a tiny health checker. Compose and Kubernetes pick the binary per service
# with `command: ["/app/<name>"]`; without one the image runs the router.
#
#   docker build -t myshop/supergraph:dev .
#   docker run --rm myshop/supergraph:dev /app/users   # needs Postgres, Redis
#
# Why one image: one build and one tag per commit, so the router's
# supergraph (schema/supergraph.graphql, baked in) always matches the
# subgraphs it is deployed with; the layer is pulled once per node and
# shared by every container. See deploy/README.md.

ARG GO_VERSION=1.26

# --- build ------------------------------------------------------------------
# Cross-compiles on the build host's platform (CGO off: pure Go, static).
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
ARG TARGETOS
ARG TARGETARCH
ENV CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
WORKDIR /src
COPY . .
# The workspace (go.work) selects the dependency versions `make build` and
# `make test` use; building the router module alone (GOWORK=off) would pick
# older ones. `go build` fetches only the modules these binaries import
# (`go mod download` would fetch the whole workspace graph, hundreds of
# modules); the cache mounts keep them and the build cache between builds.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH \
      go build -trimpath -ldflags='-s -w' -o /out/ ./router/cmd/router ./subgraphs/cmd/... ./tools/cmd/demogen \
 && cd deploy/check \
 && GOWORK=off GOOS=$TARGETOS GOARCH=$TARGETARCH \
      go build -trimpath -ldflags='-s -w' -o /out/healthcheck ./cmd/healthcheck

# --- runtime: no shell, no package manager, uid 65532 -------------------------
FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="MyShop Supergraph" \
      org.opencontainers.image.description="router, subgraphs (users products orders payments inventory notifications analytics), demogen and healthcheck in /app" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
WORKDIR /app
COPY --from=build /out/ /app/
# The router's default ROUTER_SUPERGRAPH, schema/supergraph.graphql, resolves
# against the working directory.
COPY schema/supergraph.graphql /app/schema/supergraph.graphql
USER 65532:65532
EXPOSE 4000 4001 4002 4003 4004 4005 4006 4007
CMD ["/app/router"]
