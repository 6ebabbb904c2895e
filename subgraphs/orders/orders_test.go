package orders_test

import (
	"fmt"
	"testing"

	"github.com/myshop/supergraph/subgraphs/payments/testcard"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
)

func TestCart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "var_000001", 3)
	r := e.add(t, e.ada, "var_000001", 2)
	r = e.add(t, e.ada, "var_000001", 2) // adds up: one line of 4
	r = e.add(t, e.ada, "var_000002", 1)
	c := r.Cart
	if len(r.Errors) > 0 || len(c.Lines) != 2 || c.Lines[0].Quantity != 4 || c.Lines[0].UnitPrice == nil {
		t.Fatalf("cart: %+v", r)
	}
	// Prices are the catalog's; lines are rounded, the total is their sum.
	var v struct {
		Variant struct {
			Price struct{ Amount, MinorUnits any }
		}
	}
	gql(t, e.products, "", `{ variant(id: "var_000001") { price { amount minorUnits } } }`, nil, &v)
	if c.Lines[0].UnitPrice.Amount != v.Variant.Price.Amount || c.Lines[0].UnitPrice.CurrencyCode != "USD" {
		t.Errorf("unit price %+v, catalog %+v", c.Lines[0].UnitPrice, v.Variant.Price)
	}
	var l0, l1, total float64
	fmt.Sscan(c.Lines[0].LineTotal.Amount, &l0)
	fmt.Sscan(c.Lines[1].LineTotal.Amount, &l1)
	fmt.Sscan(c.Total.Amount, &total)
	if fmt.Sprintf("%.2f", l0+l1) != c.Total.Amount {
		t.Errorf("total %s, lines %s + %s", c.Total.Amount, c.Lines[0].LineTotal.Amount, c.Lines[1].LineTotal.Amount)
	}
	// Problems: 4 wanted, 3 in stock; none at all of var_000002; no address.
	want := map[string]bool{"INSUFFICIENT_STOCK var_000001 3": true, "INSUFFICIENT_STOCK var_000002 0": true, "SHIPPING_ADDRESS_REQUIRED": true}
	for _, p := range c.Problems {
		k := p.Code
		if p.VariantID != nil {
			k = fmt.Sprintf("%s %s %d", p.Code, *p.VariantID, *p.AvailableQuantity)
		}
		if !want[k] {
			t.Errorf("unexpected problem %s", k)
		}
		delete(want, k)
	}
	if len(want) > 0 {
		t.Errorf("missing problems %v", want)
	}

	for _, bad := range []struct {
		q    string
		vars map[string]any
		code string
	}{
		{`mutation($v: ID!) { addCartLine(input: {variantId: $v, quantity: 0}) { errors { code } } }`, map[string]any{"v": "var_000001"}, "INVALID_QUANTITY"},
		{`mutation($v: ID!) { addCartLine(input: {variantId: $v, quantity: 97}) { errors { code } } }`, map[string]any{"v": "var_000001"}, "INVALID_QUANTITY"},
		{`mutation($v: ID!) { addCartLine(input: {variantId: $v, quantity: 1}) { errors { code } } }`, map[string]any{"v": "var_999999"}, "VARIANT_NOT_FOUND"},
		{`mutation($v: ID!) { addCartLine(input: {variantId: $v, quantity: 1, channel: "mars"}) { errors { code } } }`, map[string]any{"v": "var_000001"}, "INVALID_CHANNEL"},
		{`mutation($c: ID!) { updateCartLine(input: {cartId: $c, variantId: "var_000001", quantity: 101}) { errors { code } } }`, map[string]any{"c": c.ID}, "INVALID_QUANTITY"},
		{`mutation($c: ID!) { updateCartLine(input: {cartId: $c, variantId: "var_000003", quantity: 1}) { errors { code } } }`, map[string]any{"c": c.ID}, "NOT_FOUND"},
		{`mutation($c: ID!) { setShippingAddress(cartId: $c, address: {firstName: "A", lastName: "B", street1: "s", city: "c", postalCode: "1", countryCode: "XX"}) { errors { code } } }`, map[string]any{"c": c.ID}, "INVALID_ADDRESS"},
		{`mutation($c: ID!) { setShippingAddress(cartId: $c, address: {firstName: "A", lastName: "B", street1: "s", city: "", postalCode: "1", countryCode: "DE"}) { errors { code } } }`, map[string]any{"c": c.ID}, "INVALID_ADDRESS"},
	} {
		var out map[string]struct{ Errors []struct{ Code string } }
		gql(t, e.h, e.ada, bad.q, bad.vars, &out)
		for _, p := range out {
			if len(p.Errors) != 1 || p.Errors[0].Code != bad.code {
				t.Errorf("%s: %+v, want %s", bad.q, p.Errors, bad.code)
			}
		}
	}
	// Someone else's cart does not exist for Bob.
	var bob map[string]struct{ Errors []struct{ Code string } }
	gql(t, e.h, e.bob, `mutation($c: ID!) { removeCartLine(cartId: $c, variantId: "var_000001") { errors { code } } }`, map[string]any{"c": c.ID}, &bob)
	if bob["removeCartLine"].Errors[0].Code != "NOT_FOUND" {
		t.Errorf("bob on ada's cart: %+v", bob)
	}
	var upd struct{ UpdateCartLine cartResult }
	gql(t, e.h, e.ada, `mutation($c: ID!) { updateCartLine(input: {cartId: $c, variantId: "var_000001", quantity: 1}) { `+cartFields+` } }`, map[string]any{"c": c.ID}, &upd)
	var rm struct{ RemoveCartLine cartResult }
	gql(t, e.h, e.ada, `mutation($c: ID!) { removeCartLine(cartId: $c, variantId: "var_000002") { `+cartFields+` } }`, map[string]any{"c": c.ID}, &rm)
	if got := rm.RemoveCartLine.Cart; len(got.Lines) != 1 || got.Lines[0].Quantity != 1 || got.Total.Amount != got.Lines[0].UnitPrice.Amount {
		t.Errorf("after update and remove: %+v", got)
	}
	// A channel prices in its currency; a variant not sold there is a problem, not a failure.
	mustExec(t, e.productsDB, `DELETE FROM variant_prices WHERE variant_id = 'var_000002' AND channel = 'eu-eur'`)
	var eu struct{ AddCartLine cartResult }
	gqltest.DoAs(t, e.h, e.ada, `mutation { addCartLine(input: {variantId: "var_000001", quantity: 1, channel: "eu-eur"}) { errors { code } } }`, nil)
	gql(t, e.h, e.ada, `mutation { addCartLine(input: {variantId: "var_000002", quantity: 1, channel: "eu-eur"}) { `+cartFields+` } }`, nil, &eu)
	ec := eu.AddCartLine.Cart
	if ec.Lines[0].UnitPrice.CurrencyCode != "EUR" || ec.Lines[1].UnitPrice != nil || ec.Total.CurrencyCode != "EUR" {
		t.Errorf("eu cart: %+v", ec)
	}
	found := false
	for _, p := range ec.Problems {
		found = found || p.Code == "VARIANT_NOT_AVAILABLE" && *p.VariantID == "var_000002"
	}
	if !found {
		t.Errorf("no VARIANT_NOT_AVAILABLE: %+v", ec.Problems)
	}
}

