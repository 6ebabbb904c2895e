// Command orders runs the orders subgraph. Configuration comes from the
// environment: see subgraph.ConfigFromEnv, orders.UpstreamsFromEnv and the
// README.
package main

import (
	"os"

	"github.com/myshop/supergraph/subgraphs/orders"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
)

func main() { os.Exit(subgraph.Main(orders.Def)) }
