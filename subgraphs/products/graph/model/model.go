// Package model holds the products subgraph's GraphQL types; gqlgen writes
// the ones not declared here into models_gen.go. A field missing from a
// struct here is resolved by a resolver, through a loader.
package model

import "github.com/myshop/supergraph/subgraphs/platform/money"

// Product is the GraphQL Product; reviews has a resolver.
type Product struct {
	ID    string
	Name  string
	Price money.Money
}

// Review is the GraphQL Review; author and product have resolvers.
type Review struct {
	ID        string
	Rating    int
	Body      string
	AuthorID  string
	ProductID string
}

// User is the products subgraph's part of User: its reviews.
type User struct {
	ID string
}

// IsEntity marks the federation entities, as gqlgen's generated models do.
func (Product) IsEntity() {}

// IsEntity marks Review as a federation entity.
func (Review) IsEntity() {}

// IsEntity marks User as a federation entity.
func (User) IsEntity() {}
