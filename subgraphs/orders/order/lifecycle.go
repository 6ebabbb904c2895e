package order

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/platform/idempotency"
	"github.com/myshop/supergraph/subgraphs/platform/money"
)

// Orders is the order lifecycle: status changes by staff, with what each
// change means for stock and money.
type Orders struct {
	store     LifecycleStore
	inventory Inventory
	payments  Payments
	newID     func(string) string
}

// NewOrders returns the lifecycle service.
func NewOrders(store LifecycleStore, inventory Inventory, payments Payments, newID func(string) string) *Orders {
	return &Orders{store: store, inventory: inventory, payments: payments, newID: newID}
}

// Move changes an order's status if the state machine allows it, after
// doing what the new status implies: SHIPPED ships what is left (see
// fulfil: the stock leaves inventory, the payment is captured); CANCELED and EXPIRED release the stock and void or refund
// the payment; CONFIRMED (after 3-D Secure) allocates the held stock.
// Each of those calls can be repeated, so a failed move can be retried.
// SHIPPED records a fulfilment of whatever had not shipped yet (with no
// carrier); PARTIALLY_SHIPPED needs fulfillOrder, which says what shipped.
func (o *Orders) Move(ctx context.Context, id string, to Status, note string) (Order, error) {
	cl, err := auth.Require(ctx, ManageOrders)
	if err != nil {
		return Order{}, err
	}
	if !to.Valid() {
		return Order{}, errs.New(errs.Invalid, "unknown status %q", to)
	}
	if to == Shipped {
		ord, _, err := o.fulfil(ctx, cl.UserID(), FulfilInput{OrderID: id}, true)
		return ord, err
	}
	ord, err := o.byID(ctx, id)
	if err != nil {
		return Order{}, err
	}
	if !CanMove(ord.Status, to) {
		return ord, invalidTransition(ord.Status, to)
	}
	if to == PartiallyShipped {
		return ord, errs.Problemf(errs.Field("status"), CodeInvalidFulfillment, "use fulfillOrder to say which units shipped")
	}
	paid, err := o.effects(ctx, ord, to)
	if err != nil {
		return ord, err
	}
	moved, err := o.store.Transition(ctx, Change{OrderID: id, From: ord.Status, To: to, Actor: cl.UserID(), Note: note, Payment: paid})
	if errors.Is(err, ErrConflict) {
		os, err := o.store.OrdersByIDs(ctx, []string{id})
		if err != nil || len(os) == 0 {
			return Order{}, errors.Join(errors.New("order vanished"), err)
		}
		return os[0], invalidTransition(os[0].Status, to)
	}
	return moved, err
}

// byID is the order, or a NOT_FOUND problem.
func (o *Orders) byID(ctx context.Context, id string) (Order, error) {
	os, err := o.store.OrdersByIDs(ctx, []string{id})
	if err != nil {
		return Order{}, err
	}
	if len(os) == 0 {
		return Order{}, errs.Problemf(errs.Field("orderId"), CodeNotFound, "no order %s", id)
	}
	return os[0], nil
}

func invalidTransition(from, to Status) *errs.Problem {
	p := errs.Problemf(errs.Field("status"), CodeInvalidTransition, "an order in %s cannot become %s", from, to)
	p.Err = &TransitionError{From: from, To: to}
	return p
}

// effects does what moving ord to status to implies for stock and money,
// and returns the payment's status after ("" when it did not touch it).
func (o *Orders) effects(ctx context.Context, ord Order, to Status) (PaymentStatus, error) {
	switch to {
	case Confirmed:
		paid := PaymentStatus("")
		if ord.PaymentID != "" {
			st, err := o.payments.Status(ctx, ord.PaymentID)
			if err != nil {
				return "", upstream("read the payment", err)
			}
			if st != PaymentAuthorized {
				return "", errs.Problemf(errs.Field("status"), CodeUpstreamRefused, "the payment is %s, not AUTHORIZED", st)
			}
			paid = PaidAuthorized
		}
		return paid, o.reservation(ctx, ord, o.inventory.Convert, "allocate the stock")
	case Canceled, Expired:
		// Units that already shipped stay shipped (returns come later);
		// inventory releases only the rest.
		var st *StateError
		if ord.ReservationID != "" {
			if err := o.inventory.Release(ctx, ord.ReservationID); err != nil && !errors.As(err, &st) {
				return "", upstream("release the stock", err)
			}
		}
		return o.giveBack(ctx, ord)
	}
	return "", nil
}

