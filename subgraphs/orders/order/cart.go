package order

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/platform/money"
)

// MaxQuantity is the most units of one variant a cart line holds.
const MaxQuantity = 100

// DefaultChannel is the channel of a cart when none is named.
const DefaultChannel = "default-usd"

// Cart is a customer's (or a guest's) basket in one channel.
type Cart struct {
	ID      string
	UserID  string // "" for a guest cart
	Channel string
	// Ordered: an order was placed from it, or it was merged into a
	// customer's cart; it takes no more changes.
	Ordered bool
	Address *Address
	// Billing is where the bill goes; nil means the shipping address.
	Billing        *Address
	ShippingMethod ShippingMethod // "" until chosen: the cheapest then
	Lines          []CartLine     // oldest first
	TokenHash      string         // a guest cart's HashCartToken
	UpdatedAt      time.Time
}

// BillingAddress is where the bill goes: Billing, else the shipping address.
func (c Cart) BillingAddress() *Address {
	if c.Billing != nil {
		return c.Billing
	}
	return c.Address
}

// CartLine is a variant and how many; its price is read live.
type CartLine struct {
	VariantID string
	Quantity  int
}

// View is a cart priced now: its lines, shipping, total and what would
// block checkout.
type View struct {
	Lines    []PricedLine
	Subtotal *money.Money // nil when no line has a price
	Shipping *Quote       // nil without an address
	Methods  []Quote      // what ships to the address, cheapest first
	// Total is what checkout would charge: the lines and shipping with
	// their tax (without an address, whose country decides the tax, the
	// lines' prices as entered).
	Total    *money.Money
	Problems []CartProblem
	// Tax is the tax of the priced lines and shipping; nil without an
	// address or a priced line.
	Tax *CartTax
}

// CartTax is a cart's tax: its lines' (in Lines' order, zero for a line
// without a price), shipping's and the sum.
type CartTax struct {
	Lines    []Taxed
	Shipping Taxed
	Total    money.Money
	// PricesIncludeTax: the channel's prices are entered gross.
	PricesIncludeTax bool
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
	store     CartStore
	catalog   Catalog
	inventory Inventory
	taxes     *Taxes
	shipping  *Shipping
	newID     func(string) string
}

// NewCarts returns the cart service.
func NewCarts(store CartStore, catalog Catalog, inventory Inventory, taxes *Taxes, shipping *Shipping, newID func(string) string) *Carts {
	return &Carts{store: store, catalog: catalog, inventory: inventory, taxes: taxes, shipping: shipping, newID: newID}
}

// Mine is the guest cart of the request's cart token, else the caller's
// open cart in channel; ErrNotFound when none.
func (c *Carts) Mine(ctx context.Context, channel string) (Cart, error) {
	if tok := cartToken(ctx); tok != "" {
		return c.store.CartByToken(ctx, HashCartToken(tok))
	}
	cl, err := auth.SignedIn(ctx)
	if err != nil {
		return Cart{}, err
	}
	ch, err := c.shipping.Channel(ctx, channel)
	if err != nil {
		return Cart{}, err
	}
	return c.store.FindOpenCart(ctx, cl.UserID(), ch.Code)
}

// Add puts quantity more units of a variant in a cart, opening one if
// needed: the guest cart of the request's cart token; else the caller's
// open cart in channel; else, for someone not signed in, a new guest cart.
// It returns the cart and, for a guest cart, its token. The variant must
// exist in the catalog.
func (c *Carts) Add(ctx context.Context, channel, variantID string, quantity int) (Cart, string, error) {
	if quantity < 1 || quantity > MaxQuantity {
		return Cart{}, "", errs.Problemf(errs.Field("quantity"), CodeInvalidQuantity, "quantity must be between 1 and %d", MaxQuantity)
	}
	open, token, err := c.opener(ctx, channel)
	if err != nil {
		return Cart{}, "", err
	}
	vs, err := c.catalog.Variants(ctx, open.channel, []string{variantID})
	if err != nil {
		return Cart{}, "", fmt.Errorf("look up variant: %w", err)
	}
	if _, ok := vs[variantID]; !ok {
		return Cart{}, "", errs.Problemf(errs.Field("variantId"), CodeVariantNotFound, "no variant %s", variantID)
	}
	cart, err := open.open(ctx)
	if err != nil {
		return Cart{}, "", err
	}
	if err := c.store.AddCartLine(ctx, cart.ID, variantID, quantity); errors.Is(err, ErrQuantity) {
		return Cart{}, "", errs.Problemf(errs.Field("quantity"), CodeInvalidQuantity, "a line holds at most %d units", MaxQuantity)
	} else if err != nil {
		return Cart{}, "", err
	}
	cart, err = c.store.CartByID(ctx, cart.ID)
	return cart, token, err
}

