package order

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/platform/idempotency"
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
	// Key is the idempotency key it was recorded under, RequestHash what
	// was asked with it; Pending: its units are on their way through
	// inventory and it is not shown yet.
	Key, RequestHash string
	Pending          bool
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
	IdempotencyKey string
}

// shipAllKey is the key of the fulfilment that ships whatever is left
// (updateOrderStatus SHIPPED): there is at most one, so a retried move
// resumes it.
const shipAllKey = "ship-all"

// Fulfil records a shipment of some of an order's units and moves the
// order to PARTIALLY_SHIPPED, or to SHIPPED when nothing is left to ship
// (which first fulfils the stock and captures the payment, like Move).
func (o *Orders) Fulfil(ctx context.Context, in FulfilInput) (Order, Fulfillment, error) {
	cl, err := auth.Require(ctx, ManageOrders)
	if err != nil {
		return Order{}, Fulfillment{}, err
	}
	in.Carrier, in.TrackingNumber = strings.TrimSpace(in.Carrier), strings.TrimSpace(in.TrackingNumber)
	if len(in.Carrier) > maxFulfillmentField || len(in.TrackingNumber) > maxFulfillmentField {
		return Order{}, Fulfillment{}, errs.New(errs.Invalid, "carrier and trackingNumber hold at most %d characters", maxFulfillmentField)
	}
	if len(in.Lines) == 0 {
		return Order{}, Fulfillment{}, errs.Problemf(errs.Field("lines"), CodeInvalidFulfillment, "say which units shipped")
	}
	if in.IdempotencyKey == "" {
		// The request is its own key: a resent shipment (same lines,
		// carrier and tracking number) is the same shipment.
		in.IdempotencyKey, _ = ShipmentKey(in.Lines, in.Carrier, in.TrackingNumber)
	} else if idempotency.CheckKey(in.IdempotencyKey) != nil || in.IdempotencyKey == shipAllKey {
		return Order{}, Fulfillment{}, errs.New(errs.Invalid, "idempotencyKey must be 1 to 255 characters (and not %q)", shipAllKey)
	}
	return o.fulfil(ctx, cl.UserID(), in, false)
}

// ShipmentKey is the key and request hash fulfillOrder records a shipment
// under when the client sends no key of its own (the request is its own
// key): the demo seed records its shipments the same way.
func ShipmentKey(lines []FulfillmentLine, carrier, trackingNumber string) (key, hash string) {
	hash = requestHash(FulfilInput{Lines: lines, Carrier: carrier, TrackingNumber: trackingNumber}, false)
	return "request:" + hash, hash
}

// requestHash is what a fulfilment asks, so a repeat of its key can be
// told from another shipment reusing it.
func requestHash(in FulfilInput, rest bool) string {
	if rest {
		return "rest"
	}
	sum := map[string]int{}
	for _, l := range in.Lines {
		sum[l.VariantID] += l.Quantity
	}
	h := sha256.New()
	fmt.Fprintf(h, "%v\x00%s\x00%s", sum, in.Carrier, in.TrackingNumber)
	return hex.EncodeToString(h.Sum(nil))
}