// giveBack voids an authorization, or refunds what was captured, and
// returns the payment's status after.
func (o *Orders) giveBack(ctx context.Context, ord Order) (PaymentStatus, error) {
	if ord.PaymentID == "" {
		return "", nil
	}
	st, err := o.payments.Status(ctx, ord.PaymentID)
	if err != nil {
		return "", upstream("read the payment", err)
	}
	switch st {
	case PaymentAuthorized, PaymentRequiresAction:
		// Voiding a check still waiting for the customer cancels it, so a
		// late approval cannot hold money for an order that is gone.
		return PaidVoided, refused(o.payments.Void(ctx, ord.PaymentID, ord.ID+":void"), "void the payment")
	case "PAID", "PARTIALLY_PAID", "PARTIALLY_REFUNDED":
		return PaidRefunded, refused(o.payments.Refund(ctx, ord.PaymentID, ord.ID+":refund"), "refund the payment")
	case "VOIDED", "REFUNDED":
		return PaymentStatus(st), nil
	}
	return "", nil // nothing held: failed, or waiting for 3-D Secure
}

func (o *Orders) reservation(ctx context.Context, ord Order, f func(context.Context, string) error, what string) error {
	if ord.ReservationID == "" {
		return nil
	}
	return refused(f(ctx, ord.ReservationID), what)
}

// refused turns another subgraph's refusal into a payload error and any
// other failure into SERVICE_UNAVAILABLE.
func refused(err error, what string) error {
	var st *StateError
	if errors.As(err, &st) {
		return errs.Problemf(errs.Field("status"), CodeUpstreamRefused, "could not %s: %s", what, st.Message)
	}
	if err != nil {
		return upstream(what, err)
	}
	return nil
}

