package order

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/myshop/supergraph/subgraphs/platform/errs"
)

// FulfillmentStatus is how much of an order has shipped.
type FulfillmentStatus string

// Fulfilment statuses.
const (
	Unfulfilled         FulfillmentStatus = "UNFULFILLED"
	PartiallyFulfilled  FulfillmentStatus = "PARTIALLY_FULFILLED"
	Fulfilled           FulfillmentStatus = "FULFILLED"
	maxFulfillmentField                   = 200
)

// Fulfillment is units of an order that shipped together.
type Fulfillment struct {
	ID             string
	OrderID        string
	Carrier        string
	TrackingNumber string
	Actor          string
	Lines          []FulfillmentLine
	CreatedAt      time.Time
}

// FulfillmentLine is how many units of a variant shipped.
type FulfillmentLine struct {
	VariantID string
	Quantity  int
}

// FulfilInput is staff saying what shipped. Lines naming one variant twice
// add up.
type FulfilInput struct {
	OrderID        string
	Lines          []FulfillmentLine
	Carrier        string
	TrackingNumber string
}

// Fulfil records a shipment of some of an order's units and moves the
// order to PARTIALLY_SHIPPED, or to SHIPPED when nothing is left to ship
// (which first fulfils the stock and captures the payment, like Move).
func (o *Orders) Fulfil(ctx context.Context, in FulfilInput) (Order, Fulfillment, error) {
	cl, err := staff(ctx)
	if err != nil {
		return Order{}, Fulfillment{}, err
	}
	in.Carrier, in.TrackingNumber = strings.TrimSpace(in.Carrier), strings.TrimSpace(in.TrackingNumber)
	if len(in.Carrier) > maxFulfillmentField || len(in.TrackingNumber) > maxFulfillmentField {
		return Order{}, Fulfillment{}, errs.New(errs.Invalid, "carrier and trackingNumber hold at most %d characters", maxFulfillmentField)
	}
	if len(in.Lines) == 0 {
		return Order{}, Fulfillment{}, problem("lines", CodeInvalidFulfillment, "say which units shipped")
	}
	return o.fulfil(ctx, cl.UserID(), in, false)
}

// fulfil ships in.Lines, or with rest everything not shipped yet.
func (o *Orders) fulfil(ctx context.Context, actor string, in FulfilInput, rest bool) (Order, Fulfillment, error) {
	ord, err := o.byID(ctx, in.OrderID)
	if err != nil {
		return Order{}, Fulfillment{}, err
	}
	left, err := o.unshipped(ctx, ord.ID)
	if err != nil {
		return ord, Fulfillment{}, err
	}
	lines, err := shipping(in.Lines, left, rest)
	if err != nil {
		return ord, Fulfillment{}, err
	}
	to := Shipped
	for _, n := range left {
		if n > 0 {
			to = PartiallyShipped
		}
	}
	if !CanMove(ord.Status, to) && !(ord.Status == PartiallyShipped && to == PartiallyShipped) {
		return ord, Fulfillment{}, invalidTransition(ord.Status, to)
	}
	var paid PaymentStatus
	if to == Shipped {
		if paid, err = o.effects(ctx, ord, Shipped); err != nil {
			return ord, Fulfillment{}, err
		}
	}
	f := Fulfillment{ID: o.newID("ful"), OrderID: ord.ID, Carrier: in.Carrier, TrackingNumber: in.TrackingNumber, Actor: actor, Lines: lines}
	moved, err := o.store.Fulfil(ctx, f, Change{OrderID: ord.ID, From: ord.Status, To: to, Actor: actor, Payment: paid})
	if errors.Is(err, ErrConflict) {
		return ord, Fulfillment{}, problem("lines", CodeInvalidFulfillment, "the order changed while this was recorded; read it and try again")
	}
	if err != nil {
		return ord, Fulfillment{}, err
	}
	fs, err := o.store.FulfillmentsByOrders(ctx, []string{ord.ID})
	for _, got := range fs {
		if got.ID == f.ID {
			f = got
		}
	}
	return moved, f, err
}

// unshipped is how many units of each of the order's variants have not
// shipped yet.
func (o *Orders) unshipped(ctx context.Context, orderID string) (map[string]int, error) {
	ls, err := o.store.LinesByOrders(ctx, []string{orderID})
	if err != nil {
		return nil, err
	}
	fs, err := o.store.FulfillmentsByOrders(ctx, []string{orderID})
	if err != nil {
		return nil, err
	}
	left := map[string]int{}
	for _, l := range ls {
		left[l.VariantID] += l.Quantity
	}
	for _, f := range fs {
		for _, l := range f.Lines {
			left[l.VariantID] -= l.Quantity
		}
	}
	return left, nil
}

// shipping checks what is to ship against what is left (and takes it off
// left), or with rest ships everything left. Lines come out one per variant.
func shipping(in []FulfillmentLine, left map[string]int, rest bool) ([]FulfillmentLine, error) {
	if rest {
		var out []FulfillmentLine
		for v, n := range left {
			if n > 0 {
				out = append(out, FulfillmentLine{VariantID: v, Quantity: n})
				left[v] = 0
			}
		}
		if len(out) == 0 {
			return nil, problem("status", CodeInvalidFulfillment, "everything on this order has shipped")
		}
		slices.SortFunc(out, func(a, b FulfillmentLine) int { return strings.Compare(a.VariantID, b.VariantID) })
		return out, nil
	}
	var out []FulfillmentLine
	at := map[string]int{}
	for _, l := range in {
		n, ok := left[l.VariantID]
		switch {
		case !ok:
			return nil, problem("lines", CodeInvalidFulfillment, "%s is not on this order", l.VariantID)
		case l.Quantity < 1:
			return nil, problem("lines", CodeInvalidFulfillment, "quantity must be at least 1")
		case l.Quantity > n:
			return nil, problem("lines", CodeInvalidFulfillment, "only %d of %s are left to ship", max(n, 0), l.VariantID)
		}
		left[l.VariantID] -= l.Quantity
		if i, seen := at[l.VariantID]; seen {
			out[i].Quantity += l.Quantity
			continue
		}
		at[l.VariantID] = len(out)
		out = append(out, l)
	}
	return out, nil
}
