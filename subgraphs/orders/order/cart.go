package order

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/myshop/supergraph/subgraphs/platform/auth"
	"github.com/myshop/supergraph/subgraphs/platform/errs"
	"github.com/myshop/supergraph/subgraphs/platform/money"
)

// MaxQuantity is the most units of one variant a cart line holds.
const MaxQuantity = 100

// DefaultChannel is the channel of a cart when none is named.
const DefaultChannel = "default-usd"

// Channels are the sales channels and their currencies (the products
// subgraph's channels).
var Channels = map[string]money.Currency{"default-usd": "USD", "eu-eur": "EUR", "jp-jpy": "JPY"}

// Cart is a customer's basket in one channel.
type Cart struct {
	ID        string
	UserID    string
	Channel   string
	Ordered   bool // an order was placed from it; it takes no more changes
	Address   *Address
	Lines     []CartLine // oldest first
	UpdatedAt time.Time
}

// CartLine is a variant and how many; its price is read live.
type CartLine struct {
	VariantID string
	Quantity  int
}

// View is a cart priced now: its lines, total and what would block
// checkout.
type View struct {
	Lines    []PricedLine
	Total    *money.Money // nil when no line has a price
	Problems []CartProblem
}

// PricedLine is a cart line with its current price (nil when the variant
// is unknown or not sold in the cart's channel).
type PricedLine struct {
	CartLine
	UnitPrice *money.Money
	LineTotal *money.Money
}

// CartProblem is a non-blocking issue the cart reports (Saleor's
// CheckoutProblem): the cart mutation succeeded, checkout would fail.
type CartProblem struct {
	Code      string
	Message   string
	VariantID string
	Available *int
}

// Carts is the cart use cases.
type Carts struct {
	store     Store
	catalog   Catalog
	inventory Inventory
	newID     func(string) string
}

// NewCarts returns the cart service.
func NewCarts(store Store, catalog Catalog, inventory Inventory, newID func(string) string) *Carts {
	return &Carts{store: store, catalog: catalog, inventory: inventory, newID: newID}
}

func signedIn(ctx context.Context) (*auth.Claims, error) {
	c := auth.FromContext(ctx)
	if c == nil {
		return nil, errs.New(errs.Unauthenticated, "sign in first")
	}
	return c, nil
}

// CheckChannel returns channel, or DefaultChannel when empty, if it exists.
func CheckChannel(channel string) (string, error) {
	if channel == "" {
		return DefaultChannel, nil
	}
	if _, ok := Channels[channel]; !ok {
		return "", problem("channel", CodeInvalidChannel, "unknown channel %q", channel)
	}
	return channel, nil
}

// Mine is the caller's open cart in channel; ErrNotFound when none.
func (c *Carts) Mine(ctx context.Context, channel string) (Cart, error) {
	cl, err := signedIn(ctx)
	if err != nil {
		return Cart{}, err
	}
	if channel, err = CheckChannel(channel); err != nil {
		return Cart{}, err
	}
	return c.store.FindOpenCart(ctx, cl.UserID(), channel)
}

// Add puts quantity more units of a variant in the caller's open cart in
// channel, opening one if needed. The variant must exist in the catalog.
func (c *Carts) Add(ctx context.Context, channel, variantID string, quantity int) (Cart, error) {
	cl, err := signedIn(ctx)
	if err != nil {
		return Cart{}, err
	}
	if channel, err = CheckChannel(channel); err != nil {
		return Cart{}, err
	}
	if quantity < 1 || quantity > MaxQuantity {
		return Cart{}, problem("quantity", CodeInvalidQuantity, "quantity must be between 1 and %d", MaxQuantity)
	}
	vs, err := c.catalog.Variants(ctx, channel, []string{variantID})
	if err != nil {
		return Cart{}, fmt.Errorf("look up variant: %w", err)
	}
	if _, ok := vs[variantID]; !ok {
		return Cart{}, problem("variantId", CodeVariantNotFound, "no variant %s", variantID)
	}
	cart, err := c.store.OpenCart(ctx, cl.UserID(), channel, c.newID("cart"))
	if err != nil {
		return Cart{}, err
	}
	if err := c.store.AddCartLine(ctx, cart.ID, variantID, quantity); errors.Is(err, ErrQuantity) {
		return Cart{}, problem("quantity", CodeInvalidQuantity, "a line holds at most %d units", MaxQuantity)
	} else if err != nil {
		return Cart{}, err
	}
	return c.store.CartByID(ctx, cart.ID)
}

