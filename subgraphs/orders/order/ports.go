package order

import (
	"context"
	"errors"
	"time"

	"github.com/myshop/supergraph/subgraphs/platform/money"
)

// Store is all of the orders subgraph's storage, as the postgres package
// implements it; each use case asks only for the part it uses.
type Store interface {
	CartStore
	SagaStore
	LifecycleStore
	TaxStore
}

// CartStore is what the cart service (Carts) reads and writes.
type CartStore interface {
	// OpenCart returns the user's open cart in channel, creating it with
	// id newID when there is none.
	OpenCart(ctx context.Context, userID, channel, newID string) (Cart, error)
	// FindOpenCart is the user's open cart in channel, or ErrNotFound.
	FindOpenCart(ctx context.Context, userID, channel string) (Cart, error)
	CartByID(ctx context.Context, id string) (Cart, error)
	// AddCartLine adds delta units of a variant; ErrQuantity when the line
	// would hold more than MaxQuantity.
	AddCartLine(ctx context.Context, cartID, variantID string, delta int) error
	// SetCartLine sets a line's quantity; 0 removes it.
	SetCartLine(ctx context.Context, cartID, variantID string, quantity int) error
	SetCartAddress(ctx context.Context, cartID string, a Address) error
	// SetCartBilling sets the billing address; nil: the shipping address.
	SetCartBilling(ctx context.Context, cartID string, a *Address) error
	SetCartMethod(ctx context.Context, cartID string, m ShippingMethod) error
	// CreateGuestCart opens a cart without a user, reached by its token.
	CreateGuestCart(ctx context.Context, id, channel, tokenHash string) (Cart, error)
	// CartByToken is the open guest cart with this token hash, or ErrNotFound.
	CartByToken(ctx context.Context, tokenHash string) (Cart, error)
	// MergeCart moves the open guest cart's lines into the cart into
	// (quantities of one variant add, up to MaxQuantity), with its
	// addresses and method where into has none, and closes the guest cart,
	// atomically; ErrNotFound when the guest cart is no longer open.
	MergeCart(ctx context.Context, guestID, into string) error
}

// SagaStore is what the checkout saga (Checkout) reads and writes, beside
// the cart it checks out and the order it places.
type SagaStore interface {
	CartByID(ctx context.Context, id string) (Cart, error)
	OrdersByIDs(ctx context.Context, ids []string) ([]Order, error)
	// CreateSaga stores a new saga; ErrKeyTaken or ErrCartTaken when one
	// with the same user and key, or a live one for the cart, exists.
	CreateSaga(ctx context.Context, s Saga) error
	SagaByKey(ctx context.Context, userID, key string) (Saga, error)
	LiveSagaByCart(ctx context.Context, cartID string) (Saga, error)
	SagaByID(ctx context.Context, id string) (Saga, error)
	// LeaseSaga gives the caller the saga for d and returns it as it now
	// stands; ErrConflict when another runner holds it.
	LeaseSaga(ctx context.Context, id string, d time.Duration) (Saga, error)
	EndLease(ctx context.Context, id string) error
	// SaveSaga writes a saga's progress (step, ids, failure).
	SaveSaga(ctx context.Context, s Saga) error
	// StaleSagas are unfinished, unleased sagas last touched before t.
	StaleSagas(ctx context.Context, before time.Time, limit int) ([]Saga, error)
	// CartByToken is the open guest cart with this token hash, or ErrNotFound.
	CartByToken(ctx context.Context, tokenHash string) (Cart, error)
	// PlaceOrder creates the saga's order in status with its lines, first
	// event and outbox events, marks the saga DONE and the cart ordered, in
	// one transaction.
	PlaceOrder(ctx context.Context, s Saga, status Status, payment PaymentStatus, actor string) (Order, error)
}

