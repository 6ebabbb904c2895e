package order

import (
	"slices"
	"time"
)

// Status is where an order is in its life.
type Status string

// Statuses. CANCELED and EXPIRED are terminal.
const (
	PendingPayment   Status = "PENDING_PAYMENT"
	Confirmed        Status = "CONFIRMED"
	Processing       Status = "PROCESSING"
	PartiallyShipped Status = "PARTIALLY_SHIPPED"
	Shipped          Status = "SHIPPED"
	Delivered        Status = "DELIVERED"
	Canceled         Status = "CANCELED"
	Expired          Status = "EXPIRED"
)

// transitions is the whole state machine: each status and where it may go.
// Every state that is not terminal can be CANCELED, so no order is ever
// stuck (Vendure #1330, #1177 were dead ends).
var transitions = map[Status][]Status{
	PendingPayment:   {Confirmed, Canceled, Expired},
	Confirmed:        {Processing, PartiallyShipped, Shipped, Canceled},
	Processing:       {PartiallyShipped, Shipped, Canceled},
	PartiallyShipped: {Shipped, Canceled},
	Shipped:          {Delivered, Canceled},
	Delivered:        {Canceled},
	Canceled:         nil,
	Expired:          nil,
}

// Statuses lists every status in lifecycle order.
var Statuses = []Status{PendingPayment, Confirmed, Processing, PartiallyShipped, Shipped, Delivered, Canceled, Expired}

// Valid reports whether s is a known status.
func (s Status) Valid() bool { _, ok := transitions[s]; return ok }

// Terminal reports whether nothing can follow s.
func (s Status) Terminal() bool { return len(transitions[s]) == 0 }

// Allowed is where an order in s may go next.
func (s Status) Allowed() []Status { return slices.Clone(transitions[s]) }

// CanMove reports whether from → to is in the table.
func CanMove(from, to Status) bool { return slices.Contains(transitions[from], to) }

// StatusChange is a committed status change, as the store announces it.
type StatusChange struct {
	OrderID, UserID string
	From            Status // "" for the order's creation
	To              Status
	Version         int
	At              time.Time
}
