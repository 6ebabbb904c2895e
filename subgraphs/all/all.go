// Package all lists every subgraph, for the programs that run or seed
// them together (devstack, demogen, the e2e stack).
package all

import (
	"github.com/myshop/supergraph/subgraphs/analytics"
	"github.com/myshop/supergraph/subgraphs/inventory"
	"github.com/myshop/supergraph/subgraphs/notifications"
	"github.com/myshop/supergraph/subgraphs/orders"
	"github.com/myshop/supergraph/subgraphs/payments"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
	"github.com/myshop/supergraph/subgraphs/products"
	"github.com/myshop/supergraph/subgraphs/users"
)

// Defs are every subgraph in start order: users first (the others verify
// tokens with its keys), orders after the services it calls.
var Defs = []subgraph.Def{users.Def, products.Def, payments.Def, inventory.Def, orders.Def, notifications.Def, analytics.Def}
