// Command products runs the products subgraph. Configuration comes from the
// environment: see subgraph.ConfigFromEnv and the README.
package main

import (
	"os"

	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
	"github.com/myshop/supergraph/subgraphs/products"
)

func main() { os.Exit(subgraph.Main(products.Def)) }
