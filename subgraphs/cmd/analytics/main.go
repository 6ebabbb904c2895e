// Command analytics runs the analytics subgraph. Configuration comes from the
// environment: see subgraph.ConfigFromEnv and the README.
package main

import (
	"os"

	"github.com/myshop/supergraph/subgraphs/analytics"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
)

func main() { os.Exit(subgraph.Main(analytics.Def)) }
