package inventory_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/myshop/supergraph/subgraphs/demo"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/myshop/supergraph/platform/auth/authtest"
	"github.com/myshop/supergraph/subgraphs/inventory"
	pgstore "github.com/myshop/supergraph/subgraphs/inventory/postgres"
	"github.com/myshop/supergraph/subgraphs/inventory/stock"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
	"github.com/myshop/supergraph/subgraphs/platform/pgtest"
	"github.com/myshop/supergraph/subgraphs/platform/postgres"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
)

type env struct {
	h          http.Handler
	pool       *pgxpool.Pool
	statements *postgres.StatementCounter
	tokens     *authtest.Issuer
	checkout   string // the orders subgraph's service token
	staff      string
}

// newEnv is the inventory subgraph over a fresh database holding the
// warehouses and a few test levels (not the demo stock).
func newEnv(t *testing.T) *env { return newBenchEnv(t) }

func newBenchEnv(t testing.TB) *env {
	t.Helper()
	counter := &postgres.StatementCounter{}
	pool, err := postgres.Open(context.Background(), pgtest.NewDatabase(t, pgstore.Migrations), counter)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	mustExec(t, pool, `INSERT INTO warehouses (id, name, street, city, postal_code, country, countries, priority) VALUES
		('wh_a', 'A', 's', 'c', 'p', 'US', '{US}', 10), ('wh_b', 'B', 's', 'c', 'p', 'US', '{US,CA}', 20)`)
	mustExec(t, pool, `INSERT INTO suppliers (id, name, contact_email, lead_time_days) VALUES ('sup_1', 'S', 's@example.com', 3)`)
	issuer := authtest.New(t)
	h := inventory.Handler(subgraph.Deps{Pool: pool, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		LoaderWait: subgraph.DefaultLoaderWait, Verifier: issuer.Verifier()})
	e := &env{h: h, pool: pool, statements: counter, tokens: issuer,
		checkout: issuer.Token("svc_orders", stock.ReserveStock),
		staff:    issuer.Token("usr_staff", stock.AdjustStock, stock.ManageOrders)}
	return e
}

