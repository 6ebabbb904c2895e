// Package order is the orders domain: carts priced live from the catalog,
// the checkout saga that turns a cart into an order without overselling or
// charging twice, and the order status state machine.
package order

import (
	"errors"
	"fmt"
	"time"

	"github.com/myshop/supergraph/subgraphs/platform/money"
)

// Permissions this domain checks.
const (
	ManageOrders = "MANAGE_ORDERS"
	ReadOrders   = "READ_ORDERS"
)

// Order is a placed order. Its lines, prices and address are copies made
// when it was placed; later catalog or address-book changes do not touch it.
type Order struct {
	ID      string
	Number  int64
	UserID  string
	Channel string
	Status  Status
	Version int
	// Total is what the customer pays: the lines and shipping with their
	// tax (Subtotal + ShippingPrice + TaxTotal when prices are entered
	// net; Subtotal + ShippingPrice, tax inside, when gross, less the tax
	// a tax-exempt customer does not pay).
	Total money.Money
	// Subtotal is the sum of the lines' totals as entered (net or gross,
	// as the channel prices).
	Subtotal money.Money
	// ShippingPrice is as entered; ShippingTax the tax on it.
	ShippingPrice money.Money
	ShippingTax   money.Money
	// TaxTotal is the lines' and shipping's tax, as placed.
	TaxTotal         money.Money
	PricesIncludeTax bool
	ShippingMethod   ShippingMethod // "" for orders placed before methods existed
	ShippingAddress  Address
	BillingAddress   Address
	ReservationID    string
	PaymentID        string
	// PaymentStatus is the payment's status as orders last knew it.
	PaymentStatus     PaymentStatus
	FulfillmentStatus FulfillmentStatus
	// GuestEmail is where a guest's order goes ("" for a customer's); a
	// guest order has no UserID until the email's owner verifies it.
	GuestEmail string
	CreatedAt  time.Time
}

// PaymentStatus is where an order's money stands (payments' ledger, as
// orders last saw it).
type PaymentStatus string

// Payment statuses of an order.
const (
	PaidNone              PaymentStatus = "NONE"
	PaidAuthorized        PaymentStatus = "AUTHORIZED"
	PaidPartially         PaymentStatus = "PARTIALLY_PAID"
	PaidFully             PaymentStatus = "PAID"
	PaidPartiallyRefunded PaymentStatus = "PARTIALLY_REFUNDED"
	PaidRefunded          PaymentStatus = "REFUNDED"
	PaidVoided            PaymentStatus = "VOIDED"
)

// Line is one variant on an order, at the price it was sold for.
type Line struct {
	OrderID   string
	VariantID string
	SKU       string
	Name      string
	Quantity  int
	UnitPrice money.Money
	// ProductID and CategoryID are the variant's product and its category
	// when the order was placed ("" on older orders, or uncategorised).
	ProductID, CategoryID string
	// Net and Gross are the line's total without and with its Tax, at
	// TaxRate of the class TaxClass: Net + Tax == Gross, copied when the
	// order was placed, so a later rate change leaves it as it is. Orders
	// placed before taxes have no tax, and Net == Gross == Total().
	Net, Tax, Gross money.Money
	TaxRate         Rate
	TaxClass        string
}

// Total is the line's unit price times its quantity, as entered (net or
// gross, as the channel prices): lines are whole minor units already.
func (l Line) Total() money.Money {
	return money.Money{Minor: l.UnitPrice.Minor * int64(l.Quantity), Currency: l.UnitPrice.Currency}
}

// Event is one status change of an order.
type Event struct {
	OrderID string
	Version int
	From    Status // "" for the order's creation
	To      Status
	Actor   string
	Note    string
	At      time.Time
}

// Errors the store returns.
var (
	ErrNotFound = errors.New("not found")
	// ErrConflict: the row changed under us (another transition won).
	ErrConflict = errors.New("changed concurrently")
	// ErrKeyTaken: a saga with this user and idempotency key exists.
	ErrKeyTaken = errors.New("idempotency key taken")
	// ErrCartTaken: a live saga for this cart exists.
	ErrCartTaken = errors.New("cart already checking out")
)

// Codes of the typed errors in payloads (CartErrorCode,
// CheckoutErrorCode, OrderErrorCode).
const (
	CodeNotFound            = "NOT_FOUND"
	CodeInvalidQuantity     = "INVALID_QUANTITY"
	CodeInvalidAddress      = "INVALID_ADDRESS"
	CodeInvalidChannel      = "INVALID_CHANNEL"
	CodeVariantNotFound     = "VARIANT_NOT_FOUND"
	CodeCartEmpty           = "CART_EMPTY"
	CodeAddressRequired     = "SHIPPING_ADDRESS_REQUIRED"
	CodeVariantNotAvailable = "VARIANT_NOT_AVAILABLE"
	CodeInsufficientStock   = "INSUFFICIENT_STOCK"
	CodePaymentRequired     = "PAYMENT_METHOD_REQUIRED"
	CodePaymentDeclined     = "PAYMENT_DECLINED"
	CodeKeyReused           = "IDEMPOTENCY_KEY_REUSED"
	CodeInProgress          = "CHECKOUT_IN_PROGRESS"
	CodeReservationLapsed   = "RESERVATION_EXPIRED"
	CodeUnavailable         = "SERVICE_UNAVAILABLE"
	CodeInvalidTransition   = "INVALID_TRANSITION"
	CodeCheckoutAbandoned   = "CHECKOUT_ABANDONED"
	CodeUpstreamRefused     = "UPSTREAM_REFUSED"
	CodeInvalidFulfillment  = "INVALID_FULFILLMENT"
	CodeMethodNotAvailable  = "SHIPPING_METHOD_NOT_AVAILABLE"
	CodeSignInRequired      = "SIGN_IN_REQUIRED"
	CodeInvalidRefund       = "INVALID_REFUND"
)

// TransitionError is the failure behind an INVALID_TRANSITION problem:
// the payload says where the order may go instead.
type TransitionError struct{ From, To Status }

func (e *TransitionError) Error() string {
	return fmt.Sprintf("an order in %s cannot become %s", e.From, e.To)
}

// Shortage is what one variant lacks for a checkout.
type Shortage struct {
	VariantID string `json:"variantId"`
	Requested int    `json:"requested"`
	Available int    `json:"available"`
}
