package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The router shares auth, telemetry, ids and errs with the subgraphs
// through the platform module, not the subgraphs module: a subgraph's GraphQL
// server, database driver and migrations have no business in the router's
// binary, its build time or its vulnerability reports.
func TestBinaryLeavesOutSubgraphDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	banned := []string{
		"github.com/99designs/gqlgen",
		"github.com/jackc/pgx",
		"github.com/pressly/goose",
		"github.com/myshop/supergraph/subgraphs",
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, b := range banned {
			if pkg == b || strings.HasPrefix(pkg, b+"/") {
				t.Errorf("the router binary depends on %s", pkg)
			}
		}
	}
}
