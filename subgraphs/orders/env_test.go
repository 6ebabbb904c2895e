package orders_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/myshop/supergraph/subgraphs/demo"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/myshop/supergraph/platform/auth/authtest"
	"github.com/myshop/supergraph/subgraphs/inventory"
	invpg "github.com/myshop/supergraph/subgraphs/inventory/postgres"
	"github.com/myshop/supergraph/subgraphs/orders"
	"github.com/myshop/supergraph/subgraphs/orders/order"
	pgstore "github.com/myshop/supergraph/subgraphs/orders/postgres"
	"github.com/myshop/supergraph/subgraphs/orders/upstream"
	"github.com/myshop/supergraph/subgraphs/payments"
	paypg "github.com/myshop/supergraph/subgraphs/payments/postgres"
	"github.com/myshop/supergraph/subgraphs/payments/testcard"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
	"github.com/myshop/supergraph/subgraphs/platform/pgtest"
	"github.com/myshop/supergraph/subgraphs/platform/postgres"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
	"github.com/myshop/supergraph/subgraphs/products"
	prodpg "github.com/myshop/supergraph/subgraphs/products/postgres"
)

// env is the orders subgraph with real products (demo catalog), inventory
// and payments subgraphs on loopback servers, each over its own database,
// all trusting one test token issuer.
type env struct {
	h      http.Handler
	svc    orders.Services
	pool   *pgxpool.Pool
	tokens *authtest.Issuer

	products, inventory, payments http.Handler
	productsDB, inventoryDB       *pgxpool.Pool
	paymentsDB                    *pgxpool.Pool
	authorizations                atomic.Int64 // authorizePayment requests payments received

	ada, bob, staff string // tokens: two shoppers, and staff with every orders permission
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newEnv builds the env; opts adjust the orders subgraph's own Deps (e.g.
// give it Redis for subscriptions).
func newEnv(t *testing.T, opts ...func(*subgraph.Deps)) *env {
	t.Helper()
	ctx := context.Background()
	issuer := authtest.New(t)
	deps := func(pool *pgxpool.Pool) subgraph.Deps {
		return subgraph.Deps{Pool: pool, Log: quiet(), LoaderWait: subgraph.DefaultLoaderWait, Verifier: issuer.Verifier()}
	}
	e := &env{tokens: issuer, ada: issuer.Token("usr_ada"), bob: issuer.Token("usr_bob"),
		staff: issuer.Token("usr_staff", order.ManageOrders, order.ReadOrders, "ADJUST_STOCK", "REFUND_PAYMENTS")}

	e.productsDB = pgtest.NewPool(t, prodpg.Migrations)
	if err := prodpg.Seed(ctx, e.productsDB, demo.Default()); err != nil {
		t.Fatal(err)
	}
	e.products = products.Handler(deps(e.productsDB))

	e.inventoryDB = pgtest.NewPool(t, invpg.Migrations)
	mustExec(t, e.inventoryDB, `INSERT INTO warehouses (id, name, street, city, postal_code, country, countries, priority) VALUES
		('wh_us', 'US', 's', 'c', 'p', 'US', '{US,CA}', 10), ('wh_eu', 'EU', 's', 'c', 'p', 'DE', '{DE,FR}', 10)`)
	e.inventory = inventory.Handler(deps(e.inventoryDB))

	e.paymentsDB = pgtest.NewPool(t, paypg.Migrations)
	e.payments = payments.NewHandler(deps(e.paymentsDB), testcard.New(), "whsec_test")
	countAuth := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if strings.Contains(string(body), "authorizePayment") {
			e.authorizations.Add(1)
		}
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		e.payments.ServeHTTP(w, r)
	})

	prodSrv, invSrv, paySrv := httptest.NewServer(e.products), httptest.NewServer(e.inventory), httptest.NewServer(countAuth)
	t.Cleanup(prodSrv.Close)
	t.Cleanup(invSrv.Close)
	t.Cleanup(paySrv.Close)

	pool, err := postgres.Open(ctx, pgtest.NewDatabase(t, pgstore.Migrations), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	e.pool = pool
	service := upstream.StaticToken(issuer.Token("svc_orders", "RESERVE_STOCK", order.ManageOrders, order.ReadOrders, "REFUND_PAYMENTS"))
	od := deps(pool)
	for _, o := range opts {
		o(&od)
	}
	e.svc = orders.Wire(od, orders.NewUpstreams(prodSrv.URL+"/graphql", invSrv.URL+"/graphql", paySrv.URL+"/graphql", service))
	e.h = orders.NewHandler(od, e.svc)
	return e
}

func mustExec(t testing.TB, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

func (e *env) count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// gql runs an operation on h and decodes data into out; errors fail the test.
func gql(t *testing.T, h http.Handler, token, query string, vars map[string]any, out any) {
	t.Helper()
	resp := gqltest.DoAs(t, h, token, query, vars)
	if len(resp.Errors) > 0 {
		t.Fatalf("%s: %+v", query, resp.Errors)
	}
	gqltest.Decode(t, resp.Data, out)
}

// statementsOf runs an operation like gql and returns the SQL statements
// it ran: its own, counted in its context, not whatever else the pool ran
// meanwhile.
func (e *env) statementsOf(t *testing.T, token, query string, vars map[string]any, out any) int64 {
	t.Helper()
	var n *atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, count := postgres.CountStatements(r.Context())
		n = count
		e.h.ServeHTTP(w, r.WithContext(ctx))
	})
	gql(t, h, token, query, vars, out)
	return n.Load()
}

