package order

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/platform/idempotency"
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
	ID             string
	UserID         string
	CartID         string
	Key            string
	Channel        string
	Lines          []Line
	Total          money.Money // lines plus shipping, with their tax
	Address        Address
	Billing        Address
	ShippingMethod ShippingMethod
	ShippingPrice  money.Money
	// ShippingTax and TaxTotal (lines and shipping) are the tax as priced.
	ShippingTax      money.Money
	TaxTotal         money.Money
	PricesIncludeTax bool
	PaymentMethodID  string
	PaymentToken     string
	// GuestEmail and GuestTokenHash are set for a guest's checkout: where
	// the order goes, and the hash of its access token (OrderToken).
	GuestEmail     string
	GuestTokenHash string
	Step           Step
	ReservationID  string
	PaymentID      string
	Failure        *errs.Problem // set from COMPENSATING on
	UpdatedAt      time.Time
}

// PlaceInput is a customer's request to turn their cart into an order.
type PlaceInput struct {
	CartID          string
	PaymentMethodID string
	PaymentToken    string
	IdempotencyKey  string

	// A guest's checkout (PlaceGuest): their email and cart token.
	guestEmail, cartToken string
}

// Checkout runs checkout sagas: price, reserve stock, authorize payment,
// convert the reservation and confirm; or compensate.
type Checkout struct {
	store     SagaStore
	catalog   Catalog
	inventory Inventory
	payments  Payments
	taxes     *Taxes
	shipping  *Shipping
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
func NewCheckout(store SagaStore, catalog Catalog, inventory Inventory, payments Payments, taxes *Taxes, shipping *Shipping, newID func(string) string, log *slog.Logger) *Checkout {
	return &Checkout{store: store, catalog: catalog, inventory: inventory, payments: payments, taxes: taxes, shipping: shipping, newID: newID, log: log,
		now: time.Now, ReservationTTL: 15 * time.Minute, Lease: time.Minute}
}

// Place turns the caller's cart into an order. The same key and cart give
// the same order however often they are sent, and a cart gives at most one
// order; the same key with another cart is IDEMPOTENCY_KEY_REUSED.
func (c *Checkout) Place(ctx context.Context, in PlaceInput) (Order, error) {
	cl, err := auth.SignedIn(ctx)
	if err != nil {
		return Order{}, err
	}
	if err := idempotency.CheckKey(in.IdempotencyKey); err != nil {
		return Order{}, err
	}
	if (in.PaymentMethodID == "") == (in.PaymentToken == "") {
		return Order{}, errs.Problemf(errs.Field("paymentMethodId"), CodePaymentRequired, "give exactly one of paymentMethodId and paymentToken")
	}
	s, err := c.store.SagaByKey(ctx, cl.UserID(), in.IdempotencyKey)
	if errors.Is(err, ErrNotFound) {
		s, err = c.start(ctx, cl.UserID(), in)
	}
	if err != nil {
		return Order{}, err
	}
	if s.CartID != in.CartID {
		return Order{}, errs.Problemf(errs.Field("idempotencyKey"), CodeKeyReused, "this idempotency key was used for another cart")
	}
	return c.drive(ctx, s.ID, true)
}

// start prices the cart and records the saga; when the cart already has a
// live saga (another key, or a race on this one), that saga is the answer.
func (c *Checkout) start(ctx context.Context, userID string, in PlaceInput) (Saga, error) {
	cart, err := c.store.CartByID(ctx, in.CartID)
	if errors.Is(err, ErrNotFound) || (err == nil && cart.UserID != userID) {
		return Saga{}, errs.Problemf(errs.Field("cartId"), CodeNotFound, "no cart %s", in.CartID)
	}
	if err != nil {
		return Saga{}, err
	}
	if cart.Ordered {
		return c.store.LiveSagaByCart(ctx, cart.ID)
	}
	s, err := c.price(ctx, cart, userID)
	if err != nil {
		return Saga{}, err
	}
	s.ID, s.UserID, s.Key, s.Step = c.newID("ord"), userID, in.IdempotencyKey, StepPriced
	s.PaymentMethodID, s.PaymentToken = in.PaymentMethodID, in.PaymentToken
	if in.cartToken != "" {
		s.GuestEmail, s.GuestTokenHash = in.guestEmail, HashCartToken(OrderToken(in.cartToken, s.ID))
	}
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

// price copies the cart's lines at the catalog's prices now (the client
// never says what anything costs) and taxes them to the shipping address,
// for the customer userID ("" for a guest).
func (c *Checkout) price(ctx context.Context, cart Cart, userID string) (Saga, error) {
	if len(cart.Lines) == 0 {
		return Saga{}, errs.Problemf(errs.Field("cartId"), CodeCartEmpty, "the cart is empty")
	}
	if cart.Address == nil {
		return Saga{}, errs.Problemf(errs.Field("cartId"), CodeAddressRequired, "the cart has no shipping address")
	}
	ids := make([]string, len(cart.Lines))
	for i, l := range cart.Lines {
		ids[i] = l.VariantID
	}
	vs, err := c.catalog.Variants(ctx, cart.Channel, ids)
	if err != nil {
		return Saga{}, c.unavailable("price", err)
	}
	ch, err := c.shipping.Channel(ctx, cart.Channel)
	if err != nil {
		return Saga{}, err
	}
	currency := ch.Currency
	s := Saga{CartID: cart.ID, Channel: cart.Channel, Address: *cart.Address, Billing: *cart.BillingAddress()}
	items := make([]Taxable, len(cart.Lines))
	var weight, subtotal int64
	for i, l := range cart.Lines {
		v, ok := vs[l.VariantID]
		if !ok || v.Price == nil || v.Price.Currency != currency {
			return Saga{}, errs.Problemf(errs.Field("lines"), CodeVariantNotAvailable, "%s is not sold in %s", l.VariantID, cart.Channel)
		}
		line := Line{VariantID: v.ID, SKU: v.SKU, Name: v.Name, Quantity: l.Quantity, UnitPrice: *v.Price,
			ProductID: v.ProductID, CategoryID: v.CategoryID}
		s.Lines = append(s.Lines, line)
		items[i] = Taxable{Amount: line.Total().Minor, ProductID: v.ProductID, ProductTypeID: v.ProductTypeID}
		weight, subtotal = weight+int64(v.WeightGrams)*int64(l.Quantity), subtotal+line.Total().Minor
	}
	qs, err := c.shipping.Quotes(ctx, ch, *cart.Address, weight, subtotal)
	if err != nil {
		return Saga{}, err
	}
	ship, ok := pick(cart.ShippingMethod, qs)
	if !ok {
		return Saga{}, errs.Problemf(errs.Field("cartId"), CodeAddressRequired, "nothing ships this cart to %s", cart.Address.CountryCode)
	}
	s.ShippingMethod, s.ShippingPrice = ship.Method, ship.Price
	tx, err := c.taxes.Apply(ctx, ch.Tax, *cart.Address, userID, items, &ship.Price.Minor)
	if err != nil {
		return Saga{}, err
	}
	m := func(minor int64) money.Money { return money.Money{Minor: minor, Currency: currency} }
	for i, t := range tx.Lines {
		l := &s.Lines[i]
		l.Net, l.Tax, l.Gross, l.TaxRate, l.TaxClass = m(t.Net), m(t.Tax), m(t.Gross), t.Rate, tx.Classes[i]
	}
	s.ShippingTax, s.TaxTotal, s.Total = m(tx.Shipping.Tax), m(tx.TotalTax), m(tx.Gross)
	s.PricesIncludeTax = tx.Setting.PricesIncludeTax
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
			return Saga{}, errs.Problemf(errs.Field("idempotencyKey"), CodeInProgress, "this checkout is still running; retry with the same idempotency key")
		}
		select {
		case <-ctx.Done():
			return Saga{}, ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// NextAction is what the customer must do for their bank before an order
// placed PENDING_PAYMENT can confirm; nil for any other order. The
// caller must be the one who placed the order.
func (c *Checkout) NextAction(ctx context.Context, o Order) (*PaymentAction, error) {
	if o.Status != PendingPayment || o.PaymentID == "" {
		return nil, nil
	}
	a, err := c.payments.NextAction(ctx, o.PaymentID)
	if err != nil {
		return nil, c.unavailable("read what the payment needs", err)
	}
	return a, nil
}
