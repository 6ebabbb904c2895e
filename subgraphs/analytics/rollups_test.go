package analytics_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/myshop/supergraph/subgraphs/analytics"
	"github.com/myshop/supergraph/subgraphs/platform/events"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
)

// categoryOf is the fixture's catalog: var_1 and var_2 in one category,
// var_3 in another, var_9 in none.
var categoryOf = map[string]string{"var_1": "cat_a", "var_2": "cat_a", "var_3": "cat_b"}

// line is an order.placed line as the orders subgraph writes it.
func line(variant string, qty, unit int) map[string]any {
	return map[string]any{"variantId": variant, "sku": "SKU-" + variant, "name": "Name " + variant, "quantity": qty, "unitPriceMinor": unit,
		"productId": "prd_" + variant, "categoryId": categoryOf[variant]}
}

// order logs what the orders subgraph publishes for an order placed at
// `at` and (unless confirmAt is zero) confirmed at confirmAt.
func (e *env) order(t *testing.T, id, user, channel, currency string, at, confirmAt time.Time, lines ...map[string]any) {
	t.Helper()
	total, units := 0, 0
	ls := make([]any, len(lines))
	for i, l := range lines {
		total += l["quantity"].(int) * l["unitPriceMinor"].(int)
		units += l["quantity"].(int)
		ls[i] = l
	}
	status := "CONFIRMED"
	if !confirmAt.Equal(at) {
		status = "PENDING_PAYMENT"
	}
	common := func(to string) map[string]any {
		return map[string]any{"orderId": id, "userId": user, "channel": channel, "to": to, "currency": currency, "totalMinor": total, "units": units}
	}
	e.ingest(t, "evt_"+id+"_placed", "order.placed", at, map[string]any{"orderId": id, "userId": user, "channel": channel, "status": status,
		"currency": currency, "totalMinor": total, "units": units, "lines": ls})
	e.ingest(t, "evt_"+id+"_v1", "order.status_changed", at, common(status))
	switch {
	case confirmAt.IsZero():
		e.ingest(t, "evt_"+id+"_v2", "order.status_changed", at.Add(30*time.Minute), common("EXPIRED"))
	case status != "CONFIRMED":
		e.ingest(t, "evt_"+id+"_v2", "order.status_changed", confirmAt, common("CONFIRMED"))
	}
}

func (e *env) behaviour(t *testing.T, id, typ, session, user string, at time.Time, payload map[string]any) {
	t.Helper()
	if _, err := e.store.Ingest(context.Background(), events.Event{ID: id, Type: typ, Source: "storefront", OccurredAt: at, Payload: payload}, session, user); err != nil {
		t.Fatal(err)
	}
}

// snapshot is every rollup table's rows, sorted: what the backfill must
// rebuild exactly.
func (e *env) snapshot(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, table := range []string{"sales_hourly", "product_sales_hourly", "sold_variants", "category_sales_hourly", "traffic_hourly", "sessions_hourly",
		"visitors_hourly", "session_steps", "customer_orders_hourly", "customer_first_orders"} {
		var rows string
		if err := e.pool.QueryRow(context.Background(), `SELECT coalesce(string_agg(t::text, E'\n' ORDER BY t::text), '') FROM `+table+` t`).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows == "" {
			t.Errorf("%s is empty: the fixture should reach every rollup", table)
		}
		out[table] = rows
	}
	return out
}