// OrderReader reads placed orders: the loaders, lists and subscriptions.
type OrderReader interface {
	OrdersByIDs(ctx context.Context, ids []string) ([]Order, error)
	LinesByOrders(ctx context.Context, orderIDs []string) ([]Line, error)
	EventsByOrders(ctx context.Context, orderIDs []string) ([]Event, error)
	FulfillmentsByOrders(ctx context.Context, orderIDs []string) ([]Fulfillment, error)
	// ListOrders returns up to limit orders matching f in sort order, after
	// the position after (nil: from the start); and whether more follow.
	ListOrders(ctx context.Context, f ListFilter, sort Sort, after *Position, limit int) ([]Order, bool, error)
}

// LifecycleStore is what the order lifecycle (Orders) needs: the orders,
// their status changes and their fulfilments.
type LifecycleStore interface {
	OrderReader
	// Transition moves an order from one status to another, bumps its
	// version and records the event and its outbox rows, atomically;
	// ErrConflict when the order is no longer in from.
	Transition(ctx context.Context, c Change) (Order, error)
	// FulfilmentByKey is the order's fulfilment recorded under key, pending
	// or done; ErrNotFound when there is none.
	FulfilmentByKey(ctx context.Context, orderID, key string) (Fulfillment, error)
	// BeginFulfilment records f as pending under the order's lock, unless
	// the order has one with f.Key already, which it returns instead.
	// ErrConflict when, counting pending ones, a variant would ship more
	// than was ordered.
	BeginFulfilment(ctx context.Context, f Fulfillment) (Fulfillment, error)
	// AbandonFulfilment forgets a pending fulfilment whose units did not
	// ship (inventory refused them).
	AbandonFulfilment(ctx context.Context, id string) error
	// CompleteFulfilment marks a pending fulfilment done, moves the order
	// to PARTIALLY_SHIPPED or (when everything has shipped) SHIPPED, with
	// payment as the payment's status when not "", and records the events,
	// in one transaction. Done already: it changes nothing.
	CompleteFulfilment(ctx context.Context, f Fulfillment, payment PaymentStatus) (Order, error)
	// SetPaymentStatus records the payment's status on the order (a refund
	// that changes no order status).
	SetPaymentStatus(ctx context.Context, orderID string, ps PaymentStatus) (Order, error)
	// ClaimGuestOrders gives the guest orders placed with email to
	// userID and returns how many.
	ClaimGuestOrders(ctx context.Context, userID, email string) (int, error)
	// BeginLineRefund books, under the order's lock, the units a refund by
	// lines gives back under key, as plan decides from the units of each
	// variant given back before (pending ones too); unless key has units
	// booked already, which it returns instead.
	BeginLineRefund(ctx context.Context, orderID, key string, plan func(refunded map[string]int) (LineRefundPlan, error)) (LineRefundPlan, error)
	// FinishLineRefund marks key's units given back (done) or frees them
	// (payments refused).
	FinishLineRefund(ctx context.Context, orderID, key string, done bool) error
	// ShippingByOrder is like FulfillmentsByOrders with pending ones too.
	ShippingByOrder(ctx context.Context, orderID string) ([]Fulfillment, error)
}

// Change is one status change of an order and what it did to the payment.
type Change struct {
	OrderID  string
	From, To Status
	Actor    string
	Note     string
	// Payment is the payment's status after the change; "" leaves it.
	Payment PaymentStatus
}

// ErrQuantity: a cart line would exceed MaxQuantity.
var ErrQuantity = errors.New("too many units on one line")

// Variant is what the catalog says of a variant in one channel.
type Variant struct {
	ID    string
	SKU   string
	Name  string
	Price *money.Money // nil: not sold in the channel
	// ProductID and CategoryID ("" when uncategorised) are kept on the
	// order line, for sales per category.
	ProductID, CategoryID string
	// ProductTypeID ("" when untyped) chooses the tax class with ProductID.
	ProductTypeID string
	// WeightGrams of one unit prices weight-banded shipping.
	WeightGrams int
}

