// Package graph is the payments subgraph's GraphQL layer: resolvers parse
// arguments, call loaders or the services, and convert to GraphQL models.
package graph

import (
	"github.com/myshop/supergraph/subgraphs/payments/payment"
	"github.com/myshop/supergraph/subgraphs/payments/postgres"
)

// Resolver holds the resolvers' dependencies.
type Resolver struct {
	Store      *postgres.Store
	Payments   *payment.Service
	Methods    *payment.Methods
	Settlement *payment.Payouts // "Payouts" would clash with the query resolver method
}
