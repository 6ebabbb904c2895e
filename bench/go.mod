module github.com/myshop/supergraph/bench

go 1.26.0

require (
	github.com/myshop/supergraph/e2e v0.0.0
	github.com/myshop/supergraph/router v0.0.0
	github.com/myshop/supergraph/subgraphs v0.0.0
)

// The workspace (go.work) resolves these too; the replaces let the module
// build and tidy on its own.
replace (
	github.com/myshop/supergraph/e2e => ../e2e
	github.com/myshop/supergraph/router => ../router
	github.com/myshop/supergraph/subgraphs => ../subgraphs
)
