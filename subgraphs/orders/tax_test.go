package orders_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/myshop/supergraph/subgraphs/demo"
	pgstore "github.com/myshop/supergraph/subgraphs/orders/postgres"
	"github.com/myshop/supergraph/subgraphs/payments/testcard"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
	"github.com/myshop/supergraph/subgraphs/platform/pgtest"
)

type taxErrs struct {
	Errors []struct {
		Field []string
		Code  string
	}
}

func (r taxErrs) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	return r.Errors[0].Code
}

// setRate sets a rate as staff and fails the test on an error.
func (e *env) setRate(t *testing.T, class, country, region, rate string) {
	t.Helper()
	if r := e.trySetRate(t, class, country, region, rate); r.code() != "" {
		t.Fatalf("setTaxRate %s %s %s: %+v", country, region, rate, r)
	}
}

func (e *env) trySetRate(t *testing.T, class, country, region, rate string) taxErrs {
	t.Helper()
	var out struct{ SetTaxRate taxErrs }
	vars := map[string]any{"c": country, "r": region, "rate": rate}
	if class != "" {
		vars["class"] = class
	}
	gql(t, e.h, e.staff, `mutation($class: ID, $c: String!, $r: String, $rate: Decimal!) {
  setTaxRate(input: {taxClassId: $class, countryCode: $c, region: $r, rate: $rate}) { taxRate { rate } errors { field code } } }`, vars, &out)
	return out.SetTaxRate
}

func (e *env) createClass(t *testing.T, name string) (string, taxErrs) {
	t.Helper()
	var out struct {
		CreateTaxClass struct {
			TaxClass *struct{ ID string }
			taxErrs
		}
	}
	gql(t, e.h, e.staff, `mutation($n: String!) { createTaxClass(input: {name: $n}) { taxClass { id } errors { field code } } }`,
		map[string]any{"n": name}, &out)
	if out.CreateTaxClass.TaxClass == nil {
		return "", out.CreateTaxClass.taxErrs
	}
	return out.CreateTaxClass.TaxClass.ID, out.CreateTaxClass.taxErrs
}

// price sets a variant's price in a channel (minor units).
func (e *env) price(t *testing.T, variant, channel string, minor int64) {
	t.Helper()
	mustExec(t, e.productsDB, `UPDATE variant_prices SET amount_minor = $3 WHERE variant_id = $1 AND channel = $2`, variant, channel, minor)
}

type taxedCart struct {
	ID    string
	Lines []struct {
		Variant   struct{ ID string }
		LineTotal *struct{ Amount string }
		TaxAmount *struct{ Amount string }
		TaxRate   *string
	}
	Subtotal, Total, TaxTotal, ShippingTax *struct{ Amount, CurrencyCode string }
	PricesIncludeTax                       bool
	ShippingMethod                         *struct{ Price struct{ Amount string } }
}

const taxedCartSelection = `id lines { variant { id } lineTotal { amount } taxAmount { amount } taxRate }
  subtotal { amount currencyCode } total { amount currencyCode } taxTotal { amount currencyCode } shippingTax { amount currencyCode }
  pricesIncludeTax shippingMethod { price { amount } }`

// taxedCart fills token's cart in channel with one unit of each variant,
// ships it to address and returns it as priced.
func (e *env) taxedCart(t *testing.T, token, channel, address string, variants ...string) taxedCart {
	t.Helper()
	var id string
	for _, v := range variants {
		var out struct{ AddCartLine cartResult }
		gql(t, e.h, token, `mutation($v: ID!, $ch: String) { addCartLine(input: {variantId: $v, quantity: 1, channel: $ch}) { `+cartFields+` } }`,
			map[string]any{"v": v, "ch": channel}, &out)
		if len(out.AddCartLine.Errors) > 0 {
			t.Fatalf("add %s: %+v", v, out.AddCartLine.Errors)
		}
		id = out.AddCartLine.Cart.ID
	}
	var out struct {
		SetShippingAddress struct {
			Cart   taxedCart
			Errors []struct{ Code string }
		}
	}
	gql(t, e.h, token, `mutation($c: ID!) { setShippingAddress(cartId: $c, address: `+address+`) { cart { `+taxedCartSelection+` } errors { code } } }`,
		map[string]any{"c": id}, &out)
	if len(out.SetShippingAddress.Errors) > 0 {
		t.Fatalf("address: %+v", out.SetShippingAddress.Errors)
	}
	return out.SetShippingAddress.Cart
}