func TestStatusMachine(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "var_000001", 5)
	p := e.place(t, e.ada, e.cart(t, e.ada, "var_000001", 2), testcard.Visa, "k")
	id := p.Order.ID
	if m := e.move(t, e.staff, id, "DELIVERED"); len(m.Errors) != 1 || m.Errors[0].Code != "INVALID_TRANSITION" ||
		fmt.Sprint(m.Errors[0].AllowedTransitions) != "[PROCESSING PARTIALLY_SHIPPED SHIPPED CANCELED]" || m.Order.Status != "CONFIRMED" {
		t.Errorf("CONFIRMED → DELIVERED: %+v", m)
	}
	if resp := gqltest.DoAs(t, e.h, e.ada, `mutation($o: ID!) { updateOrderStatus(orderId: $o, status: SHIPPED) { errors { code } } }`,
		map[string]any{"o": id}); len(resp.Errors) == 0 || resp.Errors[0].Code() != "FORBIDDEN" {
		t.Errorf("customer moved an order: %+v", resp)
	}
	for i, s := range []string{"PROCESSING", "SHIPPED", "DELIVERED"} {
		if m := e.move(t, e.staff, id, s); len(m.Errors) > 0 || m.Order.Status != s || m.Order.Version != i+2 {
			t.Fatalf("→ %s: %+v", s, m)
		}
	}
	// Shipping fulfilled the stock and captured the payment.
	if onHand, allocated, _ := e.level(t, "var_000001"); onHand != 3 || allocated != 0 {
		t.Errorf("after shipping: on hand %d, allocated %d", onHand, allocated)
	}
	if st := e.paymentStatus(t, p.Order.Payment.ID); st != "PAID" {
		t.Errorf("payment %s after shipping", st)
	}
	// One event and one outbox row per change, versions 1..4 in order.
	var o struct {
		Order struct {
			Events []struct {
				From      *string
				To, Actor string
				Version   int
			}
		}
	}
	gql(t, e.h, e.staff, `query($id: ID!) { order(id: $id) { events { from to actor version } } }`, map[string]any{"id": id}, &o)
	if len(o.Order.Events) != 4 || *o.Order.Events[3].From != "SHIPPED" || o.Order.Events[3].To != "DELIVERED" || o.Order.Events[3].Actor != "usr_staff" {
		t.Errorf("events: %+v", o.Order.Events)
	}
	rows, err := e.pool.Query(t.Context(), `SELECT (payload->>'version')::int FROM outbox WHERE type = 'order.status_changed' AND payload->>'orderId' = $1 ORDER BY id`, id)
	if err != nil {
		t.Fatal(err)
	}
	var versions []int
	for rows.Next() {
		var v int
		_ = rows.Scan(&v)
		versions = append(versions, v)
	}
	if fmt.Sprint(versions) != "[1 2 3 4]" {
		t.Errorf("outbox versions %v", versions)
	}
	// DELIVERED can still be canceled (refunding); CANCELED is the end.
	if m := e.move(t, e.staff, id, "CANCELED"); len(m.Errors) > 0 {
		t.Fatalf("cancel delivered: %+v", m)
	}
	if st := e.paymentStatus(t, p.Order.Payment.ID); st != "REFUNDED" {
		t.Errorf("payment %s after canceling a delivered order", st)
	}
	if m := e.move(t, e.staff, id, "PROCESSING"); len(m.Errors) != 1 || m.Errors[0].Code != "INVALID_TRANSITION" || len(m.Errors[0].AllowedTransitions) != 0 {
		t.Errorf("move from CANCELED: %+v", m)
	}
}

