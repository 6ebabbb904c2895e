// Package graph is the orders subgraph's GraphQL layer: resolvers parse
// arguments, call loaders or the services, and convert to GraphQL models.
package graph

import (
	"github.com/myshop/supergraph/subgraphs/orders/order"
)

// Resolver holds the services the resolvers translate to; reads that
// batch go through the request's loaders.
type Resolver struct {
	Carts     *order.Carts
	Checkout  *order.Checkout
	Lifecycle *order.Orders
	Guests    *order.GuestOrders
	Taxes     *order.Taxes
	Shipping  *order.Shipping
}