func amount(m *struct{ Amount, CurrencyCode string }) string {
	if m == nil {
		return "<nil>"
	}
	return m.Amount + " " + m.CurrencyCode
}

const (
	deAddress = `{firstName: "Ada", lastName: "Allen", street1: "Hauptstr. 1", city: "Berlin", postalCode: "10115", countryCode: "DE"}`
	jpAddress = `{firstName: "Ada", lastName: "Allen", street1: "1-1 Marunouchi", city: "Chiyoda", region: "Tokyo", postalCode: "100-0005", countryCode: "JP"}`
)

func TestTaxAdminInputChecks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tt := range []struct {
		name, class, country, rate, want string
	}{
		{"unknown country", "", "XX", "19", "INVALID_COUNTRY"},
		{"not a country code", "", "Germany", "19", "INVALID_COUNTRY"},
		{"rate below zero", "", "DE", "-1", "INVALID_RATE"},
		{"rate above 100%", "", "DE", "100.01", "INVALID_RATE"},
		{"rate not a number", "", "DE", "nineteen", "INVALID_RATE"},
		{"unknown class", "txc_nope", "DE", "19", "UNKNOWN_TAX_CLASS"},
		{"lower-case country is fine", "", "de", "19", ""},
		{"100% is fine", "", "FR", "100", ""},
	} {
		if got := e.trySetRate(t, tt.class, tt.country, "", tt.rate).code(); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	if _, r := e.createClass(t, " "); r.code() != "INVALID_NAME" {
		t.Errorf("blank class name: %+v", r)
	}
	reduced, r := e.createClass(t, "Reduced")
	if r.code() != "" || reduced == "" {
		t.Fatalf("createTaxClass: %+v", r)
	}
	if _, r := e.createClass(t, "reduced"); r.code() != "NAME_TAKEN" {
		t.Errorf("same name again: %+v", r)
	}
	e.setRate(t, reduced, "DE", "", "7")
	var assign struct{ AssignTaxClass taxErrs }
	gql(t, e.h, e.staff, `mutation($c: ID!) { assignTaxClass(input: {taxClassId: $c}) { errors { code } } }`, map[string]any{"c": reduced}, &assign)
	if assign.AssignTaxClass.code() != "INVALID_TARGET" {
		t.Errorf("assign to nothing: %+v", assign)
	}
	gql(t, e.h, e.staff, `mutation { assignTaxClass(input: {taxClassId: "txc_nope", productId: "prd_1"}) { errors { code } } }`, nil, &assign)
	if assign.AssignTaxClass.code() != "UNKNOWN_TAX_CLASS" {
		t.Errorf("assign an unknown class: %+v", assign)
	}
	var list struct {
		TaxClasses []struct {
			ID, Name  string
			IsDefault bool
			Rates     []struct{ CountryCode, Region, Rate string }
		}
	}
	gql(t, e.h, e.staff, `{ taxClasses { id name isDefault rates { countryCode region rate } } }`, nil, &list)
	if got := fmt.Sprint(list.TaxClasses); got != "[{txc_default Standard true [{DE  19} {FR  100}]} {"+reduced+" Reduced false [{DE  7}]}]" {
		t.Errorf("taxClasses: %s", got)
	}
	// Customers may neither read nor change taxes.
	for _, q := range []string{`{ taxClasses { id } }`, `mutation { createTaxClass(input: {name: "Zero"}) { errors { code } } }`,
		`mutation { setTaxRate(input: {countryCode: "DE", rate: "0"}) { errors { code } } }`,
		`mutation { setTaxExempt(userId: "usr_ada", exempt: true) { errors { code } } }`} {
		if resp := gqltest.DoAs(t, e.h, e.ada, q, nil); len(resp.Errors) == 0 || resp.Errors[0].Code() != "FORBIDDEN" {
			t.Errorf("%s as a customer: %+v", q, resp.Errors)
		}
	}
}