func mustExec(t testing.TB, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

// receive puts qty units of variant into warehouse, as staff would.
func (e *env) receive(t testing.TB, warehouse, variant string, qty int) {
	t.Helper()
	r := e.mutate(t, e.staff, `mutation($w: ID!, $v: ID!, $d: Int!, $k: String!) { adjustStock(input: {warehouseId: $w, variantId: $v, delta: $d, reason: "count", idempotencyKey: $k}) { errors { code } } }`,
		"adjustStock", map[string]any{"w": warehouse, "v": variant, "d": qty, "k": fmt.Sprintf("recv-%s-%s-%d-%d", warehouse, variant, qty, time.Now().UnixNano())})
	if code(r) != "" {
		t.Fatalf("receive: %v", r)
	}
}

type result map[string]any

func (e *env) mutate(t testing.TB, token, q, field string, vars map[string]any) result {
	t.Helper()
	resp := gqltest.DoAs(t, e.h, token, q, vars)
	if len(resp.Errors) > 0 {
		t.Fatalf("%s: %+v", field, resp.Errors)
	}
	var out map[string]result
	gqltest.Decode(t, resp.Data, &out)
	return out[field]
}

func code(r result) string {
	errs, _ := r["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	return errs[0].(map[string]any)["code"].(string)
}

const reserve = `mutation($ref: String!, $lines: [StockLineInput!]!, $k: String!, $ttl: Int, $country: String) {
  reserveStock(input: {reference: $ref, lines: $lines, idempotencyKey: $k, ttlSeconds: $ttl, shipToCountry: $country}) {
    reservation { id status lines { warehouseId variantId quantity } } errors { code shortages { variantId requested available } } } }`

func (e *env) reserve(t testing.TB, key string, lines ...any) result {
	t.Helper()
	return e.mutate(t, e.checkout, reserve, "reserveStock", map[string]any{"ref": "chk_" + key, "lines": lines, "k": key})
}

func line(variant string, qty int) map[string]any {
	return map[string]any{"variantId": variant, "quantity": qty}
}

func (e *env) level(t *testing.T, warehouse, variant string) (onHand, allocated, reserved int) {
	t.Helper()
	if err := e.pool.QueryRow(context.Background(), `SELECT on_hand, allocated, reserved FROM stock WHERE warehouse_id = $1 AND variant_id = $2`,
		warehouse, variant).Scan(&onHand, &allocated, &reserved); err != nil {
		t.Fatal(err)
	}
	return
}

// assertLedger checks the rule every scenario must keep: each level is
// the sum of its movements.
func (e *env) assertLedger(t *testing.T) {
	t.Helper()
	var bad int
	if err := e.pool.QueryRow(context.Background(), `
SELECT count(*) FROM stock s LEFT JOIN (
  SELECT warehouse_id, variant_id, sum(on_hand_delta) o, sum(allocated_delta) a, sum(reserved_delta) r FROM movements GROUP BY 1, 2
) m USING (warehouse_id, variant_id)
WHERE s.on_hand <> coalesce(m.o, 0) OR s.allocated <> coalesce(m.a, 0) OR s.reserved <> coalesce(m.r, 0)`).Scan(&bad); err != nil {
		t.Fatal(err)
	}
	if bad != 0 {
		t.Fatalf("%d stock levels differ from the sum of their movements", bad)
	}
}

func TestReserveTheWholeCartOrNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "wh_a", "var_1", 3)
	e.receive(t, "wh_b", "var_1", 4)
	e.receive(t, "wh_a", "var_2", 1)

	// The same variant on two lines is checked for their sum: 4 + 4 > 7.
	r := e.reserve(t, "k1", line("var_1", 4), line("var_2", 1), line("var_1", 4))
	if code(r) != "INSUFFICIENT_STOCK" || !strings.Contains(fmt.Sprint(r["errors"]), "requested:8") {
		t.Fatalf("over-asking cart: %v", r)
	}
	if _, _, reserved := e.level(t, "wh_a", "var_2"); reserved != 0 {
		t.Fatal("a refused cart held stock")
	}
	// 5 of var_1: 3 from A (priority 10), 2 from B.
	r = e.reserve(t, "k2", line("var_1", 2), line("var_2", 1), line("var_1", 3))
	if code(r) != "" {
		t.Fatalf("reserve: %v", r)
	}
	gqltest.JSONEq(t, mustJSON(r["reservation"].(map[string]any)["lines"]),
		`[{"warehouseId":"wh_a","variantId":"var_1","quantity":3},{"warehouseId":"wh_b","variantId":"var_1","quantity":2},{"warehouseId":"wh_a","variantId":"var_2","quantity":1}]`)
	// Shipping to Canada: only B serves it.
	ca := e.mutate(t, e.checkout, reserve, "reserveStock", map[string]any{"ref": "chk_ca", "lines": []any{line("var_1", 2)}, "k": "ca", "country": "ca"})
	gqltest.JSONEq(t, mustJSON(ca["reservation"].(map[string]any)["lines"]), `[{"warehouseId":"wh_b","variantId":"var_1","quantity":2}]`)
	if r := e.mutate(t, e.checkout, reserve, "reserveStock", map[string]any{"ref": "chk_ca2", "lines": []any{line("var_2", 1)}, "k": "ca2", "country": "CA"}); code(r) != "INSUFFICIENT_STOCK" {
		t.Fatalf("var_2 is only in A, which does not ship to Canada: %v", r)
	}
	if r := e.reserve(t, "k3", line("nope", 1)); code(r) != "INSUFFICIENT_STOCK" {
		t.Fatalf("unknown variant: %v", r)
	}
	if r := e.reserve(t, "k4", line("var_1", 0)); code(r) != "INVALID" {
		t.Fatalf("zero quantity: %v", r)
	}
	e.assertLedger(t)
}

func TestTheLastUnitsGoToExactlyAsManyCheckouts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "wh_a", "var_hot", 30)
	e.receive(t, "wh_b", "var_hot", 20)
	var wg sync.WaitGroup
	codes := make([]string, 200)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = code(e.reserve(t, fmt.Sprintf("race-%d", i), line("var_hot", 1)))
		}()
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		switch c {
		case "":
			ok++
		case "INSUFFICIENT_STOCK":
		default:
			t.Fatalf("unexpected code %q", c)
		}
	}
	if ok != 50 {
		t.Fatalf("%d of 200 checkouts got one of 50 units", ok)
	}
	e.assertLedger(t)
}

func TestReservationLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "wh_a", "var_1", 10)
	id := func(r result) string { return r["reservation"].(map[string]any)["id"].(string) }
	move := func(op, token, rid string) result {
		return e.mutate(t, token, `mutation($id: ID!) { `+op+`(id: $id) { reservation { status } errors { code } } }`, op, map[string]any{"id": rid})
	}

	a := id(e.reserve(t, "a", line("var_1", 4)))
	if r := move("convertReservation", e.checkout, a); code(r) != "" {
		t.Fatalf("convert: %v", r)
	}
	if on, al, re := e.level(t, "wh_a", "var_1"); on != 10 || al != 4 || re != 0 {
		t.Fatalf("after convert: %d %d %d", on, al, re)
	}
	if r := move("convertReservation", e.checkout, a); code(r) != "INVALID_STATE" {
		t.Fatalf("convert twice: %v", r)
	}
	if r := move("fulfillReservation", e.staff, a); code(r) != "" {
		t.Fatalf("fulfill: %v", r)
	}
	if on, al, re := e.level(t, "wh_a", "var_1"); on != 6 || al != 0 || re != 0 {
		t.Fatalf("after fulfil: %d %d %d", on, al, re)
	}

	b := id(e.reserve(t, "b", line("var_1", 2)))
	if r := move("releaseReservation", e.checkout, b); code(r) != "" {
		t.Fatalf("release: %v", r)
	}
	// A canceled order gives its allocation back.
	c := id(e.reserve(t, "c", line("var_1", 2)))
	move("convertReservation", e.checkout, c)
	move("releaseReservation", e.checkout, c)
	if on, al, re := e.level(t, "wh_a", "var_1"); on != 6 || al != 0 || re != 0 {
		t.Fatalf("after releases: %d %d %d", on, al, re)
	}

	// Expiry: the sweeper frees held units; converting after expiry fails
	// and frees them too, even before the sweeper comes by.
	d := id(e.reserve(t, "d", line("var_1", 1)))
	mustExec(t, e.pool, `UPDATE reservations SET expires_at = now() - interval '1 second' WHERE id = $1`, d)
	if r := move("convertReservation", e.checkout, d); code(r) != "INVALID_STATE" {
		t.Fatalf("convert after expiry: %v", r)
	}
	f := id(e.reserve(t, "f", line("var_1", 2)))
	n, err := pgstore.New(e.pool).ExpireDue(context.Background(), time.Now().Add(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("sweeper expired %d: %v", n, err)
	}
	if r := move("convertReservation", e.checkout, f); code(r) != "INVALID_STATE" {
		t.Fatalf("convert expired: %v", r)
	}
	if _, _, re := e.level(t, "wh_a", "var_1"); re != 0 {
		t.Fatalf("expired reservations still hold %d", re)
	}
	e.assertLedger(t)
}

