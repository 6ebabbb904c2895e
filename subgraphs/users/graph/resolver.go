// Package graph is the users subgraph's GraphQL layer: resolvers parse
// arguments, call loaders or the accounts service, and convert to GraphQL
// models.
package graph

import (
	"github.com/myshop/supergraph/subgraphs/users/user"
)

// Resolver holds the service the resolvers translate to; reads that batch
// go through the request's loaders.
type Resolver struct {
	Accounts *user.Service
}
