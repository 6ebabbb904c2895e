package orders_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/myshop/supergraph/subgraphs/orders/order"
	"github.com/myshop/supergraph/subgraphs/payments/testcard"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
)

// shipErrs is a shipping payload's errors.
type shipErrs = taxErrs

func (e *env) createChannel(t *testing.T, input string) shipErrs {
	t.Helper()
	var out struct {
		CreateChannel struct {
			Channel *struct{ Slug string }
			shipErrs
		}
	}
	gql(t, e.h, e.staff, `mutation { createChannel(input: `+input+`) { channel { slug } errors { field code } } }`, nil, &out)
	return out.CreateChannel.shipErrs
}

func (e *env) createZone(t *testing.T, input string) (string, shipErrs) {
	t.Helper()
	var out struct {
		CreateShippingZone struct {
			ShippingZone *struct{ ID string }
			shipErrs
		}
	}
	gql(t, e.h, e.staff, `mutation { createShippingZone(input: `+input+`) { shippingZone { id } errors { field code } } }`, nil, &out)
	if out.CreateShippingZone.ShippingZone == nil {
		return "", out.CreateShippingZone.shipErrs
	}
	return out.CreateShippingZone.ShippingZone.ID, out.CreateShippingZone.shipErrs
}

// createMethod adds a method to zone; input is the rest of its input
// object's fields.
func (e *env) createMethod(t *testing.T, zone, input string) shipErrs {
	t.Helper()
	var out struct{ CreateShippingMethod shipErrs }
	gql(t, e.h, e.staff, `mutation($z: ID!) { createShippingMethod(input: {zoneId: $z, `+input+`}) { shippingRate { id } errors { field code } } }`,
		map[string]any{"z": zone}, &out)
	return out.CreateShippingMethod
}

func (e *env) mustMethod(t *testing.T, zone, input string) {
	t.Helper()
	if r := e.createMethod(t, zone, input); r.code() != "" {
		t.Fatalf("createShippingMethod %s: %+v", input, r)
	}
}

