// Package graph is the notifications subgraph's GraphQL layer: resolvers
// parse arguments, call the service, and convert.
package graph

import (
	"github.com/myshop/supergraph/subgraphs/notifications/hooks"
	"github.com/myshop/supergraph/subgraphs/notifications/notify"
)

// Resolver holds the service the resolvers translate to.
type Resolver struct {
	Service     *notify.Service
	Phones      *notify.Phones
	Hooks       *hooks.Service
	Pushes      *notify.Pushes
	Newsletters *notify.Newsletters
}
