package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// Order is a placed order with its whole history: status changes, the
// payment's transactions, shipments and the stock it took.
type Order struct {
	ID                 string
	Number             int64
	UserID             string
	Channel, Currency  string
	Status             string // the last of History
	History            []StatusChange
	Lines              []OrderLine
	ShippingMethod     string // STANDARD or EXPRESS
	ShippingMinor      int64
	SubtotalMinor      int64
	TotalMinor         int64 // subtotal + shipping
	Address            Address
	PlacedAt           time.Time
	PaymentStatus      string // NONE, AUTHORIZED, PAID, PARTIALLY_REFUNDED, REFUNDED, VOIDED
	FulfillmentStatus  string // UNFULFILLED, PARTIALLY_FULFILLED, FULFILLED
	Payment            Payment
	Fulfillments       []Fulfillment
	ReservationID      string
	ReservationStatus  string // ACTIVE, CONVERTED, FULFILLED, RELEASED, EXPIRED
	ReservationExpires time.Time
	SessionID          string // the shopping session that checked out
}

// StatusChange is one step of an order's history; Version counts from 1.
type StatusChange struct {
	Version  int
	From, To string // From is "" for the creation
	Actor    string
	Note     string
	At       time.Time
}

// OrderLine is a line as placed: what the variant was called and cost
// then, and the warehouse its units come from.
type OrderLine struct {
	VariantID, SKU, Name  string
	ProductID, CategoryID string
	Quantity              int
	UnitPriceMinor        int64
	WarehouseID           string
}

// Units is how many items the order holds.
func (o Order) Units() int {
	n := 0
	for _, l := range o.Lines {
		n += l.Quantity
	}
	return n
}

// Payment is an order's card payment through the test provider.
type Payment struct {
	ID, ProviderRef string
	Transactions    []Transaction
}

// Transaction is one call to the provider; Kind is AUTHORIZE, CAPTURE,
// VOID or REFUND, Outcome SUCCEEDED, REQUIRES_ACTION or FAILED.
type Transaction struct {
	ID, Kind, Outcome string
	AmountMinor       int64
	At                time.Time
	// SettledAt is when the provider's answer came: At, except for an
	// authorization that waited for 3-D Secure, which the provider's
	// webhook settles when the customer finishes (the same ledger entry:
	// payments never authorizes twice for one checkout).
	SettledAt time.Time
}

// Fulfillment is a shipment of some of an order's units.
type Fulfillment struct {
	ID, Carrier, TrackingNumber string
	Actor                       string
	At                          time.Time
	Lines                       []FulfillmentLine
}

// FulfillmentLine is units of one variant shipped.
type FulfillmentLine struct {
	VariantID string
	Quantity  int
}

// Order statuses, as the orders subgraph names them.
const (
	PendingPayment   = "PENDING_PAYMENT"
	Confirmed        = "CONFIRMED"
	Processing       = "PROCESSING"
	PartiallyShipped = "PARTIALLY_SHIPPED"
	Shipped          = "SHIPPED"
	Delivered        = "DELIVERED"
	Canceled         = "CANCELED"
	Expired          = "EXPIRED"
)

// Statuses lists every order status.
var Statuses = []string{PendingPayment, Confirmed, Processing, PartiallyShipped, Shipped, Delivered, Canceled, Expired}

// FirstOrderNumber is the demo's first order number; numbers follow the
// order of placement. The orders sequence starts above them (see the
// orders seed).
const FirstOrderNumber = 1001

// shippingRates are the demo's shipping prices per currency, standard
// and express, as the orders subgraph's table has them for a home country.
var shippingRates = map[string][2]int64{"USD": {599, 1999}, "EUR": {499, 1499}, "JPY": {500, 1200}}

var carriers = []string{"UPS", "DHL", "Yamato", "USPS"}

