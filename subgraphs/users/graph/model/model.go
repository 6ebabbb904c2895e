// Package model holds the users subgraph's GraphQL types; gqlgen writes the
// ones not declared here into models_gen.go.
package model

import "github.com/myshop/supergraph/subgraphs/users/user"

// User is the GraphQL User. Email and roles have resolvers, which check
// who is asking before reading them from Account.
type User struct {
	ID      string
	Name    string
	Account user.User
}

// IsEntity marks User as a federation entity.
func (User) IsEntity() {}
