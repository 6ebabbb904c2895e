// Package graph is the products subgraph's GraphQL layer: resolvers parse
// arguments, call loaders or the services, and convert to GraphQL models.
package graph

import (
	"github.com/myshop/supergraph/subgraphs/products/product"
)

// Resolver holds the services the resolvers translate for.
type Resolver struct {
	Catalog  *product.Catalog
	Taxonomy *product.Taxonomy
	Reviews  *product.Reviews
	Images   *product.Images
	// MediaURL is the public base URL of GET /media (an image's URL is
	// MediaURL/<key>).
	MediaURL string
}