// orders places OrdersPerScale×scale orders over the history, more on
// weekends and growing towards the end, by customers of every channel.
// Each order's fate depends on its age: yesterday's wait to ship, last
// month's were delivered; some are canceled, some expired unpaid, some
// refunded.
func (w *World) orders() {
	rng := rand.New(rand.NewPCG(w.Seed, 7))
	n := OrdersPerScale * w.Scale
	start := w.Until.AddDate(0, 0, -HistoryDays)
	span := w.Until.Sub(start)
	times := make([]time.Time, n)
	for i := range times {
		for {
			// Growth: density rises linearly to twice the start's; weekends
			// sell half again as much (accept-reject on both).
			f := rng.Float64()
			t := start.Add(time.Duration(f * float64(span)))
			weight := (1 + f) / 2
			if d := t.Weekday(); d == time.Saturday || d == time.Sunday {
				weight *= 1.5
			}
			if rng.Float64()*1.5 < weight {
				times[i] = t.Truncate(time.Second)
				break
			}
		}
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })

	byVariant := map[string][]int{}
	for i, s := range w.Stock {
		byVariant[s.VariantID] = append(byVariant[s.VariantID], i)
	}
	// What each channel sells: published products' variants priced there.
	sellable := map[string][]*Variant{}
	for pi := range w.Catalog.Products {
		p := &w.Catalog.Products[pi]
		if !p.Published(start) {
			continue
		}
		for vi := range p.Variants {
			for _, pr := range p.Variants[vi].Prices {
				sellable[pr.Channel] = append(sellable[pr.Channel], &p.Variants[vi])
			}
		}
	}
	w.Orders = make([]Order, 0, n)
	for i, at := range times {
		c := w.Customers[w.customerOf(rng)]
		o := Order{ID: fmt.Sprintf("ord_demo_%06d", i+1), Number: int64(FirstOrderNumber + i), UserID: c.ID, Channel: c.Channel,
			PlacedAt: at, Address: c.Address, ShippingMethod: "STANDARD", ReservationID: fmt.Sprintf("rsv_demo_%06d", i+1)}
		ch := channelBySlug(c.Channel)
		o.Currency = ch.Currency
		rate := shippingRates[o.Currency]
		o.ShippingMinor = rate[0]
		if rng.IntN(5) == 0 {
			o.ShippingMethod, o.ShippingMinor = "EXPRESS", rate[1]
		}
		w.lines(rng, &o, sellable[c.Channel], byVariant)
		o.TotalMinor = o.SubtotalMinor + o.ShippingMinor
		o.Payment = Payment{ID: fmt.Sprintf("pay_demo_%06d", i+1), ProviderRef: fmt.Sprintf("tc_demo_%06d", i+1)}
		w.fate(rng, &o)
		w.Orders = append(w.Orders, o)
	}
	w.allocate()
}

// allocate adds the orders' units to the stock levels they came from:
// held for orders awaiting payment, allocated to open orders, sold once
// shipped. The units on sale stay as openingStock drew them.
func (w *World) allocate() {
	at := map[[2]string]int{}
	for i, s := range w.Stock {
		at[[2]string{s.WarehouseID, s.VariantID}] = i
	}
	for _, o := range w.Orders {
		for _, l := range o.Lines {
			s := &w.Stock[at[[2]string{l.WarehouseID, l.VariantID}]]
			shipped := o.Shipped(l.VariantID)
			switch o.ReservationStatus {
			case "ACTIVE":
				s.Reserved += l.Quantity
			case "CONVERTED":
				s.Allocated += l.Quantity - shipped
				s.Sold += shipped
			case "FULFILLED":
				s.Sold += l.Quantity
			}
		}
	}
}

// customerOf picks who orders: a few customers order often (a long tail),
// so repeat purchases and top customers show.
func (w *World) customerOf(rng *rand.Rand) int {
	n := len(w.Customers)
	// Squaring a uniform draw favours the first customers.
	f := rng.Float64()
	return int(math.Floor(f * f * float64(n)))
}

func channelBySlug(slug string) Channel {
	for _, c := range Channels {
		if c.Slug == slug {
			return c
		}
	}
	return Channels[0]
}