// fulfil ships in.Lines, or with rest everything not shipped yet, in
// three steps: record the shipment as pending under its key (checked
// against what is left, pending ones included), take exactly its units
// out of stock in inventory (with the fulfilment's id as inventory's key),
// then, capturing the payment first when this ships the last units,
// record it done and move the order. A repeat of the key finds the first
// step's row: done, it replays the answer; pending (a crash, an
// unavailable upstream, a concurrent duplicate), it resumes, and each
// step is safe to repeat, so the units leave stock once.
func (o *Orders) fulfil(ctx context.Context, actor string, in FulfilInput, rest bool) (Order, Fulfillment, error) {
	ord, err := o.byID(ctx, in.OrderID)
	if err != nil {
		return Order{}, Fulfillment{}, err
	}
	key, hash := in.IdempotencyKey, requestHash(in, rest)
	if rest {
		key = shipAllKey
	}
	f, err := o.store.FulfilmentByKey(ctx, ord.ID, key)
	if errors.Is(err, ErrNotFound) {
		f, err = o.beginFulfilment(ctx, ord, actor, in, key, hash, rest)
	}
	if err != nil {
		return ord, Fulfillment{}, err
	}
	if f.RequestHash != hash {
		return ord, Fulfillment{}, errs.Problemf(errs.Field("idempotencyKey"), CodeKeyReused, "this idempotency key was used for another shipment of this order")
	}
	if !f.Pending {
		return ord, f, nil
	}
	if ord.ReservationID != "" {
		err := o.inventory.FulfillLines(ctx, ord.ReservationID, f.Lines, f.ID)
		var st *StateError
		if errors.As(err, &st) {
			// Inventory shipped nothing: forget the shipment so its units
			// count as unshipped again.
			return ord, Fulfillment{}, errors.Join(refused(err, "take the units out of stock"), o.store.AbandonFulfilment(ctx, f.ID))
		}
		if err != nil {
			return ord, Fulfillment{}, upstream("take the units out of stock", err)
		}
	}
	var paid PaymentStatus
	left, err := o.unshipped(ctx, ord.ID)
	if err != nil {
		return ord, Fulfillment{}, err
	}
	if sum(left) == 0 && ord.PaymentID != "" {
		// The last units: the money is due. Capture is keyed by order,
		// so two last shipments racing capture once.
		if err := refused(o.payments.Capture(ctx, ord.PaymentID, ord.ID+":capture"), "capture the payment"); err != nil {
			return ord, Fulfillment{}, err
		}
		paid = PaidFully
	}
	moved, err := o.store.CompleteFulfilment(ctx, f, paid)
	if err != nil {
		return ord, Fulfillment{}, err
	}
	f.Pending = false
	fs, err := o.store.FulfillmentsByOrders(ctx, []string{ord.ID})
	for _, got := range fs {
		if got.ID == f.ID {
			f = got
		}
	}
	return moved, f, err
}

// beginFulfilment checks the shipment against the order and what is left
// to ship, and records it as pending.
func (o *Orders) beginFulfilment(ctx context.Context, ord Order, actor string, in FulfilInput, key, hash string, rest bool) (Fulfillment, error) {
	switch ord.Status {
	case Confirmed, Processing, PartiallyShipped:
	default:
		return Fulfillment{}, invalidTransition(ord.Status, Shipped)
	}
	left, err := o.unshipped(ctx, ord.ID)
	if err != nil {
		return Fulfillment{}, err
	}
	lines, err := shipping(in.Lines, left, rest)
	if err != nil {
		return Fulfillment{}, err
	}
	f := Fulfillment{ID: o.newID("ful"), OrderID: ord.ID, Carrier: in.Carrier, TrackingNumber: in.TrackingNumber, Actor: actor,
		Lines: lines, Key: key, RequestHash: hash}
	f, err = o.store.BeginFulfilment(ctx, f)
	if errors.Is(err, ErrConflict) {
		return Fulfillment{}, errs.Problemf(errs.Field("lines"), CodeInvalidFulfillment, "another shipment took some of these units while this was recorded; read the order and try again")
	}
	return f, err
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += max(v, 0)
	}
	return n
}

// unshipped is how many units of each of the order's variants have not
// shipped yet, nor are shipping (pending fulfilments).
func (o *Orders) unshipped(ctx context.Context, orderID string) (map[string]int, error) {
	ls, err := o.store.LinesByOrders(ctx, []string{orderID})
	if err != nil {
		return nil, err
	}
	fs, err := o.store.ShippingByOrder(ctx, orderID)
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
			return nil, errs.Problemf(errs.Field("status"), CodeInvalidFulfillment, "everything on this order has shipped")
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
			return nil, errs.Problemf(errs.Field("lines"), CodeInvalidFulfillment, "%s is not on this order", l.VariantID)
		case l.Quantity < 1:
			return nil, errs.Problemf(errs.Field("lines"), CodeInvalidFulfillment, "quantity must be at least 1")
		case l.Quantity > n:
			return nil, errs.Problemf(errs.Field("lines"), CodeInvalidFulfillment, "only %d of %s are left to ship", max(n, 0), l.VariantID)
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
