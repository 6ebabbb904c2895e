// Command inventory runs the inventory subgraph. Configuration comes from the
// environment: see subgraph.ConfigFromEnv and the README.
package main

import (
	"os"

	"github.com/myshop/supergraph/subgraphs/inventory"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
)

func main() { os.Exit(subgraph.Main(inventory.Def)) }
