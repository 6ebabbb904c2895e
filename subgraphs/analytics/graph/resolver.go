// Package graph is the analytics subgraph's GraphQL layer.
package graph

import (
	"github.com/myshop/supergraph/subgraphs/analytics/metrics"
)

// Resolver holds the service the resolvers translate to and the export
// and report links they sign.
type Resolver struct {
	Metrics *metrics.Service
	// ExportLink signs a link to the export endpoint.
	ExportLink func(from, to, format string) (url string, expires string)
	// ReportLink signs a link to a finished report.
	ReportLink func(id string) string
}
