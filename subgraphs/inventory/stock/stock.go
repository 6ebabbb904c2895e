// Package stock is the inventory domain: units per warehouse and variant,
// reservations that hold them for a checkout, and the rules that keep the
// numbers honest (never negative, never more promised than on hand).
package stock

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Level is one (warehouse, variant) row.
type Level struct {
	WarehouseID       string
	VariantID         string
	OnHand            int
	Allocated         int // promised to confirmed orders, not yet shipped
	Reserved          int // held for checkouts in progress
	LowStockThreshold int
	Priority          int // the warehouse's: lower is taken first
}

// Available is what can still be promised.
func (l Level) Available() int { return l.OnHand - l.Allocated - l.Reserved }

// Low reports whether the level is at or below its threshold.
func (l Level) Low() bool { return l.Available() <= l.LowStockThreshold }

// Line is a quantity of a variant, optionally in one warehouse.
type Line struct {
	WarehouseID string
	VariantID   string
	Quantity    int
	// Fulfilled is, on a reservation's line, how many of its units have
	// shipped already (an order ships in parts).
	Fulfilled int
}

// Shortage says a variant lacks units.
type Shortage struct {
	VariantID string
	Requested int
	Available int
}

// ErrInsufficient is returned with the shortages when a cart cannot be held.
type ErrInsufficient struct{ Shortages []Shortage }

func (e *ErrInsufficient) Error() string {
	parts := make([]string, len(e.Shortages))
	for i, s := range e.Shortages {
		parts[i] = fmt.Sprintf("%s: %d requested, %d available", s.VariantID, s.Requested, s.Available)
	}
	return "insufficient stock: " + strings.Join(parts, "; ")
}

// Needs adds up a cart's lines per variant: the same variant on two lines
// is checked against its stock once, for the sum (vendure#2702).
func Needs(lines []Line) (map[string]int, error) {
	needs := map[string]int{}
	for _, l := range lines {
		if l.Quantity <= 0 {
			return nil, fmt.Errorf("quantity of %s must be positive, got %d", l.VariantID, l.Quantity)
		}
		needs[l.VariantID] += l.Quantity
	}
	return needs, nil
}

// Allocate decides where a cart's units come from: for each variant,
// warehouses in priority order (then id), taking what each can give until
// the need is met. levels must hold every level of the needed variants. It
// returns the lines to hold, or every shortage.
func Allocate(needs map[string]int, levels []Level) ([]Line, error) {
	sorted := append([]Level(nil), levels...)
	sort.Slice(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if a.VariantID != b.VariantID {
			return a.VariantID < b.VariantID
		}
		if a.Priority != b.Priority {
			return a.Priority < b.Priority
		}
		return a.WarehouseID < b.WarehouseID
	})
	var lines []Line
	var short []Shortage
	variants := make([]string, 0, len(needs))
	for v := range needs {
		variants = append(variants, v)
	}
	sort.Strings(variants)
	for _, v := range variants {
		left, total := needs[v], 0
		for _, l := range sorted {
			if l.VariantID != v || l.Available() <= 0 {
				continue
			}
			total += l.Available()
			if left == 0 {
				continue
			}
			take := min(left, l.Available())
			lines = append(lines, Line{WarehouseID: l.WarehouseID, VariantID: v, Quantity: take})
			left -= take
		}
		if left > 0 {
			short = append(short, Shortage{VariantID: v, Requested: needs[v], Available: total})
		}
	}
	if len(short) > 0 {
		return nil, &ErrInsufficient{Shortages: short}
	}
	return lines, nil
}

// Reservation holds units for a checkout until it is converted (the order
// is placed), released, or expires.
type Reservation struct {
	ID        string
	Reference string
	Status    Status
	ExpiresAt time.Time
	Lines     []Line
}

// Fulfil ships needs (units per variant) from r's lines, in their order,
// each line giving at most what it has left to ship: ErrWrongStatus unless
// r is CONVERTED, ErrOverFulfil when a variant asks more than r has left
// of it. A reservation with nothing left to ship is FULFILLED.
func (r *Reservation) Fulfil(needs map[string]int) error {
	if r.Status != Converted {
		return ErrWrongStatus
	}
	wanted := make(map[string]int, len(needs))
	for v, n := range needs {
		wanted[v] = n
	}
	left := 0
	for i := range r.Lines {
		l := &r.Lines[i]
		q := min(wanted[l.VariantID], l.Quantity-l.Fulfilled)
		wanted[l.VariantID] -= q
		l.Fulfilled += q
		left += l.Quantity - l.Fulfilled
	}
	for _, n := range wanted {
		if n > 0 {
			return ErrOverFulfil
		}
	}
	if left == 0 {
		r.Status = Fulfilled
	}
	return nil
}

// Status of a reservation.
type Status string

// Reservation statuses and the moves between them.
const (
	Active    Status = "ACTIVE"
	Converted Status = "CONVERTED" // allocated to a placed order
	Released  Status = "RELEASED"
	Expired   Status = "EXPIRED"
	Fulfilled Status = "FULFILLED" // shipped: the units left the warehouse
)

// DefaultTTL is how long a checkout holds its stock.
const DefaultTTL = 15 * time.Minute

// Errors.
var (
	ErrNotFound    = errors.New("not found")
	ErrKeyReused   = errors.New("idempotency key reused with another request")
	ErrWrongStatus = errors.New("reservation is not in a state that allows this")
	// ErrOverFulfil: more units would ship than the reservation holds.
	ErrOverFulfil     = errors.New("more units than the reservation has left to ship")
	ErrBelowCommitted = errors.New("on hand would fall below what is allocated and reserved")
)