func TestShippingAdminInputChecks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tt := range []struct{ name, input, want string }{
		{"bad slug", `{slug: "UK GBP", currency: GBP, countries: ["GB"], pricesIncludeTax: true}`, "INVALID_SLUG"},
		{"unknown country", `{slug: "uk-gbp", currency: GBP, countries: ["XX"], pricesIncludeTax: true}`, "INVALID_COUNTRY"},
		{"no country", `{slug: "uk-gbp", currency: GBP, countries: [], pricesIncludeTax: true}`, "INVALID_COUNTRY"},
		{"duplicate slug", `{slug: "eu-eur", currency: EUR, countries: ["DE"], pricesIncludeTax: true}`, "SLUG_TAKEN"},
		{"fine", `{slug: "uk-gbp", currency: GBP, countries: ["gb"], pricesIncludeTax: true}`, ""},
		{"fine once only", `{slug: "uk-gbp", currency: GBP, countries: ["GB"], pricesIncludeTax: true}`, "SLUG_TAKEN"},
	} {
		if got := e.createChannel(t, tt.input).code(); got != tt.want {
			t.Errorf("createChannel %s: %q, want %q", tt.name, got, tt.want)
		}
	}
	// The schema's enum refuses a currency before any resolver runs.
	resp := gqltest.DoAs(t, e.h, e.staff, `mutation { createChannel(input: {slug: "x-xxx", currency: XXX, countries: ["GB"], pricesIncludeTax: true}) { errors { code } } }`, nil)
	if len(resp.Errors) == 0 {
		t.Errorf("unknown currency: no error")
	}

	for _, tt := range []struct{ name, input, want string }{
		{"no countries", `{name: "Nowhere", countries: []}`, "INVALID_COUNTRY"},
		{"unknown country", `{name: "Atlantis", countries: ["AX", "QQ"]}`, "INVALID_COUNTRY"},
		{"no name", `{name: " ", countries: ["GB"]}`, "INVALID_NAME"},
	} {
		if _, r := e.createZone(t, tt.input); r.code() != tt.want {
			t.Errorf("createShippingZone %s: %+v, want %q", tt.name, r, tt.want)
		}
	}
	zone, r := e.createZone(t, `{name: "United Kingdom", countries: ["GB"]}`)
	if r.code() != "" {
		t.Fatalf("createShippingZone: %+v", r)
	}

	const base = `channel: "uk-gbp", code: STANDARD, name: "Royal Mail", minDays: 1, maxDays: 3, `
	for _, tt := range []struct{ name, zone, input, want string }{
		{"unknown zone", "shz_nope", base + `rateKind: FLAT, price: "3.95"`, "UNKNOWN_ZONE"},
		{"unknown channel", zone, `channel: "nope", code: STANDARD, name: "x", minDays: 1, maxDays: 3, rateKind: FLAT, price: "3.95"`, "UNKNOWN_CHANNEL"},
		{"negative price", zone, base + `rateKind: FLAT, price: "-1.00"`, "INVALID_PRICE"},
		{"too many decimals", zone, base + `rateKind: FLAT, price: "3.955"`, "INVALID_PRICE"},
		{"flat without price", zone, base + `rateKind: FLAT`, "INVALID_PRICE"},
		{"flat with bands", zone, base + `rateKind: FLAT, price: "1.00", bands: [{price: "1.00"}]`, "INVALID_BANDS"},
		{"no bands", zone, base + `rateKind: WEIGHT`, "INVALID_BANDS"},
		{"unsorted bands", zone, base + `rateKind: WEIGHT, bands: [{upTo: "5000", price: "9.00"}, {upTo: "2000", price: "4.00"}]`, "INVALID_BANDS"},
		{"overlapping bands", zone, base + `rateKind: SUBTOTAL, bands: [{upTo: "50.00", price: "5.00"}, {upTo: "50.00", price: "4.00"}]`, "INVALID_BANDS"},
		{"open band before the last", zone, base + `rateKind: WEIGHT, bands: [{price: "4.00"}, {upTo: "2000", price: "9.00"}]`, "INVALID_BANDS"},
		{"fractional grams", zone, base + `rateKind: WEIGHT, bands: [{upTo: "2.5", price: "4.00"}]`, "INVALID_BANDS"},
		{"negative band price", zone, base + `rateKind: SUBTOTAL, bands: [{upTo: "50.00", price: "-5.00"}]`, "INVALID_PRICE"},
		{"negative threshold", zone, base + `rateKind: FLAT, price: "3.95", freeAbove: "-1"`, "INVALID_PRICE"},
		{"days backwards", zone, `channel: "uk-gbp", code: STANDARD, name: "x", minDays: 3, maxDays: 1, rateKind: FLAT, price: "3.95"`, "INVALID_DAYS"},
		{"fine", zone, base + `rateKind: FLAT, price: "3.95", freeAbove: "40"`, ""},
		{"same code again", zone, base + `rateKind: FLAT, price: "2.95"`, "CODE_TAKEN"},
	} {
		if got := e.createMethod(t, tt.zone, tt.input).code(); got != tt.want {
			t.Errorf("createShippingMethod %s: %q, want %q", tt.name, got, tt.want)
		}
	}

	var list struct {
		Channels []struct {
			Slug, Currency   string
			Countries        []string
			PricesIncludeTax bool
			TaxRounding      string
		}
	}
	gql(t, e.h, "", `{ channels { slug currency countries pricesIncludeTax taxRounding } }`, nil, &list)
	if got := fmt.Sprint(list.Channels); got != "[{default-usd USD [US CA] false LINE} "+
		"{eu-eur EUR [AT BE BG CH CY CZ DE DK EE ES FI FR GB GR HR HU IE IT LT LU LV MT NL NO PL PT RO SE SI SK] true LINE} "+
		"{jp-jpy JPY [JP] true LINE} {uk-gbp GBP [GB] true LINE}]" {
		t.Errorf("channels: %s", got)
	}
	var rates struct {
		ShippingRates []struct {
			Code, RateKind string
			Price          *struct{ Amount, CurrencyCode string }
			FreeAbove      *struct{ Amount string }
		}
	}
	gql(t, e.h, e.staff, `{ shippingRates { code rateKind price { amount currencyCode } freeAbove { amount } } }`, nil, &rates)
	last := rates.ShippingRates[len(rates.ShippingRates)-1]
	if len(rates.ShippingRates) != 25 || last.Price.Amount != "3.95" || last.Price.CurrencyCode != "GBP" || last.FreeAbove.Amount != "40.00" {
		t.Errorf("shippingRates: %d, last %+v", len(rates.ShippingRates), last)
	}

	// Customers may neither read nor change the shipping tables.
	for _, q := range []string{`{ shippingZones { id } }`, `{ shippingRates { id } }`,
		`mutation { createChannel(input: {slug: "ch-chf", currency: CHF, countries: ["CH"], pricesIncludeTax: true}) { errors { code } } }`,
		`mutation { createShippingZone(input: {name: "Swiss", countries: ["CH"]}) { errors { code } } }`,
		`mutation { createShippingMethod(input: {zoneId: "shz_eu", channel: "eu-eur", code: STANDARD, name: "x", minDays: 1, maxDays: 2, rateKind: FLAT, price: "1"}) { errors { code } } }`} {
		if resp := gqltest.DoAs(t, e.h, e.ada, q, nil); len(resp.Errors) == 0 || resp.Errors[0].Code() != "FORBIDDEN" {
			t.Errorf("%s as a customer: %+v", q, resp.Errors)
		}
	}
}

