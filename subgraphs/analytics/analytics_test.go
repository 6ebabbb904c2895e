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

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/myshop/supergraph/platform/auth/authtest"
	"github.com/myshop/supergraph/subgraphs/analytics"
	pgstore "github.com/myshop/supergraph/subgraphs/analytics/postgres"
	"github.com/myshop/supergraph/subgraphs/platform/events"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
	"github.com/myshop/supergraph/subgraphs/platform/pgtest"
	"github.com/myshop/supergraph/subgraphs/platform/redistest"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
)

type env struct {
	h      http.Handler
	pool   *pgxpool.Pool
	store  *pgstore.Store
	tokens *authtest.Issuer
	staff  string
}

func newEnv(t *testing.T) *env { return newEnvTB(t) }

func newEnvTB(t testing.TB) *env {
	t.Helper()
	pool := pgtest.NewPool(t, pgstore.Migrations)
	rdb, prefix := redistest.New(t)
	issuer := authtest.New(t)
	h := analytics.Handler(subgraph.Deps{Pool: pool, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Redis: rdb, RedisPrefix: prefix,
		Verifier: issuer.Verifier(), Getenv: func(string) string { return "" }})
	return &env{h: h, pool: pool, store: pgstore.New(pool), tokens: issuer, staff: issuer.Token("usr_staff", "READ_ANALYTICS")}
}

var day1 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

func (e *env) ingest(t *testing.T, id, typ string, at time.Time, payload map[string]any) {
	t.Helper()
	if _, err := e.store.Ingest(context.Background(), events.Event{ID: id, Type: typ, Source: "test", OccurredAt: at, Payload: payload}, "", ""); err != nil {
		t.Fatal(err)
	}
}

const sales = `{ salesMetrics(from: "2026-11-01", to: "2026-11-30", bucket: DAY) { start orders revenue { amount } averageOrderValue { amount } units refunds { amount } } }`

func TestSalesFromEventsCountOnceAndBackfillAgrees(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	confirmed := func(total, units int) map[string]any {
		return map[string]any{"to": "CONFIRMED", "totalMinor": total, "units": units, "currency": "USD"}
	}
	e.ingest(t, "evt_1", "order.status_changed", day1, confirmed(5000, 2))
	e.ingest(t, "evt_1", "order.status_changed", day1, confirmed(5000, 2)) // redelivered
	e.ingest(t, "evt_2", "order.status_changed", day1.Add(time.Hour), confirmed(2500, 1))
	e.ingest(t, "evt_3", "order.status_changed", day1, map[string]any{"to": "SHIPPED"})
	e.ingest(t, "evt_4", "payment.transaction_settled", day1.AddDate(0, 0, 1), map[string]any{"kind": "REFUND", "outcome": "SUCCEEDED", "amountMinor": 1000, "currency": "USD"})
	e.ingest(t, "evt_5", "order.status_changed", day1, map[string]any{"to": "CONFIRMED", "totalMinor": 900, "units": 1, "currency": "EUR"})
	want := `{"salesMetrics":[
		{"start":"2026-11-02","orders":2,"revenue":{"amount":"75.00"},"averageOrderValue":{"amount":"37.50"},"units":3,"refunds":{"amount":"0.00"}},
		{"start":"2026-11-03","orders":0,"revenue":{"amount":"0.00"},"averageOrderValue":{"amount":"0.00"},"units":0,"refunds":{"amount":"10.00"}}]}`
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, e.staff, sales, nil).Data, want)

	rebuilt := gqltest.DoAs(t, e.h, e.staff, `mutation { rebuildMetrics }`, nil)
	gqltest.JSONEq(t, rebuilt.Data, `{"rebuildMetrics":5}`)
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, e.staff, sales, nil).Data, want)

	weekly := gqltest.DoAs(t, e.h, e.staff, `{ salesMetrics(from: "2026-11-01", to: "2026-11-30", bucket: MONTH, currency: "EUR") { start orders revenue { amount currencyCode } } }`, nil)
	gqltest.JSONEq(t, weekly.Data, `{"salesMetrics":[{"start":"2026-11-01","orders":1,"revenue":{"amount":"9.00","currencyCode":"EUR"}}]}`)
}

func track(t *testing.T, e *env, ua string, evs ...map[string]any) gqltest.Response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": `mutation($e: [TrackedEventInput!]!) { trackEvents(events: $e) { accepted dropped } }`, "variables": map[string]any{"e": evs}})
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", ua)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	var r gqltest.Response
	gqltest.Decode(t, rec.Body.Bytes(), &r)
	return r
}

func ev(id, typ, session string) map[string]any {
	return map[string]any{"id": id, "type": typ, "sessionId": session, "occurredAt": time.Now().UTC().Format(time.RFC3339), "data": `{"path":"/"}`}
}