// TestTaxedCheckoutUSD: US prices are net and sales tax goes on top, per
// state; each line is rounded to the cent, then summed (check (a)); the
// order keeps net, tax and gross per line with the rate, so a later rate
// change leaves it (check (d)); a refunded unit gives back its tax.
func TestTaxedCheckoutUSD(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, v := range []string{"var_000001", "var_000002", "var_000003"} {
		e.receive(t, v, 5)
		e.price(t, v, "default-usd", 105)
	}
	e.setRate(t, "", "US", "IL", "7")
	e.setRate(t, "", "US", "", "5") // the country's rate: IL's own wins
	e.setRate(t, "", "DE", "", "19")

	// (a): three 1.05 lines at 7% are 0.07 each, 0.21 (not 0.22 on 3.15).
	c := e.taxedCart(t, e.ada, "", usAddress, "var_000001", "var_000002", "var_000003")
	for _, l := range c.Lines {
		if l.TaxAmount == nil || l.TaxAmount.Amount != "0.07" || l.TaxRate == nil || *l.TaxRate != "7" {
			t.Fatalf("line: %+v", l)
		}
	}
	// Shipping 5.99 at 7% is 0.4193: 0.42. Total 3.15 + 5.99 + 0.21 + 0.42.
	if amount(c.Subtotal) != "3.15 USD" || amount(c.ShippingTax) != "0.42 USD" || amount(c.TaxTotal) != "0.63 USD" ||
		amount(c.Total) != "9.77 USD" || c.PricesIncludeTax {
		t.Fatalf("cart: subtotal %s shipping tax %s tax %s total %s", amount(c.Subtotal), amount(c.ShippingTax), amount(c.TaxTotal), amount(c.Total))
	}

	p := e.place(t, e.ada, c.ID, testcard.Visa, "taxed")
	if p.code() != "" || p.Order.Total.Amount != "9.77" {
		t.Fatalf("placeOrder: %+v", p)
	}
	const orderSel = `query($id: ID!) { order(id: $id) { subtotal { amount } shippingPrice { amount } shippingTax { amount } taxTotal { amount } total { amount }
  pricesIncludeTax lines { variant { id } lineTotal { amount } netTotal { amount } taxAmount { amount } grossTotal { amount } taxRate taxClass } } }`
	type placedOrder struct {
		Order struct {
			Subtotal, ShippingPrice, ShippingTax, TaxTotal, Total struct{ Amount string }
			PricesIncludeTax                                      bool
			Lines                                                 []struct {
				Variant                                    struct{ ID string }
				LineTotal, NetTotal, TaxAmount, GrossTotal struct{ Amount string }
				TaxRate, TaxClass                          string
			}
		}
	}
	var before placedOrder
	gql(t, e.h, e.ada, orderSel, map[string]any{"id": p.Order.ID}, &before)
	o := before.Order
	if o.Subtotal.Amount != "3.15" || o.ShippingPrice.Amount != "5.99" || o.ShippingTax.Amount != "0.42" || o.TaxTotal.Amount != "0.63" ||
		o.Total.Amount != "9.77" || len(o.Lines) != 3 {
		t.Fatalf("order: %+v", o)
	}
	for _, l := range o.Lines {
		if l.NetTotal.Amount != "1.05" || l.TaxAmount.Amount != "0.07" || l.GrossTotal.Amount != "1.12" || l.TaxRate != "7" || l.TaxClass != "Standard" {
			t.Errorf("order line: %+v", l)
		}
	}
	var pay struct {
		Payment struct{ Amount struct{ Amount string } }
	}
	gql(t, e.payments, e.staff, `query($id: ID!) { payment(id: $id) { amount { amount } } }`, map[string]any{"id": p.Order.Payment.ID}, &pay)
	if pay.Payment.Amount.Amount != "9.77" {
		t.Errorf("authorized %s, want the taxed total 9.77", pay.Payment.Amount.Amount)
	}
	if n := e.count(t, e.pool, `SELECT count(*) FROM order_lines WHERE net_minor + tax_minor <> gross_minor OR net_minor IS NULL`); n != 0 {
		t.Errorf("%d stored lines where net + tax != gross", n)
	}
	// order.placed tells analytics and mail the tax.
	if n := e.count(t, e.pool, `SELECT count(*) FROM outbox WHERE type = 'order.placed' AND (payload->>'subtotalMinor')::int = 315
AND (payload->>'taxMinor')::int = 63 AND (payload->>'shippingTaxMinor')::int = 42 AND (payload->>'totalMinor')::int = 977
AND (payload->'lines'->0->>'taxMinor')::int = 7`); n != 1 {
		t.Errorf("order.placed events with the tax: %d", n)
	}

	// (d): a new rate prices new carts, not the placed order.
	e.setRate(t, "", "US", "IL", "10")
	var after placedOrder
	gql(t, e.h, e.ada, orderSel, map[string]any{"id": p.Order.ID}, &after)
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("the placed order changed with the rate:\n%+v\n%+v", before, after)
	}
	if c := e.taxedCart(t, e.ada, "", usAddress, "var_000001"); c.Lines[0].TaxAmount.Amount != "0.11" {
		t.Errorf("new cart at 10%%: %+v", c.Lines[0])
	}
	// Another state without its own rate: the country's 5%.
	ny := `{firstName: "Bob", lastName: "B", street1: "1 Broadway", city: "New York", region: "ny", postalCode: "10004", countryCode: "US"}`
	if c := e.taxedCart(t, e.bob, "", ny, "var_000002"); *c.Lines[0].TaxRate != "5" || c.Lines[0].TaxAmount.Amount != "0.05" {
		t.Errorf("NY cart: %+v", c.Lines[0])
	}

	// Returning one unit refunds its net and its tax: 1.05 + 0.07.
	if m := e.move(t, e.staff, p.Order.ID, "SHIPPED"); len(m.Errors) > 0 {
		t.Fatalf("ship: %+v", m)
	}
	refund := func(lines []map[string]any) string {
		var out struct {
			RefundOrder struct{ Errors []struct{ Code string } }
		}
		gql(t, e.h, e.staff, `mutation($o: ID!, $l: [RefundLineInput!]) { refundOrder(input: {orderId: $o, lines: $l, idempotencyKey: "ret-1"}) { errors { code } } }`,
			map[string]any{"o": p.Order.ID, "l": lines}, &out)
		if len(out.RefundOrder.Errors) > 0 {
			return out.RefundOrder.Errors[0].Code
		}
		return ""
	}
	if code := refund([]map[string]any{line("var_000001", 2)}); code != "INVALID_REFUND" {
		t.Errorf("refund more units than ordered: %q", code)
	}
	if code := refund([]map[string]any{line("var_000009", 1)}); code != "INVALID_REFUND" {
		t.Errorf("refund a variant not on the order: %q", code)
	}
	if code := refund([]map[string]any{line("var_000002", 1)}); code != "" {
		t.Fatalf("refund a line: %q", code)
	}
	if n := e.count(t, e.paymentsDB, `SELECT coalesce(sum(amount_minor), 0) FROM transactions WHERE payment_id = $1 AND kind = 'REFUND' AND outcome = 'SUCCEEDED'`,
		p.Order.Payment.ID); n != 112 {
		t.Errorf("refunded %d cents, want 112 (1.05 and its 0.07 tax)", n)
	}
}