func TestEveryMetricFromRollupsAndBackfillAgrees(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	nov2 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	nov3 := nov2.AddDate(0, 0, 1).Add(-time.Hour) // 09:00
	oct20 := time.Date(2026, 10, 20, 9, 0, 0, 0, time.UTC)

	e.order(t, "ordF", "usr_3", "us", "USD", oct20, oct20, line("var_3", 1, 100)) // usr_3's first order, before the range
	e.order(t, "ordA", "usr_1", "us", "USD", nov2, nov2, line("var_1", 2, 1500), line("var_2", 1, 2000))
	e.order(t, "ordA", "usr_1", "us", "USD", nov2, nov2, line("var_1", 2, 1500), line("var_2", 1, 2000)) // redelivered
	e.order(t, "ordB", "usr_2", "eu", "EUR", nov2.Add(30*time.Minute), nov2.Add(130*time.Minute), line("var_1", 1, 1400))
	e.order(t, "ordC", "usr_1", "us", "USD", nov2.Add(65*time.Minute), nov2.Add(65*time.Minute), line("var_2", 3, 2000))
	e.order(t, "ordG", "usr_4", "us", "USD", nov2.Add(3*time.Hour), time.Time{}, line("var_3", 5, 100)) // never paid
	e.order(t, "ordD", "usr_3", "us", "USD", nov3, nov3, line("var_3", 10, 100))
	e.order(t, "ordE", "usr_1", "us", "USD", nov3.Add(30*time.Minute), nov3.Add(30*time.Minute), line("var_1", 1, 1500), line("var_9", 1, 700))
	e.ingest(t, "evt_refund", "payment.transaction_settled", nov3.Add(time.Hour),
		map[string]any{"orderId": "ordA", "kind": "REFUND", "outcome": "SUCCEEDED", "amountMinor": 1500, "currency": "USD"})

	us := map[string]any{"channel": "us", "visitorId": "v1"}
	e.behaviour(t, "b1", "page_view", "s1", "", nov2, us)
	e.behaviour(t, "b2", "product_view", "s1", "", nov2.Add(5*time.Minute), us)
	e.behaviour(t, "b3", "page_view", "s2", "", nov2.Add(time.Hour), us) // same visitor, a new session
	e.behaviour(t, "b4", "page_view", "s3", "usr_2", nov2.Add(10*time.Minute), map[string]any{"channel": "eu"})
	e.behaviour(t, "b5", "search", "s3", "usr_2", nov2.Add(15*time.Minute), map[string]any{"channel": "eu", "query": "mug"})
	e.behaviour(t, "b6", "page_view", "s4", "", nov2.Add(20*time.Minute), map[string]any{})
	e.behaviour(t, "b7", "add_to_cart", "s1", "", nov2.Add(8*time.Minute), us)

	queries := map[string]struct{ q, want string }{
		"sales by day": {`{ salesMetrics(from: "2026-11-01", to: "2026-11-30") { start orders revenue { amount } units refunds { amount } } }`,
			`{"salesMetrics":[{"start":"2026-11-02","orders":2,"revenue":{"amount":"110.00"},"units":6,"refunds":{"amount":"0.00"}},
			{"start":"2026-11-03","orders":2,"revenue":{"amount":"32.00"},"units":12,"refunds":{"amount":"15.00"}}]}`},
		"sales by hour": {`{ salesMetrics(from: "2026-11-02", to: "2026-11-02", bucket: HOUR) { start orders revenue { amount } } }`,
			`{"salesMetrics":[{"start":"2026-11-02T10:00:00Z","orders":1,"revenue":{"amount":"50.00"}},{"start":"2026-11-02T11:00:00Z","orders":1,"revenue":{"amount":"60.00"}}]}`},
		"sales in a channel": {`{ salesMetrics(from: "2026-11-01", to: "2026-11-30", bucket: MONTH, currency: "EUR", channel: "eu") { start orders revenue { amount } } }`,
			`{"salesMetrics":[{"start":"2026-11-01","orders":1,"revenue":{"amount":"14.00"}}]}`},
		"refunds follow the order's channel": {`{ salesMetrics(from: "2026-11-03", to: "2026-11-03", channel: "eu") { orders } }`, `{"salesMetrics":[]}`},
		"sales by week": {`{ salesMetrics(from: "2026-10-01", to: "2026-11-30", bucket: WEEK, channel: "us") { start orders } }`,
			`{"salesMetrics":[{"start":"2026-10-19","orders":1},{"start":"2026-11-02","orders":4}]}`},
		"top products by revenue": {`{ topProducts(from: "2026-11-01", to: "2026-11-30") { variantId sku name units orders revenue { amount currencyCode } } }`,
			`{"topProducts":[{"variantId":"var_2","sku":"SKU-var_2","name":"Name var_2","units":4,"orders":2,"revenue":{"amount":"80.00","currencyCode":"USD"}},
			{"variantId":"var_1","sku":"SKU-var_1","name":"Name var_1","units":3,"orders":2,"revenue":{"amount":"45.00","currencyCode":"USD"}},
			{"variantId":"var_3","sku":"SKU-var_3","name":"Name var_3","units":10,"orders":1,"revenue":{"amount":"10.00","currencyCode":"USD"}},
			{"variantId":"var_9","sku":"SKU-var_9","name":"Name var_9","units":1,"orders":1,"revenue":{"amount":"7.00","currencyCode":"USD"}}]}`},
		"top products by units": {`{ topProducts(from: "2026-11-01", to: "2026-11-30", by: UNITS, first: 2) { variantId units variant { id } } }`,
			`{"topProducts":[{"variantId":"var_3","units":10,"variant":{"id":"var_3"}},{"variantId":"var_2","units":4,"variant":{"id":"var_2"}}]}`},
		"top products in a channel": {`{ topProducts(from: "2026-11-01", to: "2026-11-30", currency: "EUR", channel: "eu") { variantId units } }`,
			`{"topProducts":[{"variantId":"var_1","units":1}]}`},
		"top categories by revenue": {`{ topCategories(from: "2026-11-01", to: "2026-11-30") { categoryId units orders revenue { amount currencyCode } } }`,
			`{"topCategories":[{"categoryId":"cat_a","units":7,"orders":3,"revenue":{"amount":"125.00","currencyCode":"USD"}},
			{"categoryId":"cat_b","units":10,"orders":1,"revenue":{"amount":"10.00","currencyCode":"USD"}}]}`},
		"top categories by units": {`{ topCategories(from: "2026-11-01", to: "2026-11-30", by: UNITS, first: 1) { categoryId units } }`,
			`{"topCategories":[{"categoryId":"cat_b","units":10}]}`},
		"top categories in a channel and day": {`{ topCategories(from: "2026-11-02", to: "2026-11-02", currency: "EUR", channel: "eu") { categoryId units orders revenue { amount } } }`,
			`{"topCategories":[{"categoryId":"cat_a","units":1,"orders":1,"revenue":{"amount":"14.00"}}]}`},
		"traffic by hour": {`{ trafficMetrics(from: "2026-11-02", to: "2026-11-02", bucket: HOUR) { start sessions uniqueVisitors pageViews productViews searches } }`,
			`{"trafficMetrics":[{"start":"2026-11-02T10:00:00Z","sessions":3,"uniqueVisitors":3,"pageViews":3,"productViews":1,"searches":1},
			{"start":"2026-11-02T11:00:00Z","sessions":1,"uniqueVisitors":1,"pageViews":1,"productViews":0,"searches":0}]}`},
		"traffic by day": {`{ trafficMetrics(from: "2026-11-01", to: "2026-11-30") { start sessions uniqueVisitors pageViews } }`,
			`{"trafficMetrics":[{"start":"2026-11-02","sessions":4,"uniqueVisitors":3,"pageViews":4}]}`},
		"traffic in a channel": {`{ trafficMetrics(from: "2026-11-01", to: "2026-11-30", channel: "us") { sessions uniqueVisitors pageViews productViews searches } }`,
			`{"trafficMetrics":[{"sessions":2,"uniqueVisitors":1,"pageViews":2,"productViews":1,"searches":0}]}`},
		"funnel": {`{ conversionFunnel(from: "2026-11-02", to: "2026-11-02") { visits views carts } }`,
			`{"conversionFunnel":{"visits":4,"views":1,"carts":1}}`},
		"funnel in a channel": {`{ conversionFunnel(from: "2026-11-02", to: "2026-11-02", channel: "eu") { visits views carts } }`,
			`{"conversionFunnel":{"visits":1,"views":0,"carts":0}}`},
		"customers by day": {`{ customerMetrics(from: "2026-11-01", to: "2026-11-30") {
			points { start customers newCustomers returningCustomers repeatCustomers repeatPurchaseRate }
			total { start customers newCustomers returningCustomers repeatCustomers repeatPurchaseRate } } }`,
			`{"customerMetrics":{"points":[
			{"start":"2026-11-02","customers":2,"newCustomers":2,"returningCustomers":0,"repeatCustomers":1,"repeatPurchaseRate":0.5},
			{"start":"2026-11-03","customers":2,"newCustomers":0,"returningCustomers":2,"repeatCustomers":0,"repeatPurchaseRate":0}],
			"total":{"start":"2026-11-01","customers":3,"newCustomers":2,"returningCustomers":1,"repeatCustomers":1,"repeatPurchaseRate":0.3333333333333333}}}`},
		"customers in a channel": {`{ customerMetrics(from: "2026-11-01", to: "2026-11-30", bucket: MONTH, channel: "eu") { points { start customers newCustomers } } }`,
			`{"customerMetrics":{"points":[{"start":"2026-11-01","customers":1,"newCustomers":1}]}}`},
	}
	check := func(when string) {
		for name, c := range queries {
			r := gqltest.DoAs(t, e.h, e.staff, c.q, nil)
			if len(r.Errors) > 0 {
				t.Fatalf("%s, %s: %+v", when, name, r.Errors)
			}
			t.Run(when+"/"+name, func(t *testing.T) { gqltest.JSONEq(t, r.Data, c.want) })
		}
	}
	check("ingested")
	before := e.snapshot(t)
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, e.staff, `mutation { rebuildMetrics }`, nil).Data, `{"rebuildMetrics":24}`)
	after := e.snapshot(t)
	for table, rows := range before {
		if after[table] != rows {
			t.Errorf("%s after backfill:\n%s\nwhile ingested:\n%s", table, after[table], rows)
		}
	}
	check("rebuilt")
}

