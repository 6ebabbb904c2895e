package order

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/myshop/supergraph/subgraphs/platform/errs"
	"github.com/myshop/supergraph/subgraphs/platform/money"
)

// Step is how far a checkout saga got. Each step's effect on another
// subgraph carries an idempotency key made of the order id and the step,
// so running a step again (a retry, the resumer) repeats nothing.
type Step string

// Steps, in order. COMPENSATING undoes what was done (releases the stock,
// voids an authorization) before FAILED.
const (
	StepPriced       Step = "PRICED"
	StepReserved     Step = "RESERVED"
	StepAuthorizing  Step = "AUTHORIZING"
	StepAuthorized   Step = "AUTHORIZED"
	StepCompensating Step = "COMPENSATING"
	StepDone         Step = "DONE"
	StepFailed       Step = "FAILED"
)

// Saga is one placeOrder: what it is buying at which prices, and how far
// it got. Its id is the id of the order it makes.
type Saga struct {
	ID              string
	UserID          string
	CartID          string
	Key             string
	Channel         string
	Lines           []Line
	Total           money.Money
	Address         Address
	PaymentMethodID string
	PaymentToken    string
	Step            Step
	ReservationID   string
	PaymentID       string
	Failure         *Problem // set from COMPENSATING on
	UpdatedAt       time.Time
}

// PlaceInput is a customer's request to turn their cart into an order.
type PlaceInput struct {
	CartID          string
	PaymentMethodID string
	PaymentToken    string
	IdempotencyKey  string
}

// Checkout runs checkout sagas: price, reserve stock, authorize payment,
// convert the reservation and confirm; or compensate.
type Checkout struct {
	store     Store
	catalog   Catalog
	inventory Inventory
	payments  Payments
	newID     func(string) string
	log       *slog.Logger
	now       func() time.Time

	// ReservationTTL is how long stock is held for a checkout.
	ReservationTTL time.Duration
	// Lease is how long one runner holds a saga before another may take over.
	Lease time.Duration
	// Hook, when set, runs before each step; an error stops the saga right
	// there, as a crash would. Tests use it.
	Hook func(Step) error
}

// NewCheckout returns the checkout service.
func NewCheckout(store Store, catalog Catalog, inventory Inventory, payments Payments, newID func(string) string, log *slog.Logger) *Checkout {
	return &Checkout{store: store, catalog: catalog, inventory: inventory, payments: payments, newID: newID, log: log,
		now: time.Now, ReservationTTL: 15 * time.Minute, Lease: time.Minute}
}

// Place turns the caller's cart into an order. The same key and cart give
// the same order however often they are sent, and a cart gives at most one
// order; the same key with another cart is IDEMPOTENCY_KEY_REUSED.
func (c *Checkout) Place(ctx context.Context, in PlaceInput) (Order, error) {
	cl, err := signedIn(ctx)
	if err != nil {
		return Order{}, err
	}
	if strings.TrimSpace(in.IdempotencyKey) == "" || len(in.IdempotencyKey) > 255 {
		return Order{}, errs.New(errs.Invalid, "idempotencyKey must be 1 to 255 characters")
	}
	if (in.PaymentMethodID == "") == (in.PaymentToken == "") {
		return Order{}, problem("paymentMethodId", CodePaymentRequired, "give exactly one of paymentMethodId and paymentToken")
	}
	s, err := c.store.SagaByKey(ctx, cl.UserID(), in.IdempotencyKey)
	if errors.Is(err, ErrNotFound) {
		s, err = c.start(ctx, cl.UserID(), in)
	}
	if err != nil {
		return Order{}, err
	}
	if s.CartID != in.CartID {
		return Order{}, problem("idempotencyKey", CodeKeyReused, "this idempotency key was used for another cart")
	}
	return c.drive(ctx, s.ID, true)
}

// start prices the cart and records the saga; when the cart already has a
// live saga (another key, or a race on this one), that saga is the answer.
func (c *Checkout) start(ctx context.Context, userID string, in PlaceInput) (Saga, error) {
	cart, err := c.store.CartByID(ctx, in.CartID)
	if errors.Is(err, ErrNotFound) || (err == nil && cart.UserID != userID) {
		return Saga{}, problem("cartId", CodeNotFound, "no cart %s", in.CartID)
	}
	if err != nil {
		return Saga{}, err
	}
	if cart.Ordered {
		return c.store.LiveSagaByCart(ctx, cart.ID)
	}
	s, err := c.price(ctx, cart)
	if err != nil {
		return Saga{}, err
	}
	s.ID, s.UserID, s.Key, s.Step = c.newID("ord"), userID, in.IdempotencyKey, StepPriced
	s.PaymentMethodID, s.PaymentToken = in.PaymentMethodID, in.PaymentToken
	switch err := c.store.CreateSaga(ctx, s); {
	case errors.Is(err, ErrKeyTaken):
		return c.store.SagaByKey(ctx, userID, in.IdempotencyKey)
	case errors.Is(err, ErrCartTaken):
		return c.store.LiveSagaByCart(ctx, cart.ID)
	case err != nil:
		return Saga{}, err
	}
	return s, nil
}

