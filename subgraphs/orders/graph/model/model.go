// Package model holds the orders subgraph's GraphQL types; gqlgen writes
// the ones not declared here into models_gen.go.
package model

import (
	"github.com/myshop/supergraph/subgraphs/orders/order"
)

// Order is the GraphQL Order; lines, events and the like come through
// loaders.
type Order struct {
	ID    string
	Order order.Order
}

// IsEntity marks Order as a federation entity.
func (Order) IsEntity() {}

// Cart is the GraphQL Cart; its priced view is computed once per cart per
// request, on first use.
type Cart struct {
	ID   string
	Cart order.Cart
	View func() (order.View, error)
}

// User is the users subgraph's User, to which orders adds orders.
type User struct {
	ID string
}

// IsEntity marks User as a federation entity.
func (User) IsEntity() {}

// OrderStatusEvent is the GraphQL OrderStatusEvent; its order is loaded
// when the event is delivered, through the response's loaders.
type OrderStatusEvent struct {
	OrderID        string
	Status         OrderStatus
	PreviousStatus *OrderStatus
	Version        int
	OccurredAt     string
}