func TestCancelReleasesStockAndVoidsPayment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "var_000001", 5)
	p := e.place(t, e.ada, e.cart(t, e.ada, "var_000001", 2), testcard.Visa, "k")
	var out struct{ CancelOrder moved }
	gql(t, e.h, e.staff, `mutation($o: ID!) { cancelOrder(orderId: $o, reason: "customer asked") { order { status version } errors { code allowedTransitions } } }`,
		map[string]any{"o": p.Order.ID}, &out)
	if c := out.CancelOrder; len(c.Errors) > 0 || c.Order.Status != "CANCELED" || c.Order.Version != 2 {
		t.Fatalf("cancel: %+v", c)
	}
	if onHand, allocated, reserved := e.level(t, "var_000001"); onHand != 5 || allocated != 0 || reserved != 0 {
		t.Errorf("after cancel: on hand %d, allocated %d, reserved %d", onHand, allocated, reserved)
	}
	if st := e.paymentStatus(t, p.Order.Payment.ID); st != "VOIDED" {
		t.Errorf("payment %s after cancel", st)
	}
	gql(t, e.h, e.staff, `mutation($o: ID!) { cancelOrder(orderId: $o) { order { status version } errors { code allowedTransitions } } }`,
		map[string]any{"o": p.Order.ID}, &out)
	if c := out.CancelOrder; len(c.Errors) != 1 || c.Errors[0].Code != "INVALID_TRANSITION" {
		t.Errorf("cancel twice: %+v", c)
	}
}

func TestOrdersAreVisibleOnlyToTheirCustomerAndStaff(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "var_000001", 5)
	id := e.place(t, e.ada, e.cart(t, e.ada, "var_000001", 1), testcard.Visa, "k").Order.ID
	for name, tok := range map[string]string{"ada": e.ada, "staff": e.staff, "bob": e.bob, "anonymous": "",
		"staff without READ_ORDERS": e.tokens.Token("usr_clerk", "ADJUST_STOCK")} {
		resp := gqltest.DoAs(t, e.h, tok, `query($id: ID!) { order(id: $id) { id } _entities(representations: [{__typename: "Order", id: $id}]) { ... on Order { id } } }`,
			map[string]any{"id": id})
		if len(resp.Errors) > 0 {
			t.Fatalf("%s: %+v", name, resp.Errors)
		}
		visible := name == "ada" || name == "staff"
		want := `{"order":null,"_entities":[null]}`
		if visible {
			want = fmt.Sprintf(`{"order":{"id":%q},"_entities":[{"id":%q}]}`, id, id)
		}
		gqltest.JSONEq(t, resp.Data, want)
	}
	// User.orders, as the router asks for it through _entities.
	q := `{ _entities(representations: [{__typename: "User", id: "usr_ada"}]) { ... on User { orders { edges { node { id } } } } } }`
	if resp := gqltest.DoAs(t, e.h, e.bob, q, nil); len(resp.Errors) != 1 || resp.Errors[0].Code() != "FORBIDDEN" {
		t.Errorf("bob reads ada's orders: %+v %s", resp.Errors, resp.Data)
	}
	var mine struct {
		Entities []struct {
			Orders struct {
				Edges []struct{ Node struct{ ID string } }
			}
		} `json:"_entities"`
	}
	gql(t, e.h, e.ada, q, nil, &mine)
	if len(mine.Entities[0].Orders.Edges) != 1 || mine.Entities[0].Orders.Edges[0].Node.ID != id {
		t.Errorf("ada's own orders: %+v", mine)
	}
	var bobs struct{ MyOrders struct{ Edges []any } }
	gql(t, e.h, e.bob, `{ myOrders { edges { node { id } } } }`, nil, &bobs)
	if len(bobs.MyOrders.Edges) != 0 {
		t.Errorf("bob's orders: %+v", bobs)
	}
	if resp := gqltest.DoAs(t, e.h, e.bob, `{ orders { edges { node { id } } } }`, nil); len(resp.Errors) != 1 || resp.Errors[0].Code() != "FORBIDDEN" {
		t.Errorf("bob lists all orders: %+v", resp.Errors)
	}
}