func TestMetricArgumentsAreChecked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for name, q := range map[string]string{
		"hours over 31 days": `{ salesMetrics(from: "2026-01-01", to: "2026-03-01", bucket: HOUR) { start } }`,
		"empty channel":      `{ trafficMetrics(from: "2026-01-01", to: "2026-01-02", channel: "") { start } }`,
		"long channel":       fmt.Sprintf(`{ conversionFunnel(from: "2026-01-01", to: "2026-01-02", channel: %q) { visits } }`, strings.Repeat("c", 65)),
		"too many products":  `{ topProducts(from: "2026-01-01", to: "2026-01-02", first: 500) { variantId } }`,
		"bad currency":       `{ topProducts(from: "2026-01-01", to: "2026-01-02", currency: "XXX") { variantId } }`,
		"inverted range":     `{ customerMetrics(from: "2026-02-01", to: "2026-01-02") { total { customers } } }`,
		"hourly schedule":    `mutation { scheduleReport(input: {kind: SALES, rangeDays: 90, bucket: HOUR, every: DAILY}) { id } }`,
	} {
		r := gqltest.DoAs(t, e.h, e.staff, q, nil)
		if len(r.Errors) == 0 || r.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Errorf("%s: %s %+v", name, r.Data, r.Errors)
		}
	}
	if r := gqltest.DoAs(t, e.h, e.tokens.Token("usr_1"), `{ customerMetrics(from: "2026-01-01", to: "2026-01-02") { total { customers } } }`, nil); len(r.Errors) == 0 || r.Errors[0].Code() != "FORBIDDEN" {
		t.Fatalf("customer read customer metrics: %s", r.Data)
	}
}

