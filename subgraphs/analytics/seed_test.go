package analytics_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	pgstore "github.com/myshop/supergraph/subgraphs/analytics/postgres"
	"github.com/myshop/supergraph/subgraphs/demo"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
)

// seedUntil ends the test world's history on a fixed day, so the world
// and every number below are the same on every run.
var seedUntil = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

// worldSales is what the world says sold in [from, end): confirmed orders
// by the time of their confirmation, and refunds by theirs.
type worldSales struct {
	orders, units   int
	revenue, refund int64
}

func salesOf(w *demo.World, from, end time.Time) map[string]worldSales {
	in := func(t time.Time) bool { return !t.Before(from) && t.Before(end) }
	out := map[string]worldSales{}
	for _, o := range w.Orders {
		s := out[o.Currency]
		for _, h := range o.History {
			if h.To == demo.Confirmed && in(h.At) {
				s.orders++
				s.units += o.Units()
				s.revenue += o.TotalMinor
			}
		}
		for _, t := range o.Payment.Transactions {
			if t.Kind == "REFUND" && t.Outcome == "SUCCEEDED" && in(t.At) {
				s.refund += t.AmountMinor
			}
		}
		out[o.Currency] = s
	}
	return out
}

func TestSeedWritesTheWorldsLogAndItsMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	w, err := demo.New(demo.Options{Seed: demo.DefaultSeed, Scale: 1, Until: seedUntil})
	if err != nil {
		t.Fatal(err)
	}
	if err := pgstore.Seed(ctx, e.pool, w); err != nil {
		t.Fatal(err)
	}
	before := e.snapshot(t)
	var logged int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM events`).Scan(&logged); err != nil {
		t.Fatal(err)
	}
	behaviours := 0
	for _, s := range w.Sessions {
		behaviours += len(s.Events)
	}
	if logged <= behaviours+len(w.Orders)*2 {
		t.Fatalf("logged %d events; the world has %d behaviour events and %d orders", logged, behaviours, len(w.Orders))
	}
	if err := pgstore.Seed(ctx, e.pool, w); err != nil {
		t.Fatalf("second seed: %v", err)
	}
	var again int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM events`).Scan(&again); err != nil {
		t.Fatal(err)
	}
	if again != logged {
		t.Errorf("a second seed changed the log: %d events, then %d", logged, again)
	}
	for table, rows := range e.snapshot(t) {
		if rows != before[table] {
			t.Errorf("a second seed changed %s", table)
		}
	}
	// A rebuild from the log is what the seed left.
	if _, err := e.store.Backfill(ctx); err != nil {
		t.Fatal(err)
	}
	for table, rows := range e.snapshot(t) {
		if rows != before[table] {
			t.Errorf("a backfill changed %s: the seed's rollups are not the log's", table)
		}
	}

	from, to := seedUntil.AddDate(0, 0, -30), seedUntil.AddDate(0, 0, -1)
	args := fmt.Sprintf(`from: %q, to: %q`, from.Format(time.DateOnly), to.Format(time.DateOnly))
	staff := e.tokens.Token(demo.StaffID("marketing"), "READ_ANALYTICS")
	query := func(q string, out any) {
		t.Helper()
		r := gqltest.DoAs(t, e.h, staff, q, nil)
		if len(r.Errors) > 0 {
			t.Fatalf("%s: %v", q, r.Errors)
		}
		if err := json.Unmarshal(r.Data, out); err != nil {
			t.Fatal(err)
		}
	}

	want := salesOf(w, from, seedUntil)
	for _, cur := range []string{"USD", "EUR", "JPY"} {
		var got struct {
			SalesMetrics []struct {
				Orders, Units int
				Revenue       struct{ MinorUnits int64 }
				Refunds       struct{ MinorUnits int64 }
			}
		}
		query(fmt.Sprintf(`{ salesMetrics(%s, currency: %q) { orders units revenue { minorUnits } refunds { minorUnits } } }`, args, cur), &got)
		var sum worldSales
		for _, p := range got.SalesMetrics {
			sum.orders += p.Orders
			sum.units += p.Units
			sum.revenue += p.Revenue.MinorUnits
			sum.refund += p.Refunds.MinorUnits
		}
		if sum != want[cur] || sum.orders == 0 {
			t.Errorf("%s sales over the last 30 days: got %+v, the world says %+v", cur, sum, want[cur])
		}
	}

	var top struct {
		TopProducts []struct {
			VariantID string
			Units     int
		}
		TopCategories []struct {
			CategoryID string
			Orders     int
		}
	}
	query(fmt.Sprintf(`{ topProducts(%s, first: 5) { variantId units } topCategories(%s, first: 5) { categoryId orders } }`, args, args), &top)
	if len(top.TopProducts) != 5 || len(top.TopCategories) != 5 {
		t.Fatalf("top lists: %+v", top)
	}
	for _, p := range top.TopProducts {
		if w.Variant(p.VariantID) == nil || p.Units == 0 {
			t.Errorf("top product %+v is not a sold variant of the world", p)
		}
	}

	// Traffic and the funnel's first step are the world's sessions, by day.
	pageViews, visits := 0, map[string]bool{}
	for _, s := range w.Sessions {
		for _, b := range s.Events {
			if b.Type == "page_view" && !b.At.Before(from) && b.At.Before(seedUntil) {
				pageViews++
				visits[s.ID] = true
			}
		}
	}
	var traffic struct {
		TrafficMetrics   []struct{ Sessions, PageViews, ProductViews, Searches int }
		ConversionFunnel struct{ Visits, Views, Carts, Checkouts, Orders int }
		CustomerMetrics  struct {
			Total struct{ Customers, NewCustomers, ReturningCustomers, RepeatCustomers int }
		}
		MyDashboards []struct {
			Name    string
			Widgets []struct{ Metric string }
		}
	}
	query(fmt.Sprintf(`{ trafficMetrics(%s) { sessions pageViews productViews searches }
  conversionFunnel(%s) { visits views carts checkouts orders }
  customerMetrics(%s, bucket: WEEK) { total { customers newCustomers returningCustomers repeatCustomers } }
  myDashboards { name widgets { metric } } }`, args, args, args), &traffic)
	got := 0
	for _, p := range traffic.TrafficMetrics {
		got += p.PageViews
		if p.Sessions == 0 || p.ProductViews == 0 {
			t.Errorf("a day without traffic: %+v", p)
		}
	}
	if len(traffic.TrafficMetrics) != 30 || got != pageViews {
		t.Errorf("traffic: %d days, %d page views; the world has 30 and %d", len(traffic.TrafficMetrics), got, pageViews)
	}
	f := traffic.ConversionFunnel
	if f.Visits != len(visits) || !(f.Visits > f.Views && f.Views > f.Carts && f.Carts > f.Checkouts && f.Checkouts > 0) {
		t.Errorf("funnel %+v; the world has %d visits", f, len(visits))
	}
	c := traffic.CustomerMetrics.Total
	if c.NewCustomers == 0 || c.ReturningCustomers == 0 || c.RepeatCustomers == 0 || c.NewCustomers+c.ReturningCustomers != c.Customers {
		t.Errorf("customers over the last 30 days: %+v", c)
	}
	if len(traffic.MyDashboards) != 1 || len(traffic.MyDashboards[0].Widgets) == 0 {
		t.Errorf("marketing's dashboards: %+v", traffic.MyDashboards)
	}
}