func TestAdjustmentsNeverGoNegative(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "wh_a", "var_1", 5)
	e.reserve(t, "k", line("var_1", 3))
	adjust := `mutation($d: Int!, $k: String!) { adjustStock(input: {warehouseId: "wh_a", variantId: "var_1", delta: $d, reason: "damaged", idempotencyKey: $k}) { stockLevel { onHand available } errors { code } } }`
	if r := e.mutate(t, e.staff, adjust, "adjustStock", map[string]any{"d": -3, "k": "a1"}); code(r) != "BELOW_COMMITTED" {
		t.Fatalf("below reserved: %v", r)
	}
	if r := e.mutate(t, e.staff, adjust, "adjustStock", map[string]any{"d": -2, "k": "a2"}); code(r) != "" {
		t.Fatalf("allowed adjustment: %v", r)
	}
	if r := e.mutate(t, e.staff, adjust, "adjustStock", map[string]any{"d": -2, "k": "a2"}); code(r) != "" {
		t.Fatalf("replayed adjustment: %v", r)
	}
	if on, _, _ := e.level(t, "wh_a", "var_1"); on != 3 {
		t.Fatalf("on hand %d after a replay, want 3 (applied once)", on)
	}
	if r := e.mutate(t, e.staff, adjust, "adjustStock", map[string]any{"d": -1, "k": "a2"}); code(r) != "IDEMPOTENCY_KEY_REUSED" {
		t.Fatalf("key reused: %v", r)
	}
	if r := e.mutate(t, e.staff, `mutation { adjustStock(input: {warehouseId: "wh_zz", variantId: "v", delta: 1, reason: "x", idempotencyKey: "z"}) { errors { code } } }`, "adjustStock", nil); code(r) != "NOT_FOUND" {
		t.Fatalf("unknown warehouse: %v", r)
	}
	// Transfers move only available units.
	transfer := `mutation($q: Int!, $k: String!) { transferStock(input: {fromWarehouseId: "wh_a", toWarehouseId: "wh_b", variantId: "var_1", quantity: $q, idempotencyKey: $k}) { ok errors { code } } }`
	if r := e.mutate(t, e.staff, transfer, "transferStock", map[string]any{"q": 1, "k": "t1"}); code(r) != "BELOW_COMMITTED" {
		t.Fatalf("transfer of reserved units: %v", r)
	}
	e.receive(t, "wh_a", "var_1", 2)
	if r := e.mutate(t, e.staff, transfer, "transferStock", map[string]any{"q": 2, "k": "t2"}); code(r) != "" {
		t.Fatalf("transfer: %v", r)
	}
	if on, _, _ := e.level(t, "wh_b", "var_1"); on != 2 {
		t.Fatalf("wh_b has %d", on)
	}
	e.assertLedger(t)
}

func TestLowStockAlertOncePerCrossing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "wh_a", "var_1", 10) // threshold 5 by default
	alerts := func() (open, events int) {
		if err := e.pool.QueryRow(context.Background(), `SELECT
			(SELECT count(*) FROM low_stock_alerts WHERE cleared_at IS NULL),
			(SELECT count(*) FROM outbox WHERE type = 'inventory.low_stock')`).Scan(&open, &events); err != nil {
			t.Fatal(err)
		}
		return
	}
	e.reserve(t, "r1", line("var_1", 4)) // 6 left: fine
	if o, ev := alerts(); o != 0 || ev != 0 {
		t.Fatalf("alert above threshold: %d %d", o, ev)
	}
	r2 := e.reserve(t, "r2", line("var_1", 2)) // 4 left: low
	e.reserve(t, "r3", line("var_1", 1))       // 3 left: still low, no new alert
	if o, ev := alerts(); o != 1 || ev != 1 {
		t.Fatalf("alerts %d, events %d; want 1 and 1", o, ev)
	}
	e.mutate(t, e.checkout, `mutation($id: ID!) { releaseReservation(id: $id) { errors { code } } }`, "releaseReservation",
		map[string]any{"id": r2["reservation"].(map[string]any)["id"]}) // 5 left: still at the threshold
	e.receive(t, "wh_a", "var_1", 5) // 10 left: cleared
	if o, _ := alerts(); o != 0 {
		t.Fatalf("alert not cleared: %d open", o)
	}
	e.reserve(t, "r4", line("var_1", 6)) // crosses again: a second alert
	if o, ev := alerts(); o != 1 || ev != 2 {
		t.Fatalf("second crossing: %d open, %d events", o, ev)
	}
	resp := gqltest.DoAs(t, e.h, e.staff, `{ lowStockAlerts { warehouseId variantId threshold } }`, nil)
	gqltest.JSONEq(t, resp.Data, `{"lowStockAlerts":[{"warehouseId":"wh_a","variantId":"var_1","threshold":5}]}`)
}