func TestTrackingTrafficAndFunnel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	browser := "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"
	r := track(t, e, browser, ev("1", "page_view", "s1"), ev("2", "product_view", "s1"), ev("3", "add_to_cart", "s1"),
		ev("1", "page_view", "s2"), ev("2", "product_view", "s2"), ev("4", "checkout_started", "s1"))
	gqltest.JSONEq(t, r.Data, `{"trackEvents":{"accepted":6,"dropped":0}}`)
	gqltest.JSONEq(t, track(t, e, browser, ev("1", "page_view", "s1")).Data, `{"trackEvents":{"accepted":0,"dropped":1}}`) // a repeat
	gqltest.JSONEq(t, track(t, e, "Googlebot/2.1", ev("9", "page_view", "bot")).Data, `{"trackEvents":{"accepted":0,"dropped":1}}`)

	today := time.Now().UTC().Format(time.DateOnly)
	funnel := gqltest.DoAs(t, e.h, e.staff, fmt.Sprintf(`{ conversionFunnel(from: %q, to: %q) { visits views carts checkouts orders } }`, today, today), nil)
	gqltest.JSONEq(t, funnel.Data, `{"conversionFunnel":{"visits":2,"views":2,"carts":1,"checkouts":1,"orders":0}}`)
	traffic := gqltest.DoAs(t, e.h, e.staff, fmt.Sprintf(`{ trafficMetrics(from: %q, to: %q) { sessions pageViews productViews } }`, today, today), nil)
	gqltest.JSONEq(t, traffic.Data, `{"trafficMetrics":[{"sessions":2,"pageViews":2,"productViews":2}]}`)

	bad := map[string]map[string]any{
		"unknown type":  ev("x", "purchase_everything", "s1"),
		"huge data":     {"id": "y", "type": "page_view", "sessionId": "s1", "data": `{"x":"` + strings.Repeat("a", 3000) + `"}`},
		"long session":  ev("z", "page_view", strings.Repeat("s", 100)),
		"not an object": {"id": "w", "type": "page_view", "sessionId": "s1", "data": `[1,2]`},
	}
	for name, evt := range bad {
		if r := track(t, e, browser, evt); len(r.Errors) == 0 || r.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Errorf("%s: %s %+v", name, r.Data, r.Errors)
		}
	}
}

func TestTrackingFloodIsRateLimited(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	limited := false
	for i := range 20 {
		batch := make([]map[string]any, 50)
		for k := range batch {
			batch[k] = ev(fmt.Sprintf("%d-%d", i, k), "page_view", "flooder")
		}
		if r := track(t, e, "Mozilla/5.0", batch...); len(r.Errors) > 0 {
			if r.Errors[0].Code() != "RATE_LIMIT_EXCEEDED" {
				t.Fatalf("batch %d: %+v", i, r.Errors)
			}
			limited = true
			break
		}
	}
	if !limited {
		t.Fatal("1,000 events in a burst from one session were all accepted")
	}
	// Another session is not affected.
	if r := track(t, e, "Mozilla/5.0", ev("1", "page_view", "calm")); len(r.Errors) > 0 {
		t.Fatalf("other session: %+v", r.Errors)
	}
}

func TestExportStreamsTheLog(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i := range 2500 {
		e.ingest(t, fmt.Sprintf("evt_%04d", i), "order.status_changed", day1.Add(time.Duration(i)*time.Second), map[string]any{"to": "PROCESSING"})
	}
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	resp := gqltest.DoAs(t, e.h, e.staff, `mutation { exportEvents(from: "2026-11-02", to: "2026-11-02") { url expiresAt } }`, nil)
	var out struct{ ExportEvents struct{ URL string } }
	gqltest.Decode(t, resp.Data, &out)
	get := func(link string) (int, string) {
		u, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		r, err := http.Get(srv.URL + u.RequestURI())
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return r.StatusCode, string(b)
	}
	code, body := get(out.ExportEvents.URL)
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if code != 200 || len(lines) != 2501 || !strings.HasPrefix(lines[1], "evt_0000,order.status_changed,test,2026-11-02T10:00:00Z,,") {
		t.Fatalf("export: %d, %d lines, first %q", code, len(lines), lines[min(1, len(lines)-1)])
	}
	if code, _ := get(strings.Replace(out.ExportEvents.URL, "to=2026-11-02", "to=2026-11-30", 1)); code != http.StatusForbidden {
		t.Fatalf("altered link: %d", code)
	}
	if r := gqltest.DoAs(t, e.h, e.tokens.Token("usr_1"), `mutation { exportEvents(from: "2026-11-02", to: "2026-11-02") { url } }`, nil); len(r.Errors) == 0 || r.Errors[0].Code() != "FORBIDDEN" {
		t.Fatalf("customer export: %s", r.Data)
	}
}