// receiveEU books units into the EU warehouse.
func (e *env) receiveEU(t *testing.T, variant string, qty int) {
	t.Helper()
	var out struct {
		AdjustStock struct{ Errors []struct{ Code string } }
	}
	gql(t, e.inventory, e.staff, `mutation($v: ID!, $d: Int!, $k: String!) { adjustStock(input: {warehouseId: "wh_eu", variantId: $v, delta: $d, reason: "count", idempotencyKey: $k}) { errors { code } } }`,
		map[string]any{"v": variant, "d": qty, "k": fmt.Sprintf("recv-eu-%s-%d", variant, time.Now().UnixNano())}, &out)
	if len(out.AdjustStock.Errors) > 0 {
		t.Fatalf("receive: %+v", out)
	}
}

// TestTaxedCheckoutEUR: EU prices are entered with VAT inside (check (c):
// 11.90 at 19% is 10.00 net and 1.90 VAT); a product type's class and a
// product's own override it; a tax-exempt customer pays the net.
func TestTaxedCheckoutEUR(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	// Three variants of products of three product types.
	var vs, products, types []string
	rows, err := e.productsDB.Query(ctx, `SELECT v, p, pt FROM (SELECT DISTINCT ON (p.product_type_id) v.id v, p.id p, p.product_type_id pt
FROM product_variants v JOIN products p ON p.id = v.product_id WHERE p.product_type_id IS NOT NULL ORDER BY p.product_type_id, v.id) x ORDER BY v LIMIT 3`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v, p, pt string
		if err := rows.Scan(&v, &p, &pt); err != nil {
			t.Fatal(err)
		}
		vs, products, types = append(vs, v), append(products, p), append(types, pt)
	}
	if rows.Close(); len(vs) != 3 {
		t.Fatalf("variants of three product types: %v", vs)
	}
	for _, v := range vs {
		e.receiveEU(t, v, 5)
		e.price(t, v, "eu-eur", 1190)
	}
	e.setRate(t, "", "DE", "", "19")
	reduced, _ := e.createClass(t, "Reduced")
	zero, _ := e.createClass(t, "Zero")
	e.setRate(t, reduced, "DE", "", "7")
	e.setRate(t, zero, "DE", "", "0")
	assign := func(vars map[string]any) {
		var out struct{ AssignTaxClass taxErrs }
		gql(t, e.h, e.staff, `mutation($c: ID!, $t: ID, $p: ID) { assignTaxClass(input: {taxClassId: $c, productTypeId: $t, productId: $p}) { taxClass { id } errors { code } } }`, vars, &out)
		if out.AssignTaxClass.code() != "" {
			t.Fatalf("assign %v: %+v", vars, out)
		}
	}
	// The third's type is Reduced; the second's too, but its product's own class (Zero) wins.
	assign(map[string]any{"c": reduced, "t": types[2]})
	assign(map[string]any{"c": reduced, "t": types[1]})
	assign(map[string]any{"c": zero, "p": products[1]})

	c := e.taxedCart(t, e.ada, "eu-eur", deAddress, vs...)
	want := map[string]string{vs[0]: "1.90 19", vs[1]: "0.00 0", vs[2]: "0.78 7"} // 11.90/1.07 = 11.1215: 11.12 net
	for _, l := range c.Lines {
		if got := l.TaxAmount.Amount + " " + *l.TaxRate; got != want[l.Variant.ID] {
			t.Errorf("%s: tax and rate %s, want %s", l.Variant.ID, got, want[l.Variant.ID])
		}
	}
	// Shipping 4.99 gross at 19%: 4.19 net, 0.80 VAT. The total is what the prices said.
	if amount(c.Subtotal) != "35.70 EUR" || amount(c.ShippingTax) != "0.80 EUR" || amount(c.TaxTotal) != "3.48 EUR" ||
		amount(c.Total) != "40.69 EUR" || !c.PricesIncludeTax {
		t.Fatalf("cart: subtotal %s shipping tax %s tax %s total %s", amount(c.Subtotal), amount(c.ShippingTax), amount(c.TaxTotal), amount(c.Total))
	}
	p := e.place(t, e.ada, c.ID, testcard.Visa, "eu")
	if p.code() != "" || p.Order.Total.Amount != "40.69" {
		t.Fatalf("placeOrder: %+v", p)
	}
	var o struct {
		Order struct {
			TaxTotal struct{ Amount string }
			Lines    []struct {
				NetTotal, TaxAmount, GrossTotal struct{ Amount string }
				TaxClass                        string
			}
		}
	}
	gql(t, e.h, e.ada, `query($id: ID!) { order(id: $id) { taxTotal { amount } lines { netTotal { amount } taxAmount { amount } grossTotal { amount } taxClass } } }`,
		map[string]any{"id": p.Order.ID}, &o)
	if got := fmt.Sprint(o.Order); got != "{{3.48} [{{10.00} {1.90} {11.90} Standard} {{11.90} {0.00} {11.90} Zero} {{11.12} {0.78} {11.90} Reduced}]}" {
		t.Errorf("order: %s", got)
	}

	// A tax-exempt customer pays the prices without their VAT.
	var ex struct{ SetTaxExempt taxErrs }
	gql(t, e.h, e.staff, `mutation { setTaxExempt(userId: "usr_bob", exempt: true) { errors { code } } }`, nil, &ex)
	if ex.SetTaxExempt.code() != "" {
		t.Fatalf("setTaxExempt: %+v", ex)
	}
	b := e.taxedCart(t, e.bob, "eu-eur", deAddress, vs[0])
	if amount(b.TaxTotal) != "0.00 EUR" || amount(b.Total) != "14.19 EUR" || b.Lines[0].TaxAmount.Amount != "0.00" {
		t.Errorf("exempt cart: tax %s total %s", amount(b.TaxTotal), amount(b.Total))
	}
	bp := e.place(t, e.bob, b.ID, testcard.Visa, "exempt")
	if bp.code() != "" || bp.Order.Total.Amount != "14.19" {
		t.Errorf("exempt order: %+v", bp)
	}
	// And in a net-priced channel, no tax on top.
	e.receive(t, "var_000001", 1)
	e.setRate(t, "", "US", "IL", "7")
	if u := e.taxedCart(t, e.bob, "", usAddress, "var_000001"); amount(u.TaxTotal) != "0.00 USD" {
		t.Errorf("exempt US cart: tax %s", amount(u.TaxTotal))
	}
}