func TestPermissionsAndFederation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "wh_a", "var_1", 7)
	e.receive(t, "wh_b", "var_1", 2)
	shopper := e.tokens.Token("usr_0001")
	if resp := gqltest.DoAs(t, e.h, shopper, reserve, map[string]any{"ref": "x", "lines": []any{line("var_1", 1)}, "k": "x"}); len(resp.Errors) == 0 || resp.Errors[0].Code() != "FORBIDDEN" {
		t.Fatalf("a shopper reserved stock directly: %s", resp.Data)
	}
	var reps []any
	for i := range 100 {
		reps = append(reps, map[string]any{"__typename": "ProductVariant", "id": fmt.Sprintf("var_%d", i)})
	}
	e.statements.Reset()
	resp := gqltest.DoAs(t, e.h, shopper, `query($r: [_Any!]!) { _entities(representations: $r) { ... on ProductVariant { id availableQuantity inStock } } }`, map[string]any{"r": reps})
	if len(resp.Errors) > 0 {
		t.Fatal(resp.Errors)
	}
	if n := e.statements.Count(); n != 1 {
		t.Fatalf("100 variants cost %d statements, want 1", n)
	}
	if !strings.Contains(string(resp.Data), `{"id":"var_1","availableQuantity":9,"inStock":true}`) ||
		!strings.Contains(string(resp.Data), `{"id":"var_2","availableQuantity":0,"inStock":false}`) {
		t.Fatalf("entities: %.300s", resp.Data)
	}
	// Per-warehouse detail is for staff.
	one := `{ _entities(representations: [{__typename: "ProductVariant", id: "var_1"}]) { ... on ProductVariant { stock { warehouseId onHand } } } }`
	if r := gqltest.DoAs(t, e.h, shopper, one, nil); len(r.Errors) == 0 || r.Errors[0].Code() != "FORBIDDEN" {
		t.Fatalf("shopper saw warehouse stock: %s", r.Data)
	}
	r := gqltest.DoAs(t, e.h, e.staff, one, nil)
	gqltest.JSONEq(t, r.Data, `{"_entities":[{"stock":[{"warehouseId":"wh_a","onHand":7},{"warehouseId":"wh_b","onHand":2}]}]}`)
}

func TestPurchaseOrders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	po := e.mutate(t, e.staff, `mutation { createPurchaseOrder(input: {supplierId: "sup_1", warehouseId: "wh_b", lines: [{variantId: "var_9", quantity: 10}]}) { purchaseOrder { id status } errors { code } } }`, "createPurchaseOrder", nil)
	id := po["purchaseOrder"].(map[string]any)["id"].(string)
	receive := `mutation($id: ID!, $q: Int!) { receivePurchaseOrder(id: $id, lines: [{variantId: "var_9", quantity: $q}]) { purchaseOrder { status lines { received } } errors { code } } }`
	if r := e.mutate(t, e.staff, receive, "receivePurchaseOrder", map[string]any{"id": id, "q": 4}); code(r) != "INVALID_STATE" {
		t.Fatalf("received a draft: %v", r)
	}
	e.mutate(t, e.staff, `mutation($id: ID!) { orderPurchaseOrder(id: $id) { errors { code } } }`, "orderPurchaseOrder", map[string]any{"id": id})
	if r := e.mutate(t, e.staff, receive, "receivePurchaseOrder", map[string]any{"id": id, "q": 4}); r["purchaseOrder"].(map[string]any)["status"] != "PARTIALLY_RECEIVED" {
		t.Fatalf("partial receipt: %v", r)
	}
	if r := e.mutate(t, e.staff, receive, "receivePurchaseOrder", map[string]any{"id": id, "q": 7}); code(r) != "INVALID" {
		t.Fatalf("received more than ordered: %v", r)
	}
	if r := e.mutate(t, e.staff, receive, "receivePurchaseOrder", map[string]any{"id": id, "q": 6}); r["purchaseOrder"].(map[string]any)["status"] != "RECEIVED" {
		t.Fatalf("full receipt: %v", r)
	}
	if on, _, _ := e.level(t, "wh_b", "var_9"); on != 10 {
		t.Fatalf("on hand %d after receiving 10", on)
	}
	e.assertLedger(t)
}

