// Package graph is the products subgraph's GraphQL layer: resolvers parse
// arguments, call loaders or the store, and convert to GraphQL models.
package graph

import (
	"log/slog"

	"github.com/myshop/supergraph/subgraphs/products/media"
	"github.com/myshop/supergraph/subgraphs/products/postgres"
	"github.com/myshop/supergraph/subgraphs/products/product"
)

// Resolver holds the resolvers' dependencies.
type Resolver struct {
	// Store is read and written directly by the catalog, media and search
	// resolvers, which have no service yet; Reviews is the way products
	// are meant to go.
	Store   *postgres.Store
	Reviews *product.Reviews
	// Media keeps image files; MediaURL is the public base URL of GET
	// /media (an image's URL is MediaURL/<key>).
	Media    media.Storage
	MediaURL string
	Log      *slog.Logger
}
