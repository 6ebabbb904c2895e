// Package model holds the notifications subgraph's GraphQL types; gqlgen
// writes them into models_gen.go.
package model

// Webhook is written by hand so that deliveries, which take an argument,
// is a resolver.
type Webhook struct {
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	URL            string   `json:"url"`
	EventTypes     []string `json:"eventTypes"`
	Active         bool     `json:"active"`
	DisabledReason string   `json:"disabledReason"`
	CreatedAt      string   `json:"createdAt"`
}
