// Package check holds the deployment's validation tests (no network, no
// Docker engine, no cluster): deploy/compose.yaml loaded with compose-go,
// the kustomize overlays built in-process and decoded strictly into the
// Kubernetes API types, the Dockerfile and .dockerignore, and the
// environment variables each binary reads (found in its Go sources)
// against what Compose and Kubernetes set. cmd/healthcheck is the small
// HTTP checker the image's Compose health checks run.
package check
