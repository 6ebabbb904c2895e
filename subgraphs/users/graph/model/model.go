// Package model holds the users subgraph's GraphQL types; gqlgen writes the
// ones not declared here into models_gen.go.
package model
