// Package graph is the notifications subgraph's GraphQL layer: resolvers
// parse arguments, call the service or the store, and convert.
package graph

import (
	"github.com/myshop/supergraph/subgraphs/notifications/notify"
	"github.com/myshop/supergraph/subgraphs/notifications/postgres"
)

// Resolver holds the resolvers' dependencies.
type Resolver struct {
	Store   *postgres.Store
	Service *notify.Service
}
