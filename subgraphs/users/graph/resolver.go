// Package graph is the users subgraph's GraphQL layer: resolvers parse
// arguments, call loaders or the accounts service, and convert to GraphQL
// models.
package graph

import (
	"github.com/myshop/supergraph/subgraphs/users/postgres"
	"github.com/myshop/supergraph/subgraphs/users/user"
)

// Resolver holds the resolvers' dependencies.
type Resolver struct {
	Store    *postgres.Store
	Accounts *user.Service
}
