// Command notifications runs the notifications subgraph. Configuration comes from the
// environment: see subgraph.ConfigFromEnv and the README.
package main

import (
	"os"

	"github.com/myshop/supergraph/subgraphs/notifications"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
)

func main() { os.Exit(subgraph.Main(notifications.Def)) }