// Update sets a line's quantity (1 to MaxQuantity).
func (c *Carts) Update(ctx context.Context, cartID, variantID string, quantity int) (Cart, error) {
	if quantity < 1 || quantity > MaxQuantity {
		return Cart{}, errs.Problemf(errs.Field("quantity"), CodeInvalidQuantity, "quantity must be between 1 and %d", MaxQuantity)
	}
	return c.change(ctx, cartID, func(cart Cart) error {
		for _, l := range cart.Lines {
			if l.VariantID == variantID {
				return c.store.SetCartLine(ctx, cartID, variantID, quantity)
			}
		}
		return errs.Problemf(errs.Field("variantId"), CodeNotFound, "the cart has no line for %s", variantID)
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

// SetBilling sets where the bill goes: a, or (nil) the shipping address.
func (c *Carts) SetBilling(ctx context.Context, cartID string, a *Address) (Cart, error) {
	if a != nil {
		n := a.Normalize()
		if err := n.Validate(); err != nil {
			if p, _ := errs.AsProblem(err); p != nil && len(p.Field) == 1 {
				p.Field = []string{strings.Replace(p.Field[0], "address.", "billingAddress.", 1)}
			}
			return Cart{}, err
		}
		a = &n
	}
	return c.change(ctx, cartID, func(Cart) error { return c.store.SetCartBilling(ctx, cartID, a) })
}

// SetMethod chooses how the cart ships: one of the methods that take it
// (they depend on its address, and on its weight or subtotal).
func (c *Carts) SetMethod(ctx context.Context, cartID string, m ShippingMethod) (Cart, error) {
	return c.change(ctx, cartID, func(cart Cart) error {
		if cart.Address == nil {
			return errs.Problemf(errs.Field("method"), CodeMethodNotAvailable, "set a shipping address first: methods depend on it")
		}
		v, err := c.View(ctx, cart)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(v.Methods, func(q Quote) bool { return q.Method == m }) {
			return errs.Problemf(errs.Field("method"), CodeMethodNotAvailable, "%s does not ship this cart to %s", m, cart.Address.CountryCode)
		}
		return c.store.SetCartMethod(ctx, cartID, m)
	})
}

// change runs f on the caller's own open cart and returns the cart after.
// Someone else's cart is NOT_FOUND, like one that does not exist.
func (c *Carts) change(ctx context.Context, cartID string, f func(Cart) error) (Cart, error) {
	cart, err := c.Own(ctx, cartID)
	if err != nil {
		return Cart{}, err
	}
	if cart.Ordered {
		return Cart{}, errs.Problemf(errs.Field("cartId"), CodeNotFound, "cart %s was checked out; it takes no more changes", cartID)
	}
	if err := f(cart); err != nil {
		return Cart{}, err
	}
	return c.store.CartByID(ctx, cartID)
}

// Own returns the cart if it is the caller's (a guest cart: if the request
// carries its token); a Problem NOT_FOUND if not.
func (c *Carts) Own(ctx context.Context, cartID string) (Cart, error) {
	tok := cartToken(ctx)
	cl := auth.FromContext(ctx)
	if tok == "" && cl == nil {
		return Cart{}, errs.New(errs.Unauthenticated, "sign in first, or send the guest cart's token")
	}
	cart, err := c.store.CartByID(ctx, cartID)
	if errors.Is(err, ErrNotFound) || (err == nil && !owns(cart, cl, tok)) {
		return Cart{}, errs.Problemf(errs.Field("cartId"), CodeNotFound, "no cart %s", cartID)
	}
	return cart, err
}

func owns(cart Cart, cl *auth.Claims, token string) bool {
	if cart.UserID == "" {
		return token != "" && subtle.ConstantTimeCompare([]byte(HashCartToken(token)), []byte(cart.TokenHash)) == 1
	}
	return cl != nil && cart.UserID == cl.UserID()
}

// View prices a cart now and lists its problems. Stock is advisory here
// (checkout checks it again under locks); when inventory does not answer,
// the cart shows no stock problems rather than failing.
func (c *Carts) View(ctx context.Context, cart Cart) (View, error) {
	ch, err := c.shipping.Channel(ctx, cart.Channel)
	if err != nil {
		return View{}, fmt.Errorf("price cart: %w", err)
	}
	ids := make([]string, len(cart.Lines))
	for i, l := range cart.Lines {
		ids[i] = l.VariantID
	}
	v := View{Lines: make([]PricedLine, len(cart.Lines)), Problems: []CartProblem{}, Methods: []Quote{}}
	if cart.Address == nil {
		v.Problems = append(v.Problems, CartProblem{Code: CodeAddressRequired, Message: "add a shipping address to check out"})
	}
	var vs map[string]Variant
	var weight int64
	if len(ids) > 0 {
		if vs, err = c.catalog.Variants(ctx, cart.Channel, ids); err != nil {
			return View{}, fmt.Errorf("price cart: %w", err)
		}
		avail, err := c.inventory.Available(ctx, ids)
		if err != nil {
			avail = nil
		}
		for i, l := range cart.Lines {
			v.Lines[i].CartLine = l
			vr := vs[l.VariantID]
			weight += int64(vr.WeightGrams) * int64(l.Quantity)
			p := vr.Price
			if p == nil || p.Currency != ch.Currency {
				v.Problems = append(v.Problems, CartProblem{Code: CodeVariantNotAvailable, VariantID: l.VariantID,
					Message: fmt.Sprintf("%s is not sold in %s", l.VariantID, cart.Channel)})
				continue
			}
			lt := money.Money{Minor: p.Minor * int64(l.Quantity), Currency: p.Currency}
			v.Lines[i].UnitPrice, v.Lines[i].LineTotal = p, &lt
			if v.Subtotal == nil {
				v.Subtotal = &money.Money{Currency: p.Currency}
			}
			v.Subtotal.Minor += lt.Minor
			if n := avail[l.VariantID]; avail != nil && n < l.Quantity {
				v.Problems = append(v.Problems, CartProblem{Code: CodeInsufficientStock, VariantID: l.VariantID, Available: &n,
					Message: fmt.Sprintf("only %d of %s left", n, l.VariantID)})
			}
		}
	}
	if cart.Address != nil {
		var subtotal int64
		if v.Subtotal != nil {
			subtotal = v.Subtotal.Minor
		}
		if v.Methods, err = c.shipping.Quotes(ctx, ch, *cart.Address, weight, subtotal); err != nil {
			return View{}, fmt.Errorf("price cart: %w", err)
		}
		if q, ok := pick(cart.ShippingMethod, v.Methods); ok {
			v.Shipping = &q
		}
	}
	if v.Subtotal == nil {
		return v, nil
	}
	t := *v.Subtotal
	v.Total = &t
	if cart.Address == nil {
		return v, nil
	}
	return v, c.tax(ctx, cart, ch, vs, &v)
}

// tax works out the priced lines' and shipping's tax to the cart's
// address, and the total with it.
func (c *Carts) tax(ctx context.Context, cart Cart, ch Channel, vs map[string]Variant, v *View) error {
	items := make([]Taxable, len(v.Lines))
	for i, l := range v.Lines {
		if l.LineTotal != nil {
			vr := vs[l.VariantID]
			items[i] = Taxable{Amount: l.LineTotal.Minor, ProductID: vr.ProductID, ProductTypeID: vr.ProductTypeID}
		}
	}
	var ship *int64
	if v.Shipping != nil {
		ship = &v.Shipping.Price.Minor
	}
	tx, err := c.taxes.Apply(ctx, ch.Tax, *cart.Address, cart.UserID, items, ship)
	if err != nil {
		return fmt.Errorf("tax cart: %w", err)
	}
	currency := v.Total.Currency
	v.Tax = &CartTax{Lines: tx.Lines, Shipping: tx.Shipping, Total: money.Money{Minor: tx.TotalTax, Currency: currency},
		PricesIncludeTax: tx.Setting.PricesIncludeTax}
	v.Total.Minor = tx.Gross
	return nil
}