func TestDashboards(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	save := `mutation($in: DashboardInput!) { saveDashboard(input: $in) { id name widgets { metric rangeDays bucket chart } } }`
	r := gqltest.DoAs(t, e.h, e.staff, save, map[string]any{"in": map[string]any{"name": "Sales", "widgets": []any{
		map[string]any{"metric": "SALES", "rangeDays": 90, "bucket": "DAY", "chart": "LINE"}}}})
	var out struct{ SaveDashboard struct{ ID string } }
	gqltest.Decode(t, r.Data, &out)
	other := e.tokens.Token("usr_other", "READ_ANALYTICS")
	if r := gqltest.DoAs(t, e.h, other, save, map[string]any{"in": map[string]any{"id": out.SaveDashboard.ID, "name": "Mine now", "widgets": []any{}}}); len(r.Errors) == 0 || r.Errors[0].Code() != "NOT_FOUND" {
		t.Fatalf("took over another's dashboard: %s", r.Data)
	}
	if r := gqltest.DoAs(t, e.h, e.staff, save, map[string]any{"in": map[string]any{"name": "Bad", "widgets": []any{
		map[string]any{"metric": "SALES", "rangeDays": 0, "bucket": "DAY", "chart": "PIE"}}}}); len(r.Errors) == 0 {
		t.Fatal("bad widget accepted")
	}
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, e.staff, `{ myDashboards { name widgets { metric rangeDays } } }`, nil).Data,
		`{"myDashboards":[{"name":"Sales","widgets":[{"metric":"SALES","rangeDays":90}]}]}`)
	if r := gqltest.DoAs(t, e.h, e.tokens.Token("usr_1"), sales, nil); len(r.Errors) == 0 || r.Errors[0].Code() != "FORBIDDEN" {
		t.Fatalf("customer read sales: %s", r.Data)
	}
}

func TestReports(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.ingest(t, "evt_1", "order.status_changed", day1, map[string]any{"to": "CONFIRMED", "totalMinor": 5000, "units": 2, "currency": "USD"})
	resp := gqltest.DoAs(t, e.h, e.staff, `mutation { requestReport(input: {kind: SALES, from: "2026-11-01", to: "2026-11-30"}) { id status progress downloadUrl } }`, nil)
	var req struct{ RequestReport struct{ ID, Status string } }
	gqltest.Decode(t, resp.Data, &req)
	if req.RequestReport.Status != "QUEUED" {
		t.Fatalf("request: %s", resp.Data)
	}
	sched := gqltest.DoAs(t, e.h, e.staff, `mutation { scheduleReport(input: {kind: FUNNEL, rangeDays: 7, every: WEEKLY}) { every } }`, nil)
	gqltest.JSONEq(t, sched.Data, `{"scheduleReport":{"every":"WEEKLY"}}`)

	n, err := analytics.NewReports(e.store, slog.New(slog.NewTextHandler(io.Discard, nil))).RunOnce(context.Background(), time.Now())
	if err != nil || n != 2 {
		t.Fatalf("worker made %d reports: %v", n, err)
	}
	got := gqltest.DoAs(t, e.h, e.staff, `query($id: ID!) { report(id: $id) { status progress downloadUrl } }`, map[string]any{"id": req.RequestReport.ID})
	var rep struct {
		Report struct {
			Status, DownloadURL string
			Progress            int
		}
	}
	gqltest.Decode(t, got.Data, &rep)
	if rep.Report.Status != "DONE" || rep.Report.Progress != 100 || rep.Report.DownloadURL == "" {
		t.Fatalf("report: %s", got.Data)
	}
	u, _ := url.Parse(rep.Report.DownloadURL)
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	res, err := http.Get(srv.URL + u.RequestURI())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if want := "start,orders,revenue,average_order_value,units,refunds,currency\n2026-11-02,1,50.00,50.00,2,0.00,USD\n"; string(body) != want {
		t.Fatalf("csv:\n%s\nwant:\n%s", body, want)
	}
	mine := gqltest.DoAs(t, e.h, e.staff, `{ myReports { kind status } }`, nil)
	if !strings.Contains(string(mine.Data), `{"kind":"FUNNEL","status":"DONE"}`) {
		t.Fatalf("scheduled report missing: %s", mine.Data)
	}
	// Another staff member cannot read it.
	other := gqltest.DoAs(t, e.h, e.tokens.Token("usr_other", "READ_ANALYTICS"), `query($id: ID!) { report(id: $id) { id } }`, map[string]any{"id": req.RequestReport.ID})
	gqltest.JSONEq(t, other.Data, `{"report":null}`)
}
