// Package model holds the payments subgraph's GraphQL types; gqlgen writes
// the ones not declared here into models_gen.go.
package model

import "github.com/myshop/supergraph/subgraphs/payments/payment"

// Payment is the GraphQL Payment; status, totals and transactions are
// resolved from the ledger through a loader.
type Payment struct {
	ID      string
	Payment payment.Payment
}

// IsEntity marks Payment as a federation entity.
func (Payment) IsEntity() {}
