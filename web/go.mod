module github.com/myshop/supergraph/web

go 1.26.0
