// Command payments runs the payments subgraph. Configuration comes from the
// environment: see subgraph.ConfigFromEnv and the README.
package main

import (
	"os"

	"github.com/myshop/supergraph/subgraphs/payments"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
)

func main() { os.Exit(subgraph.Main(payments.Def)) }