const orAddress = `{firstName: "Ada", lastName: "Allen", street1: "1 Pine St", city: "Portland", region: "OR", postalCode: "97201", countryCode: "US"}`

type shipQuote struct {
	Code  string
	Name  string
	Price struct{ Amount, CurrencyCode string }
}

func (e *env) quotes(t *testing.T, token string) (chosen *shipQuote, all []shipQuote) {
	t.Helper()
	var out struct {
		MyCart struct {
			ShippingMethod           *shipQuote
			AvailableShippingMethods []shipQuote
		}
	}
	gql(t, e.h, token, `{ myCart { shippingMethod { code name price { amount currencyCode } } availableShippingMethods { code name price { amount currencyCode } } } }`, nil, &out)
	return out.MyCart.ShippingMethod, out.MyCart.AvailableShippingMethods
}

func quoteList(qs []shipQuote) string {
	s := ""
	for _, q := range qs {
		s += fmt.Sprintf("%s %s; ", q.Code, q.Price.Amount)
	}
	return s
}

// TestShippingBands: a region zone (Oregon) wins over the country zone; a
// weight band's limit is inclusive (2,000 g takes 0–2,000 g, 2,001 g the
// next; research check (b)); a cart beyond the last band is not offered
// the method; a subtotal band moves with the lines; above the free-above
// threshold shipping is free; checkout charges what the cart showed.
func TestShippingBands(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const v = "var_000001"
	e.receive(t, v, 10)
	e.price(t, v, "default-usd", 4000)
	mustExec(t, e.productsDB, `UPDATE product_variants SET weight_grams = 2000 WHERE id = $1`, v)
	zone, r := e.createZone(t, `{name: "Oregon", countries: ["US"], regions: ["or"]}`)
	if r.code() != "" {
		t.Fatalf("zone: %+v", r)
	}
	e.mustMethod(t, zone, `channel: "default-usd", code: STANDARD, name: "Ground", minDays: 2, maxDays: 5, rateKind: WEIGHT,
		bands: [{upTo: "2000", price: "4.00"}, {upTo: "5000", price: "9.00"}]`)
	e.mustMethod(t, zone, `channel: "default-usd", code: EXPRESS, name: "Air", minDays: 1, maxDays: 1, rateKind: SUBTOTAL,
		bands: [{upTo: "50.00", price: "15.00"}, {price: "10.00"}], freeAbove: "100.00"`)

	add := e.add(t, e.ada, v, 1)
	cartID := add.Cart.ID
	var addr struct{ SetShippingAddress cartResult }
	gql(t, e.h, e.ada, `mutation($c: ID!) { setShippingAddress(cartId: $c, address: `+orAddress+`) { `+cartFields+` } }`, map[string]any{"c": cartID}, &addr)
	chosen, all := e.quotes(t, e.ada)
	if got := quoteList(all); got != "STANDARD 4.00; EXPRESS 15.00; " || chosen == nil || chosen.Name != "Ground" {
		t.Fatalf("2,000 g and 40.00: %s, chosen %+v", got, chosen)
	}
	mustExec(t, e.productsDB, `UPDATE product_variants SET weight_grams = 2001 WHERE id = $1`, v)
	if _, all := e.quotes(t, e.ada); quoteList(all) != "STANDARD 9.00; EXPRESS 15.00; " {
		t.Errorf("2,001 g: %s", quoteList(all))
	}
	setQty := func(q int) {
		t.Helper()
		var out struct{ UpdateCartLine cartResult }
		gql(t, e.h, e.ada, `mutation($c: ID!, $v: ID!, $q: Int!) { updateCartLine(input: {cartId: $c, variantId: $v, quantity: $q}) { `+cartFields+` } }`,
			map[string]any{"c": cartID, "v": v, "q": q}, &out)
		if len(out.UpdateCartLine.Errors) > 0 {
			t.Fatalf("update: %+v", out.UpdateCartLine.Errors)
		}
	}
	setQty(2) // 4,002 g, 80.00
	if _, all := e.quotes(t, e.ada); quoteList(all) != "STANDARD 9.00; EXPRESS 10.00; " {
		t.Errorf("4,002 g and 80.00: %s", quoteList(all))
	}
	setQty(3) // 6,003 g: beyond the last weight band; 120.00: free express
	if _, all := e.quotes(t, e.ada); quoteList(all) != "EXPRESS 0.00; " {
		t.Errorf("6,003 g and 120.00: %s", quoteList(all))
	}
	var set struct{ SetShippingMethod cartResult }
	gql(t, e.h, e.ada, `mutation($c: ID!) { setShippingMethod(cartId: $c, method: STANDARD) { errors { code } } }`, map[string]any{"c": cartID}, &set)
	if len(set.SetShippingMethod.Errors) != 1 || set.SetShippingMethod.Errors[0].Code != "SHIPPING_METHOD_NOT_AVAILABLE" {
		t.Errorf("STANDARD beyond its bands: %+v", set)
	}
	// Illinois is outside the Oregon zone: the country zone's flat rates.
	gql(t, e.h, e.ada, `mutation($c: ID!) { setShippingAddress(cartId: $c, address: `+usAddress+`) { `+cartFields+` } }`, map[string]any{"c": cartID}, &addr)
	if _, all := e.quotes(t, e.ada); quoteList(all) != "STANDARD 5.99; EXPRESS 19.99; " {
		t.Errorf("Illinois: %s", quoteList(all))
	}
	gql(t, e.h, e.ada, `mutation($c: ID!) { setShippingAddress(cartId: $c, address: `+orAddress+`) { `+cartFields+` } }`, map[string]any{"c": cartID}, &addr)
	p := e.place(t, e.ada, cartID, testcard.Visa, "bands-1")
	if p.code() != "" || p.Order == nil {
		t.Fatalf("place: %+v", p)
	}
	var o struct {
		Order struct {
			ShippingPrice  struct{ Amount string }
			ShippingMethod struct{ Code, Name string }
			Subtotal       struct{ Amount string }
		}
	}
	gql(t, e.h, e.ada, `query($id: ID!) { order(id: $id) { shippingPrice { amount } shippingMethod { code name } subtotal { amount } } }`,
		map[string]any{"id": p.Order.ID}, &o)
	if o.Order.ShippingPrice.Amount != "0.00" || o.Order.ShippingMethod.Code != "EXPRESS" || o.Order.ShippingMethod.Name != "Air" || o.Order.Subtotal.Amount != "120.00" {
		t.Errorf("order: %+v", o.Order)
	}
}

