// Package model holds the notifications subgraph's GraphQL types; gqlgen
// writes them into models_gen.go.
package model