// Update sets a line's quantity (1 to MaxQuantity).
func (c *Carts) Update(ctx context.Context, cartID, variantID string, quantity int) (Cart, error) {
	if quantity < 1 || quantity > MaxQuantity {
		return Cart{}, problem("quantity", CodeInvalidQuantity, "quantity must be between 1 and %d", MaxQuantity)
	}
	return c.change(ctx, cartID, func(cart Cart) error {
		for _, l := range cart.Lines {
			if l.VariantID == variantID {
				return c.store.SetCartLine(ctx, cartID, variantID, quantity)
			}
		}
		return problem("variantId", CodeNotFound, "the cart has no line for %s", variantID)
	})
}

// Remove takes a variant's line out of the cart (a missing line is fine).
func (c *Carts) Remove(ctx context.Context, cartID, variantID string) (Cart, error) {
	return c.change(ctx, cartID, func(Cart) error { return c.store.SetCartLine(ctx, cartID, variantID, 0) })
}

// SetAddress sets the cart's shipping address after checking it.
func (c *Carts) SetAddress(ctx context.Context, cartID string, a Address) (Cart, error) {
	a = a.Normalize()
	if err := a.Validate(); err != nil {
		return Cart{}, err
	}
	return c.change(ctx, cartID, func(Cart) error { return c.store.SetCartAddress(ctx, cartID, a) })
}

// change runs f on the caller's own open cart and returns the cart after.
// Someone else's cart is NOT_FOUND, like one that does not exist.
func (c *Carts) change(ctx context.Context, cartID string, f func(Cart) error) (Cart, error) {
	cart, err := c.Own(ctx, cartID)
	if err != nil {
		return Cart{}, err
	}
	if cart.Ordered {
		return Cart{}, problem("cartId", CodeNotFound, "cart %s was checked out; it takes no more changes", cartID)
	}
	if err := f(cart); err != nil {
		return Cart{}, err
	}
	return c.store.CartByID(ctx, cartID)
}

// Own returns the cart if it is the caller's; a Problem NOT_FOUND if not.
func (c *Carts) Own(ctx context.Context, cartID string) (Cart, error) {
	cl, err := signedIn(ctx)
	if err != nil {
		return Cart{}, err
	}
	cart, err := c.store.CartByID(ctx, cartID)
	if errors.Is(err, ErrNotFound) || (err == nil && cart.UserID != cl.UserID()) {
		return Cart{}, problem("cartId", CodeNotFound, "no cart %s", cartID)
	}
	return cart, err
}

// View prices a cart now and lists its problems. Stock is advisory here
// (checkout checks it again under locks); when inventory does not answer,
// the cart shows no stock problems rather than failing.
func (c *Carts) View(ctx context.Context, cart Cart) (View, error) {
	ids := make([]string, len(cart.Lines))
	for i, l := range cart.Lines {
		ids[i] = l.VariantID
	}
	v := View{Lines: make([]PricedLine, len(cart.Lines)), Problems: []CartProblem{}}
	if cart.Address == nil {
		v.Problems = append(v.Problems, CartProblem{Code: CodeAddressRequired, Message: "add a shipping address to check out"})
	}
	if len(ids) == 0 {
		return v, nil
	}
	vs, err := c.catalog.Variants(ctx, cart.Channel, ids)
	if err != nil {
		return View{}, fmt.Errorf("price cart: %w", err)
	}
	avail, err := c.inventory.Available(ctx, ids)
	if err != nil {
		avail = nil
	}
	currency := Channels[cart.Channel]
	for i, l := range cart.Lines {
		v.Lines[i].CartLine = l
		p := vs[l.VariantID].Price
		if p == nil || p.Currency != currency {
			v.Problems = append(v.Problems, CartProblem{Code: CodeVariantNotAvailable, VariantID: l.VariantID,
				Message: fmt.Sprintf("%s is not sold in %s", l.VariantID, cart.Channel)})
			continue
		}
		lt := money.Money{Minor: p.Minor * int64(l.Quantity), Currency: p.Currency}
		v.Lines[i].UnitPrice, v.Lines[i].LineTotal = p, &lt
		if v.Total == nil {
			v.Total = &money.Money{Currency: p.Currency}
		}
		v.Total.Minor += lt.Minor
		if n := avail[l.VariantID]; avail != nil && n < l.Quantity {
			v.Problems = append(v.Problems, CartProblem{Code: CodeInsufficientStock, VariantID: l.VariantID, Available: &n,
				Message: fmt.Sprintf("only %d of %s left", n, l.VariantID)})
		}
	}
	return v, nil
}