// TestTaxedCartJPY: yen have no minor unit, so tax rounds to whole yen.
func TestTaxedCartJPY(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.price(t, "var_000001", "jp-jpy", 1980)
	e.price(t, "var_000002", "jp-jpy", 999)
	e.setRate(t, "", "JP", "", "10")
	c := e.taxedCart(t, e.ada, "jp-jpy", jpAddress, "var_000001", "var_000002")
	// ¥1,980 holds ¥180; ¥999 holds 90.8: ¥91; shipping ¥500 holds 45.45: ¥45.
	if c.Lines[0].TaxAmount.Amount != "180" || c.Lines[1].TaxAmount.Amount != "91" || amount(c.ShippingTax) != "45 JPY" ||
		amount(c.TaxTotal) != "316 JPY" || amount(c.Total) != "3479 JPY" {
		t.Errorf("cart: lines %+v, shipping tax %s, tax %s, total %s", c.Lines, amount(c.ShippingTax), amount(c.TaxTotal), amount(c.Total))
	}
	// Without an address no tax is known yet.
	var out struct{ AddCartLine struct{ Cart taxedCart } }
	gql(t, e.h, e.bob, `mutation { addCartLine(input: {variantId: "var_000001", quantity: 1, channel: "jp-jpy"}) { cart { `+taxedCartSelection+` } } }`, nil, &out)
	if out.AddCartLine.Cart.TaxTotal != nil || out.AddCartLine.Cart.Lines[0].TaxAmount != nil || amount(out.AddCartLine.Cart.Total) != "1980 JPY" {
		t.Errorf("cart without address: %+v", out.AddCartLine.Cart)
	}
}