// Catalog prices variants (the products subgraph).
type Catalog interface {
	// Variants returns the variants it knows among ids; unknown ones are
	// missing from the map.
	Variants(ctx context.Context, channel string, ids []string) (map[string]Variant, error)
}

// ErrUnavailable wraps a failure to reach another subgraph or an answer
// that makes no sense: the outcome is unknown, retrying is safe.
var ErrUnavailable = errors.New("upstream unavailable")

// Inventory holds and releases stock (the inventory subgraph), as the
// orders service. Convert and Release succeed when the reservation is
// already where they would put it, and FulfillLines is keyed, so each can
// be repeated.
type Inventory interface {
	Available(ctx context.Context, variantIDs []string) (map[string]int, error)
	// Reserve holds the lines; *ShortageError when stock is short.
	Reserve(ctx context.Context, r ReserveRequest) (reservationID string, err error)
	// Convert: *StateError when the reservation expired or was released.
	Convert(ctx context.Context, id string) error
	// Release: *StateError when its units already shipped.
	Release(ctx context.Context, id string) error
	// FulfillLines ships exactly these units of the reservation (the rest
	// stays allocated); key makes a repeat ship nothing more.
	FulfillLines(ctx context.Context, id string, lines []FulfillmentLine, key string) error
}

// ReserveRequest is one checkout's hold on stock.
type ReserveRequest struct {
	Reference      string
	Lines          []Line
	Country        string
	TTL            time.Duration
	IdempotencyKey string
}

// ShortageError is inventory's INSUFFICIENT_STOCK.
type ShortageError struct{ Shortages []Shortage }

func (e *ShortageError) Error() string { return "insufficient stock" }

// StateError: a reservation or payment cannot make the move from where it is.
type StateError struct{ Status, Message string }

func (e *StateError) Error() string { return e.Message }

// Payments authorizes and settles payments (the payments subgraph).
// Authorize acts as the signed-in customer of ctx; the others as the
// orders service.
type Payments interface {
	Authorize(ctx context.Context, r AuthorizeRequest) (PaymentResult, error)
	Status(ctx context.Context, paymentID string) (string, error)
	// NextAction is what the customer must do before the payment can go
	// on (3-D Secure); nil when nothing.
	NextAction(ctx context.Context, paymentID string) (*PaymentAction, error)
	// ByOrder lists an order's payments with their status.
	ByOrder(ctx context.Context, orderID string) ([]PaymentRef, error)
	// Capture, Void and Refund take everything left; *StateError when the
	// payment is not in a state that allows it.
	Capture(ctx context.Context, paymentID, key string) error
	Void(ctx context.Context, paymentID, key string) error
	Refund(ctx context.Context, paymentID, key string) error
	// RefundAmount gives back amount (nil: all that is left) and returns
	// the payment's status after; *StateError when more than is left.
	RefundAmount(ctx context.Context, paymentID, key string, amount *money.Money) (string, error)
}

// AuthorizeRequest is the payment for one order.
type AuthorizeRequest struct {
	OrderID         string
	Amount          money.Money
	PaymentMethodID string
	Token           string
	IdempotencyKey  string
	// Guest: a guest's order, authorized by the orders service on their
	// behalf (there is no customer token to act with).
	Guest bool
}

// PaymentResult is a payment's id and status (payments' PaymentStatus).
type PaymentResult struct {
	ID     string
	Status string
	// Declined is set with the provider's reason when the authorization
	// was refused.
	Declined string
}

// Payment statuses orders acts on.
const (
	PaymentAuthorized     = "AUTHORIZED"
	PaymentRequiresAction = "REQUIRES_ACTION"
	PaymentFailed         = "FAILED"
)

// PaymentAction is a step only the customer can take for their bank:
// open RedirectURL, or let the provider's client library finish it with
// ClientSecret. Type is REDIRECT or SDK.
type PaymentAction struct {
	Type, RedirectURL, ClientSecret string
}

// PaymentRef is a payment of an order and its status.
type PaymentRef struct {
	ID     string
	Status string
}