// receive books qty units of variant into the US warehouse.
func (e *env) receive(t *testing.T, variant string, qty int) {
	t.Helper()
	var out struct {
		AdjustStock struct{ Errors []struct{ Code string } }
	}
	gql(t, e.inventory, e.staff, `mutation($v: ID!, $d: Int!, $k: String!) { adjustStock(input: {warehouseId: "wh_us", variantId: $v, delta: $d, reason: "count", idempotencyKey: $k}) { errors { code } } }`,
		map[string]any{"v": variant, "d": qty, "k": fmt.Sprintf("recv-%s-%d", variant, time.Now().UnixNano())}, &out)
	if len(out.AdjustStock.Errors) > 0 {
		t.Fatalf("receive: %+v", out)
	}
}

// level is a variant's units summed over warehouses.
func (e *env) level(t *testing.T, variant string) (onHand, allocated, reserved int) {
	t.Helper()
	if err := e.inventoryDB.QueryRow(context.Background(), `SELECT coalesce(sum(on_hand), 0), coalesce(sum(allocated), 0), coalesce(sum(reserved), 0)
FROM stock WHERE variant_id = $1`, variant).Scan(&onHand, &allocated, &reserved); err != nil {
		t.Fatal(err)
	}
	return
}

func (e *env) paymentStatus(t *testing.T, id string) string {
	t.Helper()
	var out struct{ Payment *struct{ Status string } }
	gql(t, e.payments, e.staff, `query($id: ID!) { payment(id: $id) { status } }`, map[string]any{"id": id}, &out)
	if out.Payment == nil {
		t.Fatalf("no payment %s", id)
	}
	return out.Payment.Status
}

const usAddress = `{firstName: "Ada", lastName: "Allen", street1: "1 Main St", city: "Springfield", region: "IL", postalCode: "62701", countryCode: "US"}`

type cartResult struct {
	Cart   *cartView
	Errors []struct{ Code string }
}

type cartView struct {
	ID    string
	Lines []struct {
		Variant   struct{ ID string }
		Quantity  int
		UnitPrice *struct{ Amount, CurrencyCode string }
		LineTotal *struct{ Amount string }
	}
	Total    *struct{ Amount, CurrencyCode string }
	Problems []struct {
		Code              string
		VariantID         *string
		AvailableQuantity *int
	}
}

const cartSelection = `id lines { variant { id } quantity unitPrice { amount currencyCode } lineTotal { amount } } total { amount currencyCode } problems { code variantId availableQuantity }`

const cartFields = `cart { ` + cartSelection + ` } errors { code }`

func (e *env) add(t *testing.T, token, variant string, qty int) cartResult {
	t.Helper()
	var out struct{ AddCartLine cartResult }
	gql(t, e.h, token, `mutation($v: ID!, $q: Int!) { addCartLine(input: {variantId: $v, quantity: $q}) { `+cartFields+` } }`,
		map[string]any{"v": variant, "q": qty}, &out)
	return out.AddCartLine
}

// cart fills token's open cart with lines (variant, quantity, ...) and a
// US address, and returns its id.
func (e *env) cart(t *testing.T, token string, lines ...any) string {
	t.Helper()
	var id string
	for i := 0; i < len(lines); i += 2 {
		r := e.add(t, token, lines[i].(string), lines[i+1].(int))
		if len(r.Errors) > 0 {
			t.Fatalf("add: %+v", r.Errors)
		}
		id = r.Cart.ID
	}
	var out struct{ SetShippingAddress cartResult }
	gql(t, e.h, token, `mutation($c: ID!) { setShippingAddress(cartId: $c, address: `+usAddress+`) { `+cartFields+` } }`, map[string]any{"c": id}, &out)
	if len(out.SetShippingAddress.Errors) > 0 {
		t.Fatalf("address: %+v", out.SetShippingAddress.Errors)
	}
	return id
}

type placed struct {
	Order *struct {
		ID, Number, Status string
		Total              struct{ Amount string }
		Payment            *struct{ ID string }
	}
	Errors []struct {
		Code      string
		Shortages []struct {
			VariantID            string
			Requested, Available int
		}
	}
}

func (p placed) code() string {
	if len(p.Errors) == 0 {
		return ""
	}
	return p.Errors[0].Code
}

func (e *env) placeResp(t *testing.T, token, cartID, card, key string) gqltest.Response {
	t.Helper()
	return gqltest.DoAs(t, e.h, token, `mutation($c: ID!, $t: String, $k: String!) { placeOrder(input: {cartId: $c, paymentToken: $t, idempotencyKey: $k}) {
  order { id number status total { amount } payment { id } } errors { code shortages { variantId requested available } } } }`,
		map[string]any{"c": cartID, "t": card, "k": key})
}

func (e *env) place(t *testing.T, token, cartID, card, key string) placed {
	t.Helper()
	resp := e.placeResp(t, token, cartID, card, key)
	if len(resp.Errors) > 0 {
		t.Fatalf("placeOrder: %+v", resp.Errors)
	}
	var out struct{ PlaceOrder placed }
	gqltest.Decode(t, resp.Data, &out)
	return out.PlaceOrder
}

type moved struct {
	Order *struct {
		Status  string
		Version int
	}
	Errors []struct {
		Code               string
		AllowedTransitions []string
	}
}

func (e *env) move(t *testing.T, token, orderID, status string) moved {
	t.Helper()
	var out struct{ UpdateOrderStatus moved }
	gql(t, e.h, token, `mutation($o: ID!, $s: OrderStatus!) { updateOrderStatus(orderId: $o, status: $s) { order { status version } errors { code allowedTransitions } } }`,
		map[string]any{"o": orderID, "s": status}, &out)
	return out.UpdateOrderStatus
}