func TestOrderListsCostAFixedNumberOfStatements(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "var_000001", 20)
	e.receive(t, "var_000002", 20)
	var ids []string
	for i := range 4 {
		p := e.place(t, e.ada, e.cart(t, e.ada, "var_000001", 1, "var_000002", 2), testcard.Visa, fmt.Sprint("k", i))
		ids = append(ids, p.Order.ID)
	}
	e.move(t, e.staff, ids[0], "PROCESSING")
	query := `query($n: Int, $after: String) { myOrders(first: $n, after: $after) { edges { node { id number status total { amount }
  lines { sku quantity unitPrice { amount } lineTotal { amount } } events { to version } shippingMethod { code name minDays } } } pageInfo { hasNextPage endCursor } } }`
	type page struct {
		MyOrders struct {
			Edges []struct {
				Node struct {
					ID             string
					Lines          []any
					ShippingMethod *struct{ Code, Name string }
				}
			}
			PageInfo struct {
				HasNextPage bool
				EndCursor   string
			}
		}
	}
	statements := func(n int) (int64, page) {
		var out page
		count := e.statementsOf(t, e.ada, query, map[string]any{"n": n}, &out)
		return count, out
	}
	one, _ := statements(1)
	all, p := statements(10)
	// Orders, lines, events, and the shipping table's zones and methods.
	if one == 0 || one != all || all > 5 {
		t.Errorf("statements: %d for 1 order, %d for 4", one, all)
	}
	for _, e := range p.MyOrders.Edges {
		if m := e.Node.ShippingMethod; m == nil || m.Code == "" || m.Name == "" || m.Name == m.Code {
			t.Errorf("order %s shipping method: %+v", e.Node.ID, m)
		}
	}
	if len(p.MyOrders.Edges) != 4 || p.MyOrders.Edges[0].Node.ID != ids[3] || len(p.MyOrders.Edges[0].Node.Lines) != 2 {
		t.Errorf("newest first with lines: %+v", p)
	}
	// Pages: 3 then 1, no duplicates; a cursor of another list is refused.
	var first, second page
	gql(t, e.h, e.ada, query, map[string]any{"n": 3}, &first)
	gql(t, e.h, e.ada, query, map[string]any{"n": 3, "after": first.MyOrders.PageInfo.EndCursor}, &second)
	if !first.MyOrders.PageInfo.HasNextPage || len(second.MyOrders.Edges) != 1 || second.MyOrders.Edges[0].Node.ID != ids[0] || second.MyOrders.PageInfo.HasNextPage {
		t.Errorf("pages: %+v / %+v", first, second)
	}
	resp := gqltest.DoAs(t, e.h, e.staff, `query($a: String) { orders(after: $a) { edges { node { id } } } }`, map[string]any{"a": first.MyOrders.PageInfo.EndCursor})
	if len(resp.Errors) != 1 || resp.Errors[0].Code() != "INVALID_CURSOR" {
		t.Errorf("foreign cursor: %+v", resp.Errors)
	}
	var processing struct {
		Orders struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	gql(t, e.h, e.staff, `{ orders(where: {status: PROCESSING}) { edges { node { id } } } }`, nil, &processing)
	if len(processing.Orders.Edges) != 1 || processing.Orders.Edges[0].Node.ID != ids[0] {
		t.Errorf("orders in PROCESSING: %+v", processing)
	}
}
