// Package model holds the analytics subgraph's GraphQL types; gqlgen
// writes them into models_gen.go.
package model