// TestDemoSeed: the demo world's stock, written twice, is written once;
// every level is the sum of its movements, what is allocated is what the
// converted reservations have not shipped and what is reserved is held by
// the active ones; the sold-out, last-one and low examples are on sale as
// drawn, with their alerts open.
func TestDemoSeed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := demo.Default()
	pool := pgtest.NewPool(t, pgstore.Migrations)
	pgtest.SeedTwice(t, pool, func(ctx context.Context, pool *pgxpool.Pool) error { return pgstore.Seed(ctx, pool, w) },
		"stock", "movements", "reservations", "reservation_lines", "idempotency_keys", "low_stock_alerts", "purchase_orders")
	var variants, reservations, soldOut, lastOne, unalerted int
	if err := pool.QueryRow(ctx, `SELECT count(DISTINCT variant_id), (SELECT count(*) FROM reservations),
  count(*) FILTER (WHERE variant_id = 'var_000050' AND on_hand - allocated - reserved = 0),
  count(*) FILTER (WHERE variant_id = 'var_000037' AND on_hand - allocated - reserved = 1),
  count(*) FILTER (WHERE on_hand - allocated - reserved <= low_stock_threshold AND NOT EXISTS (
    SELECT 1 FROM low_stock_alerts a WHERE a.warehouse_id = s.warehouse_id AND a.variant_id = s.variant_id AND a.cleared_at IS NULL))
FROM stock s`).Scan(&variants, &reservations, &soldOut, &lastOne, &unalerted); err != nil {
		t.Fatal(err)
	}
	levels := func(v string) (n int) {
		for _, s := range w.Stock {
			if s.VariantID == v {
				n++
			}
		}
		return n
	}
	if variants != w.Variants() || reservations != len(w.Orders) || soldOut != levels("var_000050") || lastOne != levels("var_000037") || unalerted != 0 {
		t.Fatalf("demo stock: %d variants, %d reservations, var_000050 sold out in %d levels, var_000037 one left in %d, %d low levels without an alert",
			variants, reservations, soldOut, lastOne, unalerted)
	}
	e := &env{pool: pool}
	e.assertLedger(t)
	assertCommitments(t, pool)
}

// assertCommitments fails unless every level's allocated units are the
// unshipped units of its CONVERTED reservation lines and its reserved
// units those of its ACTIVE ones.
func assertCommitments(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	var bad int
	if err := pool.QueryRow(context.Background(), `
SELECT count(*) FROM stock s LEFT JOIN (
  SELECT l.warehouse_id, l.variant_id,
         sum(l.quantity - l.fulfilled) FILTER (WHERE r.status = 'CONVERTED') a,
         sum(l.quantity) FILTER (WHERE r.status = 'ACTIVE') r
  FROM reservation_lines l JOIN reservations r ON r.id = l.reservation_id GROUP BY 1, 2
) c USING (warehouse_id, variant_id)
WHERE s.allocated <> coalesce(c.a, 0) OR s.reserved <> coalesce(c.r, 0)`).Scan(&bad); err != nil {
		t.Fatal(err)
	}
	if bad != 0 {
		t.Fatalf("%d stock levels differ from what their reservations commit", bad)
	}
}

