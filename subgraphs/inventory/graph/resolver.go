// Package graph is the inventory subgraph's GraphQL layer: resolvers parse
// arguments, call loaders or the services, and convert to GraphQL models.
package graph

import (
	"github.com/myshop/supergraph/subgraphs/inventory/postgres"
	"github.com/myshop/supergraph/subgraphs/inventory/stock"
)

// Resolver holds the resolvers' dependencies.
type Resolver struct {
	Store      *postgres.Store
	Stock      *stock.Service
	Purchasing *stock.Purchasing
}
