// Package graph is the inventory subgraph's GraphQL layer: resolvers parse
// arguments, call loaders or the services, and convert to GraphQL models.
package graph

import (
	"github.com/myshop/supergraph/subgraphs/inventory/stock"
)

// Resolver holds the services the resolvers translate to; reads that batch
// go through the request's loaders.
type Resolver struct {
	Stock      *stock.Service
	Purchasing *stock.Purchasing
	Places     *stock.Places
}