// TestNewChannelsQuoteShipping: channels in GBP (2 decimals, prices with
// VAT) and KWD (3 decimals, net) made through the API quote their own
// shipping tables in their own minor units. Their carts need the catalog
// to price variants in them too (see the products subgraph's channels), so
// the quotes are read from the shipping service that prices carts.
func TestNewChannelsQuoteShipping(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	for _, in := range []string{
		`{slug: "uk-gbp", currency: GBP, countries: ["GB"], pricesIncludeTax: true}`,
		`{slug: "kw-kwd", currency: KWD, countries: ["KW"], pricesIncludeTax: false, taxRounding: ORDER_PER_RATE}`,
	} {
		if r := e.createChannel(t, in); r.code() != "" {
			t.Fatalf("createChannel %s: %+v", in, r)
		}
	}
	uk, r := e.createZone(t, `{name: "UK", countries: ["GB"]}`)
	if r.code() != "" {
		t.Fatal(r)
	}
	kw, r := e.createZone(t, `{name: "Kuwait", countries: ["KW"]}`)
	if r.code() != "" {
		t.Fatal(r)
	}
	e.mustMethod(t, uk, `channel: "uk-gbp", code: STANDARD, name: "Royal Mail", minDays: 1, maxDays: 3, rateKind: FLAT, price: "3.95", freeAbove: "40"`)
	e.mustMethod(t, uk, `channel: "uk-gbp", code: EXPRESS, name: "Next day", minDays: 1, maxDays: 1, rateKind: SUBTOTAL,
		bands: [{upTo: "25.00", price: "7.50"}, {price: "5.00"}]`)
	if got := e.createMethod(t, kw, `channel: "kw-kwd", code: STANDARD, name: "x", minDays: 1, maxDays: 2, rateKind: FLAT, price: "1.2345"`).code(); got != "INVALID_PRICE" {
		t.Errorf("KWD with four decimals: %q", got)
	}
	e.mustMethod(t, kw, `channel: "kw-kwd", code: STANDARD, name: "Aramex", minDays: 2, maxDays: 4, rateKind: WEIGHT,
		bands: [{upTo: "1000", price: "1.250"}, {price: "2.500"}], freeAbove: "30.000"`)

	quote := func(channel, country string, weight, subtotal int64) string {
		t.Helper()
		ch, err := e.svc.Shipping.Channel(ctx, channel)
		if err != nil {
			t.Fatal(err)
		}
		qs, err := e.svc.Shipping.Quotes(ctx, ch, order.Address{CountryCode: country}, weight, subtotal)
		if err != nil {
			t.Fatal(err)
		}
		s := ""
		for _, q := range qs {
			s += fmt.Sprintf("%s %s %s; ", q.Method, q.Price.Amount(), q.Price.Currency)
		}
		return s
	}
	for _, tt := range []struct {
		channel, country string
		weight, subtotal int64
		want             string
	}{
		{"uk-gbp", "GB", 500, 2000, "STANDARD 3.95 GBP; EXPRESS 7.50 GBP; "},
		{"uk-gbp", "GB", 500, 3000, "STANDARD 3.95 GBP; EXPRESS 5.00 GBP; "},
		{"uk-gbp", "GB", 500, 4001, "STANDARD 0.00 GBP; EXPRESS 5.00 GBP; "},
		{"kw-kwd", "KW", 1000, 10_000, "STANDARD 1.250 KWD; "},
		{"kw-kwd", "KW", 1001, 10_000, "STANDARD 2.500 KWD; "},
		{"kw-kwd", "KW", 1001, 30_001, "STANDARD 0.000 KWD; "},
		// The seeded tables ship everywhere in the demo's channels, and
		// the new channels' only where their zones are.
		{"uk-gbp", "KW", 500, 2000, ""},
		{"default-usd", "GB", 0, 0, "STANDARD 8.99 USD; EXPRESS 24.99 USD; "},
	} {
		if got := quote(tt.channel, tt.country, tt.weight, tt.subtotal); got != tt.want {
			t.Errorf("%s to %s, %d g, subtotal %d: %q, want %q", tt.channel, tt.country, tt.weight, tt.subtotal, got, tt.want)
		}
	}
	ch, err := e.svc.Shipping.Channel(ctx, "kw-kwd")
	if err != nil || ch.Currency != "KWD" || ch.Tax.PricesIncludeTax || ch.Tax.Rounding != order.RoundOrderPerRate {
		t.Errorf("kw-kwd: %+v, %v", ch, err)
	}
}
