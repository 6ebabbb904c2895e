package analytics

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/myshop/supergraph/platform/ids"
	"github.com/myshop/supergraph/subgraphs/analytics/metrics"
	"github.com/myshop/supergraph/subgraphs/analytics/postgres"
	"github.com/myshop/supergraph/subgraphs/platform/money"
)

// ReportTopProducts is how many variants a PRODUCTS report lists.
const ReportTopProducts = 100

// Reports runs queued and scheduled reports.
type Reports struct {
	store *postgres.Store
	log   *slog.Logger
}

// NewReports returns the report worker over store.
func NewReports(store *postgres.Store, log *slog.Logger) Reports {
	return Reports{store: store, log: log}
}

// RunOnce queues what schedules made due and generates every queued
// report; it returns how many it generated.
func (r Reports) RunOnce(ctx context.Context, now time.Time) (int, error) {
	if _, err := r.store.QueueDue(ctx, now, ids.New); err != nil {
		return 0, err
	}
	n := 0
	for {
		rep, err := r.store.ClaimReport(ctx)
		if err != nil || rep == nil {
			return n, err
		}
		result, genErr := r.generate(ctx, *rep)
		failure := ""
		if genErr != nil {
			result, failure = nil, genErr.Error()
			r.log.Error("report", "report", rep.ID, "err", genErr)
		}
		if err := r.store.Finish(ctx, rep.ID, result, failure); err != nil {
			return n, err
		}
		n++
	}
}

// Run generates reports every interval until ctx ends.
func (r Reports) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := r.RunOnce(ctx, time.Now()); err != nil && ctx.Err() == nil {
			r.log.Error("reports", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// generate writes the report's CSV, recording progress as it goes.
func (r Reports) generate(ctx context.Context, rep metrics.Report) ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	rg := metrics.Range{From: rep.From, To: rep.To}
	if err := r.store.Progress(ctx, rep.ID, 10); err != nil {
		return nil, err
	}
	switch rep.Kind {
	case "SALES":
		ps, err := r.store.Sales(ctx, rg, rep.Bucket, rep.Currency, nil)
		if err != nil {
			return nil, err
		}
		cur := money.Currency(rep.Currency)
		_ = w.Write([]string{"start", "orders", "revenue", "average_order_value", "units", "refunds", "currency"})
		for _, p := range ps {
			_ = w.Write([]string{metrics.StartLabel(p.Start, rep.Bucket), strconv.Itoa(p.Orders), money.Money{Minor: p.RevenueMinor, Currency: cur}.Amount(),
				money.Money{Minor: p.AverageOrderMinor(), Currency: cur}.Amount(), strconv.Itoa(p.Units),
				money.Money{Minor: p.RefundsMinor, Currency: cur}.Amount(), rep.Currency})
		}
	case "TRAFFIC":
		ps, err := r.store.Traffic(ctx, rg, rep.Bucket, nil)
		if err != nil {
			return nil, err
		}
		_ = w.Write([]string{"start", "sessions", "page_views", "product_views", "searches", "unique_visitors"})
		for _, p := range ps {
			_ = w.Write([]string{metrics.StartLabel(p.Start, rep.Bucket), strconv.Itoa(p.Sessions), strconv.Itoa(p.PageViews),
				strconv.Itoa(p.ProductViews), strconv.Itoa(p.Searches), strconv.Itoa(p.Visitors)})
		}
	case "FUNNEL":
		f, err := r.store.Funnel(ctx, rg, nil)
		if err != nil {
			return nil, err
		}
		_ = w.Write([]string{"visits", "views", "carts", "checkouts", "orders"})
		_ = w.Write([]string{strconv.Itoa(f.Visits), strconv.Itoa(f.Views), strconv.Itoa(f.Carts), strconv.Itoa(f.Checkouts), strconv.Itoa(f.Orders)})
	case "PRODUCTS":
		ps, err := r.store.TopProducts(ctx, rg, rep.Currency, nil, metrics.ByRevenue, ReportTopProducts)
		if err != nil {
			return nil, err
		}
		cur := money.Currency(rep.Currency)
		_ = w.Write([]string{"variant_id", "sku", "name", "units", "orders", "revenue", "currency"})
		for _, p := range ps {
			_ = w.Write([]string{p.VariantID, p.SKU, p.Name, strconv.Itoa(p.Units), strconv.Itoa(p.Orders),
				money.Money{Minor: p.RevenueMinor, Currency: cur}.Amount(), rep.Currency})
		}
	case "CUSTOMERS":
		ps, total, err := r.store.Customers(ctx, rg, rep.Bucket, nil)
		if err != nil {
			return nil, err
		}
		_ = w.Write([]string{"start", "customers", "new_customers", "returning_customers", "repeat_customers", "repeat_purchase_rate"})
		row := func(label string, p metrics.CustomerPoint) {
			_ = w.Write([]string{label, strconv.Itoa(p.Customers), strconv.Itoa(p.New), strconv.Itoa(p.Returning), strconv.Itoa(p.Repeat),
				strconv.FormatFloat(p.RepeatRate(), 'f', 4, 64)})
		}
		for _, p := range ps {
			row(metrics.StartLabel(p.Start, rep.Bucket), p)
		}
		// The range's own counts: customers are distinct over the range,
		// so they are not the sum of the rows above.
		row("total", total)
	default:
		return nil, fmt.Errorf("unknown report kind %q", rep.Kind)
	}
	w.Flush()
	if err := r.store.Progress(ctx, rep.ID, 90); err != nil {
		return nil, err
	}
	return b.Bytes(), w.Error()
}
