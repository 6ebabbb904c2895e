// Package graph is the products subgraph's GraphQL layer: resolvers parse
// arguments, call loaders or the store, and convert to GraphQL models.
package graph

import (
	"log/slog"

	"github.com/myshop/supergraph/subgraphs/products/media"
	"github.com/myshop/supergraph/subgraphs/products/postgres"
)

// Resolver holds the resolvers' dependencies.
type Resolver struct {
	Store *postgres.Store
	// Media keeps image files; MediaURL is the public base URL of GET
	// /media (an image's URL is MediaURL/<key>).
	Media    media.Storage
	MediaURL string
	Log      *slog.Logger
}
