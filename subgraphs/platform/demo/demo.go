// Package demo holds the few facts the demo data of different subgraphs must
// agree on, since no subgraph reads another's tables.
package demo

import "fmt"

// Users is how many demo users the users subgraph seeds.
const Users = 24

// UserID is the id of the i-th demo user, 1-based.
func UserID(i int) string { return fmt.Sprintf("usr_%04d", i) }