// price copies the cart's lines at the catalog's prices now: the client
// never says what anything costs.
func (c *Checkout) price(ctx context.Context, cart Cart) (Saga, error) {
	if len(cart.Lines) == 0 {
		return Saga{}, problem("cartId", CodeCartEmpty, "the cart is empty")
	}
	if cart.Address == nil {
		return Saga{}, problem("cartId", CodeAddressRequired, "the cart has no shipping address")
	}
	ids := make([]string, len(cart.Lines))
	for i, l := range cart.Lines {
		ids[i] = l.VariantID
	}
	vs, err := c.catalog.Variants(ctx, cart.Channel, ids)
	if err != nil {
		return Saga{}, c.unavailable("price", err)
	}
	currency := Channels[cart.Channel]
	s := Saga{CartID: cart.ID, Channel: cart.Channel, Address: *cart.Address, Total: money.Money{Currency: currency}}
	for _, l := range cart.Lines {
		v, ok := vs[l.VariantID]
		if !ok || v.Price == nil || v.Price.Currency != currency {
			return Saga{}, problem("lines", CodeVariantNotAvailable, "%s is not sold in %s", l.VariantID, cart.Channel)
		}
		line := Line{VariantID: v.ID, SKU: v.SKU, Name: v.Name, Quantity: l.Quantity, UnitPrice: *v.Price}
		s.Lines = append(s.Lines, line)
		s.Total.Minor += line.Total().Minor
	}
	return s, nil
}

// drive runs saga id from where it stands until it is done, failed, or
// (for the resumer, which cannot pay as the customer) can go no further.
func (c *Checkout) drive(ctx context.Context, id string, interactive bool) (Order, error) {
	s, err := c.lease(ctx, id, interactive)
	if err != nil {
		return Order{}, err
	}
	defer func() {
		if err := c.store.EndLease(context.WithoutCancel(ctx), id); err != nil {
			c.log.Warn("checkout: end lease", "order", id, "err", err)
		}
	}()
	for {
		switch s.Step {
		case StepDone:
			os, err := c.store.OrdersByIDs(ctx, []string{s.ID})
			if err != nil || len(os) == 0 {
				return Order{}, errors.Join(errors.New("placed order vanished"), err)
			}
			return os[0], nil
		case StepFailed:
			return Order{}, s.Failure
		}
		if c.Hook != nil {
			if err := c.Hook(s.Step); err != nil {
				return Order{}, err
			}
		}
		more, err := c.step(ctx, &s, interactive)
		if err != nil || !more {
			return Order{}, err
		}
	}
}

// lease takes the saga; a customer's request waits a while for another
// runner (a concurrent retry) to finish, then reads its outcome.
func (c *Checkout) lease(ctx context.Context, id string, wait bool) (Saga, error) {
	deadline := c.now().Add(20 * time.Second)
	for {
		s, err := c.store.LeaseSaga(ctx, id, c.Lease)
		if !errors.Is(err, ErrConflict) {
			return s, err
		}
		if !wait || c.now().After(deadline) {
			return Saga{}, problem("idempotencyKey", CodeInProgress, "this checkout is still running; retry with the same idempotency key")
		}
		select {
		case <-ctx.Done():
			return Saga{}, ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}

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
			// Only the customer's retry can ask payments what became of the
			// authorization; after the stock hold lapses, give up on it.
			if c.now().Sub(s.UpdatedAt) < c.ReservationTTL {
				return false, nil
			}
			c.log.Error("checkout: authorization outcome unknown; void it by hand if it succeeded", "order", s.ID)
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
		s.Failure = &Problem{Field: "cartId", Code: CodeInsufficientStock, Message: "not enough stock for this cart", Shortages: short.Shortages}
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
		Token: s.PaymentToken, IdempotencyKey: s.ID + ":authorize"})
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
		if _, err := c.store.PlaceOrder(ctx, *s, PendingPayment, s.UserID); err != nil {
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
	if _, err := c.store.PlaceOrder(ctx, *s, Confirmed, s.UserID); err != nil {
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
	s.Failure = &Problem{Code: code, Message: msg}
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
	return problem("", CodeUnavailable, "could not %s just now; retry with the same idempotency key", what)
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
		var p *Problem
		if err != nil && !errors.As(err, &p) {
			c.log.Warn("checkout: resume", "order", s.ID, "err", err)
		}
	}
	return len(ss), nil
}