// lines gives the order 1–4 lines of distinct variants sold in its
// channel, favouring the catalog's best sellers (its first products).
func (w *World) lines(rng *rand.Rand, o *Order, sellable []*Variant, byVariant map[string][]int) {
	seen := map[string]bool{}
	for k, n := 0, 1+rng.IntN(4); k < n; k++ {
		f := rng.Float64()
		v := sellable[int(f*f*float64(len(sellable)))]
		if seen[v.ID] {
			continue
		}
		seen[v.ID] = true
		p := w.Product(v.ProductID)
		price, _ := v.PriceIn(o.Channel)
		l := OrderLine{VariantID: v.ID, SKU: v.SKU, Name: p.Name + " (" + v.Name + ")", ProductID: p.ID, CategoryID: p.CategoryID,
			Quantity: 1 + rng.IntN(3)/2, UnitPriceMinor: price.AmountMinor}
		l.WarehouseID = w.Stock[w.stockFor(byVariant, v.ID, o.Address.Country)].WarehouseID
		o.Lines = append(o.Lines, l)
		o.SubtotalMinor += price.AmountMinor * int64(l.Quantity)
	}
}

// fate decides the order's history by its age, then records what each
// step did to its payment, shipments and stock.
func (w *World) fate(rng *rand.Rand, o *Order) {
	age := w.Until.Sub(o.PlacedAt)
	day := 24 * time.Hour
	roll := rng.IntN(100)
	var path []string
	switch {
	case roll < 6:
		path = []string{Confirmed, Canceled}
		if age > 2*day && rng.IntN(2) == 0 {
			path = []string{Confirmed, Processing, Canceled}
		}
	case roll < 9:
		path = []string{PendingPayment, Expired}
	case age < 12*time.Hour:
		path = []string{Confirmed}
		if roll < 30 {
			path = []string{PendingPayment}
		} else if roll < 55 {
			path = []string{Confirmed, Processing}
		}
	case age < 3*day:
		path = []string{Confirmed, Processing}
		if roll < 40 && multiUnit(o) {
			path = []string{Confirmed, Processing, PartiallyShipped}
		} else if roll < 70 {
			path = []string{Confirmed, Processing, Shipped}
		}
	case age < 7*day:
		path = []string{Confirmed, Processing, Shipped}
		if roll < 50 {
			path = append(path, Delivered)
		}
	default:
		path = []string{Confirmed, Processing, Shipped, Delivered}
	}
	// One in twenty cards needed 3-D Secure, completed a few minutes later.
	if path[0] == Confirmed && rng.IntN(20) == 0 {
		path = append([]string{PendingPayment}, path...)
	}
	w.play(rng, o, path)
	// Some delivered orders come back: a line refunded, or all of it.
	if o.Status == Delivered && rng.IntN(12) == 0 {
		amount := o.TotalMinor
		o.PaymentStatus = "REFUNDED"
		if len(o.Lines) > 1 || rng.IntN(2) == 0 {
			amount = o.Lines[0].UnitPriceMinor
			o.PaymentStatus = "PARTIALLY_REFUNDED"
		}
		last := o.History[len(o.History)-1].At
		o.Payment.Transactions = append(o.Payment.Transactions, Transaction{Kind: "REFUND", Outcome: "SUCCEEDED", AmountMinor: amount,
			At: last.Add(time.Duration(2+rng.IntN(72)) * time.Hour)})
	}
	for k := range o.Payment.Transactions {
		t := &o.Payment.Transactions[k]
		t.ID = fmt.Sprintf("txn_%s_%d", o.ID[len("ord_"):], k+1)
		if t.SettledAt.IsZero() {
			t.SettledAt = t.At
		}
	}
}

func multiUnit(o *Order) bool { return len(o.Lines) > 1 || o.Lines[0].Quantity > 1 }

