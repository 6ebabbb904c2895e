module github.com/myshop/supergraph/e2e

go 1.26
