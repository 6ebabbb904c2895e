// Package graph is the analytics subgraph's GraphQL layer.
package graph

import (
	"github.com/myshop/supergraph/subgraphs/analytics/postgres"
	"github.com/myshop/supergraph/subgraphs/platform/ratelimit"
)

// Resolver holds the resolvers' dependencies.
type Resolver struct {
	Store   *postgres.Store
	Limiter *ratelimit.FailureWindow
	// ExportLink signs a link to the export endpoint.
	ExportLink func(from, to, format string) (url string, expires string)
	// ReportLink signs a link to a finished report.
	ReportLink func(id string) string
}
