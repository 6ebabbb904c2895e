// Package model holds the inventory subgraph's GraphQL types; gqlgen writes
// the ones not declared here into models_gen.go.
package model

// ProductVariant is inventory's part of a variant: its fields are
// resolved from the stock levels through a loader.
type ProductVariant struct {
	ID string
}

// IsEntity marks ProductVariant as a federation entity.
func (ProductVariant) IsEntity() {}