// TestDemoReservationsMoveOn: a seeded order's reservation answers the
// calls its order's next steps make: the rest of a partly shipped order
// ships (the reservation is then FULFILLED), a confirmed order's is
// released, and the sweeper expires the holds of orders still waiting for
// 3-D Secure once they lapse; the ledger balances throughout.
func TestDemoReservationsMoveOn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := demo.Default()
	pool := pgtest.NewPool(t, pgstore.Migrations)
	if err := pgstore.Seed(ctx, pool, w); err != nil {
		t.Fatal(err)
	}
	issuer := authtest.New(t)
	e := &env{pool: pool, tokens: issuer,
		h: inventory.Handler(subgraph.Deps{Pool: pool, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			LoaderWait: subgraph.DefaultLoaderWait, Verifier: issuer.Verifier()}),
		checkout: issuer.Token(pgstore.ServiceActor, stock.ReserveStock, stock.ManageOrders)}
	find := func(status string) *demo.Order {
		for i := range w.Orders {
			if w.Orders[i].Status == status {
				return &w.Orders[i]
			}
		}
		t.Fatalf("the demo has no %s order", status)
		return nil
	}

	partly := find(demo.PartiallyShipped)
	l := partly.Lines[0]
	onHand, allocated, _ := e.level(t, l.WarehouseID, l.VariantID)
	var rest []any
	left := 0
	for _, x := range partly.Lines {
		if n := x.Quantity - partly.Shipped(x.VariantID); n > 0 {
			rest = append(rest, map[string]any{"variantId": x.VariantID, "quantity": n})
			if x.VariantID == l.VariantID {
				left = n
			}
		}
	}
	r := e.mutate(t, e.checkout, `mutation($id: ID!, $l: [StockLineInput!]!, $k: String!) { fulfillReservationLines(id: $id, lines: $l, idempotencyKey: $k) {
  reservation { status } errors { code } } }`, "fulfillReservationLines", map[string]any{"id": partly.ReservationID, "l": rest, "k": "ful_rest"})
	if code(r) != "" || r["reservation"].(map[string]any)["status"] != "FULFILLED" {
		t.Fatalf("ship the rest of %s: %v", partly.ID, r)
	}
	if o, a, _ := e.level(t, l.WarehouseID, l.VariantID); o != onHand-left || a != allocated-left {
		t.Fatalf("after shipping %d of %s: on hand %d→%d, allocated %d→%d", left, l.VariantID, onHand, o, allocated, a)
	}

	confirmed := find(demo.Confirmed)
	r = e.mutate(t, e.checkout, `mutation($id: ID!) { releaseReservation(id: $id) { reservation { status } errors { code } } }`,
		"releaseReservation", map[string]any{"id": confirmed.ReservationID})
	if code(r) != "" || r["reservation"].(map[string]any)["status"] != "RELEASED" {
		t.Fatalf("release %s: %v", confirmed.ID, r)
	}

	n, err := pgstore.New(pool).ExpireDue(ctx, w.Until.Add(25*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	pending := 0
	for _, o := range w.Orders {
		if o.Status == demo.PendingPayment {
			pending++
		}
	}
	if n != pending {
		t.Fatalf("the sweeper expired %d holds, want the %d of orders awaiting payment", n, pending)
	}
	e.assertLedger(t)
	assertCommitments(t, pool)
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// TestPartialFulfilment: each shipment of an order takes exactly its units
// out of stock (split over warehouses the way the reservation was), the
// rest stays allocated; a repeat with the same key ships nothing more, the
// same key with other lines is refused, more than is left is refused; a
// cancel after a partial shipment releases only what did not ship, and
// the ledger balances throughout.
func TestPartialFulfilment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "wh_a", "var_1", 3)
	e.receive(t, "wh_b", "var_1", 5)
	e.receive(t, "wh_a", "var_2", 5)
	id := func(r result) string { return r["reservation"].(map[string]any)["id"].(string) }
	const ship = `mutation($id: ID!, $l: [StockLineInput!]!, $k: String!) { fulfillReservationLines(id: $id, lines: $l, idempotencyKey: $k) {
  reservation { status fulfilledLines { warehouseId variantId quantity } } errors { code } } }`
	fulfil := func(rid, key string, lines ...any) result {
		return e.mutate(t, e.staff, ship, "fulfillReservationLines", map[string]any{"id": rid, "l": lines, "k": key})
	}
	convert := func(rid string) {
		if r := e.mutate(t, e.checkout, `mutation($id: ID!) { convertReservation(id: $id) { errors { code } } }`, "convertReservation", map[string]any{"id": rid}); code(r) != "" {
			t.Fatalf("convert: %v", r)
		}
	}

	// 5 of var_1: 3 from wh_a (priority 10), 2 from wh_b.
	a := id(e.reserve(t, "a", line("var_1", 5), line("var_2", 2)))
	if r := fulfil(a, "s0", line("var_1", 1)); code(r) != "INVALID_STATE" {
		t.Fatalf("shipped an active reservation: %v", r)
	}
	convert(a)
	// The checkout's token has RESERVE_STOCK only: shipping is staff's.
	if resp := gqltest.DoAs(t, e.h, e.checkout, ship, map[string]any{"id": a, "l": []any{line("var_1", 1)}, "k": "s0"}); len(resp.Errors) == 0 || resp.Errors[0].Code() != "FORBIDDEN" {
		t.Fatalf("checkout token shipped: %+v", resp)
	}
	r := fulfil(a, "s1", line("var_1", 4))
	if code(r) != "" || r["reservation"].(map[string]any)["status"] != "CONVERTED" {
		t.Fatalf("first shipment: %v", r)
	}
	if on, al, _ := e.level(t, "wh_a", "var_1"); on != 0 || al != 0 {
		t.Fatalf("wh_a after 4 shipped: on hand %d, allocated %d", on, al)
	}
	if on, al, _ := e.level(t, "wh_b", "var_1"); on != 4 || al != 1 {
		t.Fatalf("wh_b after 4 shipped: on hand %d, allocated %d", on, al)
	}
	// The same shipment again, even concurrently: nothing more leaves.
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := gqltest.DoAs(t, e.h, e.staff, ship, map[string]any{"id": a, "l": []any{line("var_1", 4)}, "k": "s1"})
			if len(resp.Errors) > 0 {
				t.Errorf("repeat: %+v", resp.Errors)
			}
		}()
	}
	wg.Wait()
	if on, al, _ := e.level(t, "wh_b", "var_1"); on != 4 || al != 1 {
		t.Fatalf("wh_b after repeats: on hand %d, allocated %d", on, al)
	}
	if r := fulfil(a, "s1", line("var_1", 1)); code(r) != "IDEMPOTENCY_KEY_REUSED" {
		t.Fatalf("key reused with other lines: %v", r)
	}
	if r := fulfil(a, "s2", line("var_1", 2)); code(r) != "INVALID" {
		t.Fatalf("shipped more than left: %v", r)
	}
	if r := fulfil(a, "s2", line("var_3", 1)); code(r) != "INVALID" {
		t.Fatalf("shipped a variant not reserved: %v", r)
	}
	if on, al, _ := e.level(t, "wh_b", "var_1"); on != 4 || al != 1 {
		t.Fatalf("a refused shipment moved stock: on hand %d, allocated %d", on, al)
	}
	// Cancel now: the 1 var_1 and 2 var_2 not shipped go back, the 4 stay sold.
	if r := e.mutate(t, e.checkout, `mutation($id: ID!) { releaseReservation(id: $id) { errors { code } } }`, "releaseReservation", map[string]any{"id": a}); code(r) != "" {
		t.Fatalf("release: %v", r)
	}
	if on, al, _ := e.level(t, "wh_b", "var_1"); on != 4 || al != 0 {
		t.Fatalf("wh_b after cancel: on hand %d, allocated %d", on, al)
	}
	if on, al, _ := e.level(t, "wh_a", "var_2"); on != 5 || al != 0 {
		t.Fatalf("var_2 after cancel: on hand %d, allocated %d", on, al)
	}

	// Two shipments that together ship everything end FULFILLED; the whole
	// fulfilReservation after a partial one ships only the rest.
	b := id(e.reserve(t, "b", line("var_2", 3)))
	convert(b)
	if r := fulfil(b, "b1", line("var_2", 1)); code(r) != "" {
		t.Fatalf("b1: %v", r)
	}
	if r := e.mutate(t, e.staff, `mutation($id: ID!) { fulfillReservation(id: $id) { reservation { status fulfilledLines { quantity } } errors { code } } }`,
		"fulfillReservation", map[string]any{"id": b}); code(r) != "" || r["reservation"].(map[string]any)["status"] != "FULFILLED" {
		t.Fatalf("fulfil the rest: %v", r)
	}
	if on, al, _ := e.level(t, "wh_a", "var_2"); on != 2 || al != 0 {
		t.Fatalf("var_2 after shipping 3: on hand %d, allocated %d", on, al)
	}
	c := id(e.reserve(t, "c", line("var_2", 2)))
	convert(c)
	fulfil(c, "c1", line("var_2", 1))
	if r := fulfil(c, "c2", line("var_2", 1)); code(r) != "" || r["reservation"].(map[string]any)["status"] != "FULFILLED" {
		t.Fatalf("last part: %v", r)
	}
	if on, al, re := e.level(t, "wh_a", "var_2"); on != 0 || al != 0 || re != 0 {
		t.Fatalf("var_2 at the end: %d %d %d", on, al, re)
	}
	e.assertLedger(t)
}