// TestDemoTaxes: the demo seed writes US sales tax and EU VAT, and keeps a
// rate staff changed when it runs again.
func TestDemoTaxes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.NewPool(t, pgstore.Migrations)
	if err := pgstore.Seed(ctx, pool, &demo.World{}); err != nil {
		t.Fatal(err)
	}
	mustExec(t, pool, `UPDATE tax_rates SET rate_ppm = 160000 WHERE country = 'DE' AND class_id = 'txc_default'`)
	if err := pgstore.Seed(ctx, pool, &demo.World{}); err != nil {
		t.Fatal(err)
	}
	var de, ca, fr, stationery int64
	if err := pool.QueryRow(ctx, `SELECT
  (SELECT rate_ppm FROM tax_rates WHERE country = 'DE' AND class_id = 'txc_default' AND region = ''),
  (SELECT rate_ppm FROM tax_rates WHERE country = 'US' AND region = 'CA'),
  (SELECT rate_ppm FROM tax_rates WHERE country = 'FR' AND class_id = 'txc_default'),
  (SELECT count(*) FROM tax_class_product_types WHERE product_type_id = 'pty_005')`).Scan(&de, &ca, &fr, &stationery); err != nil {
		t.Fatal(err)
	}
	if de != 160_000 || ca != 72_500 || fr != 200_000 || stationery != 1 {
		t.Errorf("DE %d, US-CA %d, FR %d, stationery classed %d", de, ca, fr, stationery)
	}
}