// play walks the order along path from its placement, as the services
// would: each status change with its actor and time, the payment calls,
// the reservation and the shipments.
func (w *World) play(rng *rand.Rand, o *Order, path []string) {
	at := o.PlacedAt
	auth := func(outcome string) {
		o.Payment.Transactions = append(o.Payment.Transactions, Transaction{Kind: "AUTHORIZE", Outcome: outcome, AmountMinor: o.TotalMinor, At: at})
	}
	o.PaymentStatus, o.FulfillmentStatus, o.ReservationStatus = "NONE", "UNFULFILLED", "ACTIVE"
	o.ReservationExpires = o.PlacedAt.Add(15 * time.Minute)
	from := ""
	for k, to := range path {
		actor := StaffID("fulfilment")
		switch {
		case k == 0:
			actor = o.UserID
			if to == PendingPayment {
				auth("REQUIRES_ACTION")
			} else {
				auth("SUCCEEDED")
			}
		case to == Confirmed: // 3-D Secure done: the webhook settles the authorization
			at = at.Add(time.Duration(2+rng.IntN(8)) * time.Minute)
			actor = o.UserID
			t := &o.Payment.Transactions[len(o.Payment.Transactions)-1]
			t.Outcome, t.SettledAt = "SUCCEEDED", at
		case to == Expired:
			at = o.ReservationExpires
			actor = "system"
		case to == Delivered:
			at = at.Add(time.Duration(24+rng.IntN(96)) * time.Hour)
			actor = "system"
		case to == Canceled:
			at = at.Add(time.Duration(1+rng.IntN(20)) * time.Hour)
			actor = StaffID("support")
		default:
			at = at.Add(time.Duration(2+rng.IntN(30)) * time.Hour)
		}
		switch to {
		case Confirmed:
			o.PaymentStatus, o.ReservationStatus = "AUTHORIZED", "CONVERTED"
		case PartiallyShipped:
			o.ship(rng, at, actor, true)
		case Shipped:
			o.ship(rng, at, actor, false)
			o.Payment.Transactions = append(o.Payment.Transactions, Transaction{Kind: "CAPTURE", Outcome: "SUCCEEDED", AmountMinor: o.TotalMinor, At: at})
			o.PaymentStatus, o.ReservationStatus = "PAID", "FULFILLED"
		case Canceled:
			o.Payment.Transactions = append(o.Payment.Transactions, Transaction{Kind: "VOID", Outcome: "SUCCEEDED", AmountMinor: o.TotalMinor, At: at})
			o.PaymentStatus, o.ReservationStatus = "VOIDED", "RELEASED"
		case Expired:
			o.ReservationStatus = "EXPIRED"
		}
		o.History = append(o.History, StatusChange{Version: k + 1, From: from, To: to, Actor: actor, At: at})
		from = to
	}
	o.Status = path[len(path)-1]
	if o.Status == PendingPayment {
		// Still waiting for the bank: the hold outlives the history's end,
		// so the demo shows it rather than its expiry.
		o.ReservationExpires = w.Until.Add(24 * time.Hour)
	}
}

// ship records a shipment: of the first line's units only when partial,
// else of everything not shipped yet.
func (o *Order) ship(rng *rand.Rand, at time.Time, actor string, partial bool) {
	shipped := map[string]int{}
	for _, f := range o.Fulfillments {
		for _, l := range f.Lines {
			shipped[l.VariantID] += l.Quantity
		}
	}
	f := Fulfillment{ID: fmt.Sprintf("ful_%s_%d", o.ID[len("ord_"):], len(o.Fulfillments)+1), Actor: actor, At: at,
		Carrier: carriers[rng.IntN(len(carriers))]}
	f.TrackingNumber = fmt.Sprintf("1Z%s%08d", f.Carrier[:1], rng.IntN(100000000))
	for _, l := range o.Lines {
		q := l.Quantity - shipped[l.VariantID]
		if partial {
			// The first unit of the first line: the rest waits for stock.
			q = 1
		}
		if q > 0 {
			f.Lines = append(f.Lines, FulfillmentLine{VariantID: l.VariantID, Quantity: q})
		}
		if partial {
			break
		}
	}
	o.Fulfillments = append(o.Fulfillments, f)
	o.FulfillmentStatus = "FULFILLED"
	if partial {
		o.FulfillmentStatus = "PARTIALLY_FULFILLED"
	}
}

// Shipped is how many units of variant the order shipped.
func (o Order) Shipped(variant string) int {
	n := 0
	for _, f := range o.Fulfillments {
		for _, l := range f.Lines {
			if l.VariantID == variant {
				n += l.Quantity
			}
		}
	}
	return n
}