// The storefront's channel comes from X-Channel (the router forwards it)
// and its visitor from visitorId.
func TestTrackedEventsCarryChannelAndVisitor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	send := func(channel string, evs ...map[string]any) {
		t.Helper()
		body := `{"query":"mutation($e: [TrackedEventInput!]!) { trackEvents(events: $e) { accepted } }","variables":{"e":` + jsonOf(t, evs) + `}}`
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "Mozilla/5.0")
		req.Header.Set("X-Channel", channel)
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		if !strings.Contains(rec.Body.String(), `"accepted":`) {
			t.Fatalf("track: %s", rec.Body)
		}
	}
	withVisitor := func(id, session, visitor string) map[string]any {
		m := ev(id, "page_view", session)
		m["visitorId"] = visitor
		m["data"] = `{"channel":"forged"}` // the header wins over the client's data
		return m
	}
	send("eu", withVisitor("1", "s1", "v1"), withVisitor("2", "s2", "v1"), ev("3", "page_view", "s3"))
	send("us", withVisitor("1", "s9", "v9"))
	today := time.Now().UTC().Format(time.DateOnly)
	q := `query($d: String!, $c: String) { trafficMetrics(from: $d, to: $d, channel: $c) { sessions uniqueVisitors pageViews } }`
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, e.staff, q, map[string]any{"d": today, "c": "eu"}).Data,
		`{"trafficMetrics":[{"sessions":3,"uniqueVisitors":2,"pageViews":3}]}`)
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, e.staff, q, map[string]any{"d": today}).Data,
		`{"trafficMetrics":[{"sessions":4,"uniqueVisitors":3,"pageViews":4}]}`)
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, e.staff, q, map[string]any{"d": today, "c": "forged"}).Data, `{"trafficMetrics":[]}`)
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestProductAndCustomerReports(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	nov2 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	e.order(t, "ordA", "usr_1", "us", "USD", nov2, nov2, line("var_1", 2, 1500), line("var_2", 1, 2000))
	e.order(t, "ordB", "usr_1", "us", "USD", nov2.AddDate(0, 0, 1), nov2.AddDate(0, 0, 1), line("var_2", 2, 2000))
	e.order(t, "ordC", "usr_2", "us", "USD", nov2.AddDate(0, 0, 1), nov2.AddDate(0, 0, 1), line("var_1", 1, 1500))
	ids := map[string]string{}
	for _, kind := range []string{"PRODUCTS", "CUSTOMERS"} {
		resp := gqltest.DoAs(t, e.h, e.staff, fmt.Sprintf(`mutation { requestReport(input: {kind: %s, from: "2026-11-01", to: "2026-11-30"}) { id } }`, kind), nil)
		var out struct{ RequestReport struct{ ID string } }
		gqltest.Decode(t, resp.Data, &out)
		if out.RequestReport.ID == "" {
			t.Fatalf("%s: %s %+v", kind, resp.Data, resp.Errors)
		}
		ids[kind] = out.RequestReport.ID
	}
	if n, err := analytics.NewReports(e.store, slog.New(slog.NewTextHandler(io.Discard, nil))).RunOnce(context.Background(), time.Now()); err != nil || n != 2 {
		t.Fatalf("worker made %d reports: %v", n, err)
	}
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	csvOf := func(id string) string {
		t.Helper()
		got := gqltest.DoAs(t, e.h, e.staff, `query($id: ID!) { report(id: $id) { status downloadUrl } }`, map[string]any{"id": id})
		var rep struct {
			Report struct{ Status, DownloadURL string }
		}
		gqltest.Decode(t, got.Data, &rep)
		if rep.Report.Status != "DONE" {
			t.Fatalf("report %s: %s", id, got.Data)
		}
		u, _ := url.Parse(rep.Report.DownloadURL)
		res, err := http.Get(srv.URL + u.RequestURI())
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	if got, want := csvOf(ids["PRODUCTS"]), "variant_id,sku,name,units,orders,revenue,currency\n"+
		"var_2,SKU-var_2,Name var_2,3,2,60.00,USD\nvar_1,SKU-var_1,Name var_1,3,2,45.00,USD\n"; got != want {
		t.Errorf("products csv:\n%s\nwant:\n%s", got, want)
	}
	if got, want := csvOf(ids["CUSTOMERS"]), "start,customers,new_customers,returning_customers,repeat_customers,repeat_purchase_rate\n"+
		"2026-11-02,1,1,0,0,0.0000\n2026-11-03,2,1,1,0,0.0000\ntotal,2,2,0,1,0.5000\n"; got != want {
		t.Errorf("customers csv:\n%s\nwant:\n%s", got, want)
	}
}
