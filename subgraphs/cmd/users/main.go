// Command users runs the users subgraph. Configuration comes from the
// environment: see subgraph.ConfigFromEnv and the README.
package main

import (
	"os"

	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
	"github.com/myshop/supergraph/subgraphs/users"
)

func main() { os.Exit(subgraph.Main(users.Def)) }
