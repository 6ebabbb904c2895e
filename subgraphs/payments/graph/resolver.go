// Package graph is the payments subgraph's GraphQL layer: resolvers parse
// arguments, call loaders or the services, and convert to GraphQL models.
package graph

import (
	"github.com/myshop/supergraph/subgraphs/payments/payment"
)

// Resolver holds the services the resolvers translate to; reads that
// batch go through the request's loaders.
type Resolver struct {
	Payments   *payment.Service
	Methods    *payment.Methods
	Settlement *payment.Payouts // "Payouts" would clash with the query resolver method
}