func upstream(what string, err error) error {
	if errors.Is(err, ErrUnavailable) {
		return errs.Problemf(nil, CodeUnavailable, "could not %s just now; try again", what)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// ExpireUnpaid ends orders that have waited in PENDING_PAYMENT (3-D
// Secure not completed) longer than olderThan: the system's move, so no
// order waits forever. An order whose payment was authorized meanwhile
// (its event not yet read) is confirmed instead, never expired; the others
// have their unfinished authorization voided (so a late approval cannot
// hold money) and their stock released. It looks at up to 100 orders per
// call and returns how many it expired.
func (o *Orders) ExpireUnpaid(ctx context.Context, olderThan time.Duration) (int, error) {
	os, _, err := o.store.ListOrders(ctx, ListFilter{Status: PendingPayment}, Sort{Field: SortCreated}, nil, 100)
	if err != nil {
		return 0, err
	}
	cutoff, n := time.Now().Add(-olderThan), 0
	var failed []error
	for _, ord := range os {
		if ord.CreatedAt.After(cutoff) {
			continue
		}
		expired, err := o.expire(ctx, ord)
		if err != nil {
			failed = append(failed, fmt.Errorf("expire %s: %w", ord.ID, err))
			continue
		}
		if expired {
			n++
		}
	}
	return n, errors.Join(failed...)
}

func (o *Orders) expire(ctx context.Context, ord Order) (bool, error) {
	paid := PaymentStatus("")
	if ord.PaymentID != "" {
		st, err := o.payments.Status(ctx, ord.PaymentID)
		if err != nil {
			return false, upstream("read the payment", err)
		}
		if st == PaymentRequiresAction {
			err := o.payments.Void(ctx, ord.PaymentID, ord.ID+":void")
			var refusedErr *StateError
			if errors.As(err, &refusedErr) {
				// The customer finished just now: read where it ended.
				if st, err = o.payments.Status(ctx, ord.PaymentID); err != nil {
					return false, upstream("read the payment", err)
				}
			} else if err != nil {
				return false, upstream("void the payment", err)
			} else {
				st, paid = "VOIDED", PaidVoided
			}
		}
		if st == PaymentAuthorized {
			return false, o.confirmPaid(ctx, ord)
		}
	}
	if ord.ReservationID != "" {
		var st *StateError
		if err := o.inventory.Release(ctx, ord.ReservationID); err != nil && !errors.As(err, &st) {
			return false, upstream("release the stock", err)
		}
	}
	_, err := o.store.Transition(ctx, Change{OrderID: ord.ID, From: PendingPayment, To: Expired, Actor: "system",
		Note: "payment not completed in time", Payment: paid})
	if errors.Is(err, ErrConflict) {
		return false, nil // moved meanwhile (confirmed by the payment's event, or canceled)
	}
	return err == nil, err
}

// PaymentSettled brings an order in line with its payment after payments
// announced that one of the payment's transactions settled
// (payment.transaction_settled). It reads the payment's status from
// payments rather than trusting the event, so an event delivered twice,
// late or out of order ends the same way: a PENDING_PAYMENT order whose
// payment is authorized is confirmed; one whose payment failed or was
// voided is canceled, its stock released; an authorization that completed
// for an order already canceled or expired is voided. Anything else is
// already where it belongs.
func (o *Orders) PaymentSettled(ctx context.Context, orderID string) error {
	os, err := o.store.OrdersByIDs(ctx, []string{orderID})
	if err != nil {
		return err
	}
	if len(os) == 0 || os[0].PaymentID == "" {
		return nil // a checkout still running, or declined before it made an order
	}
	ord := os[0]
	if ord.Status != PendingPayment && ord.Status != Canceled && ord.Status != Expired {
		return nil
	}
	st, err := o.payments.Status(ctx, ord.PaymentID)
	if err != nil {
		return upstream("read the payment", err)
	}
	switch {
	case ord.Status == PendingPayment && st == PaymentAuthorized:
		return o.confirmPaid(ctx, ord)
	case ord.Status == PendingPayment && (st == PaymentFailed || st == "VOIDED"):
		if ord.ReservationID != "" {
			var se *StateError
			if err := o.inventory.Release(ctx, ord.ReservationID); err != nil && !errors.As(err, &se) {
				return upstream("release the stock", err)
			}
		}
		paid := PaymentStatus("")
		if st == "VOIDED" {
			paid = PaidVoided
		}
		return o.systemMove(ctx, ord, Canceled, "the customer's bank did not approve the payment", paid)
	case st == PaymentAuthorized: // canceled or expired before the approval arrived
		if err := refused(o.payments.Void(ctx, ord.PaymentID, ord.ID+":void-late"), "void a late authorization"); err != nil {
			return err
		}
		_, err := o.store.SetPaymentStatus(ctx, ord.ID, PaidVoided)
		return err
	}
	return nil
}

// confirmPaid confirms a PENDING_PAYMENT order whose payment is now
// authorized: its held stock is allocated. When the hold lapsed first,
// the units may be someone else's: the payment is voided and the order
// expires, so the money is never kept for an order that cannot ship.
func (o *Orders) confirmPaid(ctx context.Context, ord Order) error {
	if ord.ReservationID != "" {
		err := o.inventory.Convert(ctx, ord.ReservationID)
		var lapsed *StateError
		if errors.As(err, &lapsed) {
			if err := refused(o.payments.Void(ctx, ord.PaymentID, ord.ID+":void"), "void the payment"); err != nil {
				return err
			}
			return o.systemMove(ctx, ord, Expired, "the stock hold lapsed before the payment completed; the payment was voided", PaidVoided)
		}
		if err != nil {
			return upstream("allocate the stock", err)
		}
	}
	return o.systemMove(ctx, ord, Confirmed, "the customer's bank approved the payment", PaidAuthorized)
}

// systemMove moves a PENDING_PAYMENT order as the system; an order that
// moved meanwhile (another runner got there first) is left as it is.
func (o *Orders) systemMove(ctx context.Context, ord Order, to Status, note string, paid PaymentStatus) error {
	_, err := o.store.Transition(ctx, Change{OrderID: ord.ID, From: PendingPayment, To: to, Actor: "system", Note: note, Payment: paid})
	if errors.Is(err, ErrConflict) {
		return nil
	}
	return err
}

// RefundInput is staff giving money back on an order.
type RefundInput struct {
	OrderID string
	Amount  *money.Money // nil (and no Lines): all that is left
	// Lines are returned units instead of an Amount: each gives back its
	// share of the line as placed, tax included (see LineRefund).
	Lines          []FulfillmentLine
	IdempotencyKey string
}

// Refund gives back all or part of what the order's payment captured,
// without changing the order's status, and records the payment's status
// after (PARTIALLY_REFUNDED when some captured money remains). The
// payment's key is derived from the order and the caller's key, so a
// repeat refunds once.
func (o *Orders) Refund(ctx context.Context, in RefundInput) (Order, error) {
	if _, err := auth.Require(ctx, ManageOrders); err != nil {
		return Order{}, err
	}
	if err := idempotency.CheckKey(in.IdempotencyKey); err != nil {
		return Order{}, err
	}
	ord, err := o.byID(ctx, in.OrderID)
	if err != nil {
		return Order{}, err
	}
	if in.Amount != nil && (in.Amount.Currency != ord.Total.Currency || in.Amount.Minor <= 0) {
		return ord, errs.New(errs.Invalid, "amount must be positive and in %s", ord.Total.Currency)
	}
	if len(in.Lines) > 0 && in.Amount != nil {
		return ord, errs.Problemf(errs.Field("lines"), CodeInvalidRefund, "give lines or amount, not both")
	}
	if ord.PaymentID == "" {
		return ord, errs.Problemf(errs.Field("orderId"), CodeUpstreamRefused, "order %s has no payment to refund", ord.ID)
	}
	if len(in.Lines) > 0 {
		return o.refundLines(ctx, ord, in)
	}
	st, err := o.payments.RefundAmount(ctx, ord.PaymentID, ord.ID+":refund:"+in.IdempotencyKey, in.Amount)
	if err := refused(err, "refund the payment"); err != nil {
		return ord, err
	}
	return o.store.SetPaymentStatus(ctx, ord.ID, PaymentStatus(st))
}

// refundLines gives back returned units: it books them under the order's
// lock first, so no unit is given back twice, then asks payments for their
// share. A refusal frees the units again; a failure to reach payments
// leaves them booked, and a retry with the same key finishes the refund.
func (o *Orders) refundLines(ctx context.Context, ord Order, in RefundInput) (Order, error) {
	ls, err := o.store.LinesByOrders(ctx, []string{ord.ID})
	if err != nil {
		return ord, err
	}
	want := sumUnits(in.Lines)
	plan, err := o.store.BeginLineRefund(ctx, ord.ID, in.IdempotencyKey, func(refunded map[string]int) (LineRefundPlan, error) {
		amount, err := LineRefund(ls, refunded, in.Lines)
		return LineRefundPlan{Units: want, Amount: amount}, err
	})
	if err != nil {
		return ord, err
	}
	if !maps.Equal(plan.Units, want) {
		return ord, errs.Problemf(errs.Field("idempotencyKey"), CodeKeyReused, "this idempotency key was used for another refund of this order")
	}
	st, err := o.payments.RefundAmount(ctx, ord.PaymentID, ord.ID+":refund:"+in.IdempotencyKey, &plan.Amount)
	var refusal *StateError
	if errors.As(err, &refusal) {
		if ferr := o.store.FinishLineRefund(ctx, ord.ID, in.IdempotencyKey, false); ferr != nil {
			return ord, ferr
		}
	}
	if err := refused(err, "refund the payment"); err != nil {
		return ord, err
	}
	if err := o.store.FinishLineRefund(ctx, ord.ID, in.IdempotencyKey, true); err != nil {
		return ord, err
	}
	return o.store.SetPaymentStatus(ctx, ord.ID, PaymentStatus(st))
}

// LineRefundPlan is what a refund by lines gives back: units per variant
// and what they come to.
type LineRefundPlan struct {
	Units  map[string]int
	Amount money.Money
}

func sumUnits(lines []FulfillmentLine) map[string]int {
	units := map[string]int{}
	for _, l := range lines {
		units[l.VariantID] += l.Quantity
	}
	return units
}

// ClaimGuestOrders brings the guest orders placed with email into the
// account of userID, whose owner has just verified that email (never on
// an unverified one: typing an address proves nothing). Repeating it
// moves nothing more.
func (o *Orders) ClaimGuestOrders(ctx context.Context, userID, email string) error {
	_, err := o.store.ClaimGuestOrders(ctx, userID, email)
	return err
}

// LineRefund is what giving back these units of the order's lines returns
// when refunded units of each variant were given back before: per line,
// its share of net and of tax as placed at refunded+wanted units less the
// share at refunded, each share rounded half up, so however a line is
// split into refunds they add up to exactly its gross. Shipping is not
// part of it. INVALID_REFUND for a variant not on the order or more units
// than its line has left.
func LineRefund(lines []Line, refunded map[string]int, want []FulfillmentLine) (money.Money, error) {
	for _, w := range want {
		if w.Quantity < 1 {
			return money.Money{}, errs.Problemf(errs.Field("lines"), CodeInvalidRefund, "quantity of %s must be at least 1", w.VariantID)
		}
	}
	units := sumUnits(want)
	var out money.Money
	for _, l := range lines {
		q, ok := units[l.VariantID]
		if !ok {
			continue
		}
		delete(units, l.VariantID)
		before := refunded[l.VariantID]
		if before+q > l.Quantity {
			return money.Money{}, errs.Problemf(errs.Field("lines"), CodeInvalidRefund,
				"the order has %d of %s, %d given back already, not %d more", l.Quantity, l.VariantID, before, q)
		}
		share := func(n int) int64 {
			d := int64(l.Quantity)
			return mulDivRound(l.Net.Minor, int64(n), d) + mulDivRound(l.Tax.Minor, int64(n), d)
		}
		out.Currency = l.Gross.Currency
		out.Minor += share(before+q) - share(before)
	}
	for v := range units {
		return money.Money{}, errs.Problemf(errs.Field("lines"), CodeInvalidRefund, "%s is not on the order", v)
	}
	return out, nil
}
