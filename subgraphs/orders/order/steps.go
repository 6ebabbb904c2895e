package order

import (
	"context"
	"errors"
	"time"

	"github.com/myshop/supergraph/platform/errs"
)

// step runs the saga's current step and saves where it got. It reports
// false when the saga has to wait for something only the customer can do.
func (c *Checkout) step(ctx context.Context, s *Saga, interactive bool) (bool, error) {
	switch s.Step {
	case StepPriced:
		return true, c.reserve(ctx, s)
	case StepReserved:
		if !interactive {
			return true, c.fail(ctx, s, CodeCheckoutAbandoned, "the checkout stopped before payment; the stock hold was released")
		}
		return true, c.save(ctx, s, StepAuthorizing)
	case StepAuthorizing:
		if !interactive {
			// The customer's retry would finish the payment; once the stock
			// hold lapses, give up on it and void whatever authorization the
			// interrupted call may have left, so no card stays held.
			if c.now().Sub(s.UpdatedAt) < c.ReservationTTL {
				return false, nil
			}
			if err := c.voidOrphans(ctx, s); err != nil {
				return false, err // try again on the next run
			}
			return true, c.fail(ctx, s, CodeCheckoutAbandoned, "the checkout stopped while paying and was not retried")
		}
		return true, c.authorize(ctx, s)
	case StepAuthorized:
		return true, c.confirm(ctx, s)
	case StepCompensating:
		return true, c.compensate(ctx, s)
	}
	return false, errors.New("checkout: unknown step " + string(s.Step))
}

func (c *Checkout) reserve(ctx context.Context, s *Saga) error {
	id, err := c.inventory.Reserve(ctx, ReserveRequest{Reference: s.ID, Lines: s.Lines, Country: s.Address.CountryCode,
		TTL: c.ReservationTTL, IdempotencyKey: s.ID + ":reserve"})
	var short *ShortageError
	if errors.As(err, &short) {
		// Nothing was held: nothing to undo.
		s.Failure = &errs.Problem{Field: errs.Field("cartId"), Code: CodeInsufficientStock, Message: "not enough stock for this cart", Err: short}
		return c.save(ctx, s, StepFailed)
	}
	if err != nil {
		return c.unavailable("reserve stock", err)
	}
	s.ReservationID = id
	return c.save(ctx, s, StepReserved)
}

func (c *Checkout) authorize(ctx context.Context, s *Saga) error {
	res, err := c.payments.Authorize(ctx, AuthorizeRequest{OrderID: s.ID, Amount: s.Total, PaymentMethodID: s.PaymentMethodID,
		Token: s.PaymentToken, IdempotencyKey: s.ID + ":authorize", Guest: s.UserID == ""})
	var refused *StateError
	if errors.As(err, &refused) {
		return c.fail(ctx, s, CodePaymentDeclined, "the payment was refused: "+refused.Message)
	}
	if err != nil {
		return c.unavailable("authorize payment", err)
	}
	s.PaymentID = res.ID
	switch res.Status {
	case PaymentAuthorized:
		return c.save(ctx, s, StepAuthorized)
	case PaymentRequiresAction:
		// The customer must confirm with their bank: the order waits in
		// PENDING_PAYMENT, holding its stock until the hold lapses.
		if _, err := c.store.PlaceOrder(ctx, *s, PendingPayment, PaidNone, s.actor()); err != nil {
			return err
		}
		s.Step = StepDone
		return nil
	case PaymentFailed:
		msg := "the card was declined"
		if res.Declined != "" {
			msg += ": " + res.Declined
		}
		return c.fail(ctx, s, CodePaymentDeclined, msg)
	}
	return c.unavailable("authorize payment", errors.New("payment is "+res.Status))
}

func (c *Checkout) confirm(ctx context.Context, s *Saga) error {
	err := c.inventory.Convert(ctx, s.ReservationID)
	var lapsed *StateError
	if errors.As(err, &lapsed) {
		return c.fail(ctx, s, CodeReservationLapsed, "the stock hold lapsed before the order was confirmed; the payment was voided")
	}
	if err != nil {
		return c.unavailable("convert reservation", err)
	}
	if _, err := c.store.PlaceOrder(ctx, *s, Confirmed, PaidAuthorized, s.actor()); err != nil {
		return err
	}
	s.Step = StepDone
	return nil
}

// compensate undoes the saga's effects; each undo can be repeated.
func (c *Checkout) compensate(ctx context.Context, s *Saga) error {
	if s.ReservationID != "" {
		var st *StateError
		if err := c.inventory.Release(ctx, s.ReservationID); err != nil && !errors.As(err, &st) {
			return c.unavailable("release reservation", err)
		}
	}
	if s.PaymentID != "" && s.Failure.Code != CodePaymentDeclined {
		var st *StateError
		if err := c.payments.Void(ctx, s.PaymentID, s.ID+":void"); err != nil && !errors.As(err, &st) {
			return c.unavailable("void payment", err)
		}
	}
	return c.save(ctx, s, StepFailed)
}

// fail records why the saga cannot finish and moves it to COMPENSATING.
func (c *Checkout) fail(ctx context.Context, s *Saga, code, msg string) error {
	s.Failure = &errs.Problem{Code: code, Message: msg}
	return c.save(ctx, s, StepCompensating)
}

func (c *Checkout) save(ctx context.Context, s *Saga, step Step) error {
	s.Step = step
	if err := c.store.SaveSaga(ctx, *s); err != nil {
		return err
	}
	s.UpdatedAt = c.now()
	return nil
}

// unavailable logs why another subgraph failed and tells the customer to
// retry: the saga stays where it was, and the same key carries on from there.
func (c *Checkout) unavailable(what string, err error) error {
	c.log.Warn("checkout: "+what, "err", err)
	return errs.Problemf(nil, CodeUnavailable, "could not %s just now; retry with the same idempotency key", what)
}

// Resume carries on sagas nobody has touched for olderThan: it finishes
// those that can finish without the customer and compensates the others.
// It returns how many it looked at.
func (c *Checkout) Resume(ctx context.Context, olderThan time.Duration) (int, error) {
	ss, err := c.store.StaleSagas(ctx, c.now().Add(-olderThan), 50)
	if err != nil {
		return 0, err
	}
	for _, s := range ss {
		_, err := c.drive(ctx, s.ID, false)
		var p *errs.Problem
		if err != nil && !errors.As(err, &p) {
			c.log.Warn("checkout: resume", "order", s.ID, "err", err)
		}
	}
	return len(ss), nil
}

// voidOrphans voids every authorization of an abandoned checkout.
func (c *Checkout) voidOrphans(ctx context.Context, s *Saga) error {
	refs, err := c.payments.ByOrder(ctx, s.ID)
	if err != nil {
		return c.unavailable("list the order's payments", err)
	}
	for _, p := range refs {
		if p.Status != "AUTHORIZED" && p.Status != "REQUIRES_ACTION" {
			continue
		}
		var refused *StateError
		if err := c.payments.Void(ctx, p.ID, s.ID+":void-orphan:"+p.ID); err != nil && !errors.As(err, &refused) {
			return c.unavailable("void an abandoned authorization", err)
		}
		c.log.Warn("checkout: voided the authorization of an abandoned checkout", "order", s.ID, "payment", p.ID)
	}
	return nil
}

// actor is who placed the saga's order, in its events.
func (s *Saga) actor() string {
	if s.UserID == "" {
		return "guest"
	}
	return s.UserID
}
