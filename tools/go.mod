module github.com/myshop/supergraph/tools

go 1.26.0

require (
	github.com/99designs/gqlgen v0.17.98
	github.com/myshop/supergraph/router v0.0.0
	github.com/myshop/supergraph/subgraphs v0.0.0
	github.com/myshop/supergraph/web v0.0.0
)

// The workspace (go.work) resolves these too; the replaces let the module
// build and tidy on its own.
replace (
	github.com/myshop/supergraph/router => ../router
	github.com/myshop/supergraph/subgraphs => ../subgraphs
	github.com/myshop/supergraph/web => ../web
)
