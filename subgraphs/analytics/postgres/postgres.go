// Package postgres is the analytics store: the event log, the rollups
// derived from it, and dashboards. The only package that knows its SQL.
package postgres

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/myshop/supergraph/subgraphs/analytics/metrics"
	"github.com/myshop/supergraph/subgraphs/platform/events"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations are the analytics database's goose migrations.
var Migrations, _ = fs.Sub(migrations, "migrations")

// Store reads and writes analytics.
type Store struct{ pool *pgxpool.Pool }

var _ metrics.Store = (*Store)(nil)

// New returns a Store on pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Logged is an event with who it is about.
type Logged struct {
	Event             events.Event
	SessionID, UserID string
}

// Ingest logs one event; see IngestBatch.
func (s *Store) Ingest(ctx context.Context, e events.Event, sessionID, userID string) (bool, error) {
	n, err := s.IngestBatch(ctx, []Logged{{Event: e, SessionID: sessionID, UserID: userID}})
	return n == 1, err
}

// IngestBatch logs events once each (by id) and, the first time only, adds
// their effects to the rollups, all in one transaction: a redelivered event
// counts once, and a batch costs one commit and at most three round trips
// (the inserts; the order.placed payloads that confirmations and refunds
// need, read from this log; the rollup changes summed per row).
func (s *Store) IngestBatch(ctx context.Context, batch []Logged) (int, error) {
	inserted := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, l := range batch {
			payload, err := json.Marshal(l.Event.Payload)
			if err != nil {
				return err
			}
			e := l.Event
			b.Queue(`INSERT INTO events (id, type, source, occurred_at, session_id, user_id, payload)
VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`, e.ID, e.Type, e.Source, e.OccurredAt, l.SessionID, l.UserID, payload)
		}
		res := tx.SendBatch(ctx, b)
		fresh := make([]Logged, 0, len(batch))
		for _, l := range batch {
			tag, err := res.Exec()
			if err != nil {
				res.Close()
				return err
			}
			if tag.RowsAffected() == 1 {
				fresh = append(fresh, l)
			}
		}
		if err := res.Close(); err != nil {
			return err
		}
		inserted = len(fresh)
		placed, err := placedOf(ctx, tx, fresh)
		if err != nil {
			return err
		}
		r := newRollup()
		for _, l := range fresh {
			r.add(metrics.EffectOf(l.Event, l.SessionID, l.UserID, placed[metrics.NeedsPlaced(l.Event)]))
		}
		return r.write(ctx, tx)
	})
	if err != nil {
		return 0, fmt.Errorf("ingest: %w", err)
	}
	return inserted, nil
}

// placedOf reads, from the log, the order.placed payloads of the orders
// that events in batch confirm or refund, by order id. The orders relay
// publishes an order's events in the order they were written, so its
// order.placed is logged before (or in the same batch as) its
// confirmation; the backfill joins the same rows.
func placedOf(ctx context.Context, tx pgx.Tx, batch []Logged) (map[string]metrics.Placed, error) {
	var ids []string
	for _, l := range batch {
		if o := metrics.NeedsPlaced(l.Event); o != "" {
			ids = append(ids, metrics.PlacedID(o))
		}
	}
	out := map[string]metrics.Placed{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT payload->>'orderId', payload FROM events WHERE id = ANY($1) AND type = 'order.placed'`, ids)
	if err != nil {
		return nil, fmt.Errorf("placed orders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var order string
		var p metrics.Placed
		if err := rows.Scan(&order, &p); err != nil {
			return nil, fmt.Errorf("placed orders: %w", err)
		}
		out[order] = p
	}
	return out, rows.Err()
}

// rollup sums effects per rollup row before they are written, so many
// events cost one statement per rollup table.
type rollup struct {
	sales    map[salesKey]sums
	products map[productKey]sums
	variants map[string]metrics.Line // sku and name by variant
	// categories are keyed like products, by category id.
	categories map[productKey]sums
	traffic    map[trafficKey]int
	sessions   map[idKey]bool
	visitors   map[idKey]bool
	steps      map[stepKey]bool
	customers  map[idKey]int
	first      map[string]time.Time // customer → hour of the first order
}

type sums struct {
	orders, units    int
	revenue, refunds int64
}

type salesKey struct {
	hour              time.Time
	channel, currency string
}

type productKey struct {
	salesKey
	variant string
}

type trafficKey struct {
	hour            time.Time
	channel, column string
}

type idKey struct {
	hour        time.Time
	channel, id string
}

type stepKey struct {
	day                    time.Time
	channel, session, step string
}

func newRollup() *rollup {
	return &rollup{sales: map[salesKey]sums{}, products: map[productKey]sums{}, variants: map[string]metrics.Line{}, categories: map[productKey]sums{},
		traffic: map[trafficKey]int{}, sessions: map[idKey]bool{}, visitors: map[idKey]bool{}, steps: map[stepKey]bool{},
		customers: map[idKey]int{}, first: map[string]time.Time{}}
}

func (r *rollup) add(fx metrics.Effect) {
	if fx.Orders != 0 || fx.RevenueMinor != 0 || fx.Units != 0 || fx.RefundsMinor != 0 {
		k := salesKey{fx.Hour, fx.Channel, fx.Currency}
		sum := r.sales[k]
		sum.orders += fx.Orders
		sum.revenue += fx.RevenueMinor
		sum.units += fx.Units
		sum.refunds += fx.RefundsMinor
		r.sales[k] = sum
	}
	for _, l := range fx.Lines {
		k := productKey{salesKey{fx.Hour, fx.Channel, fx.Currency}, l.VariantID}
		sum := r.products[k]
		sum.orders++
		sum.units += l.Quantity
		sum.revenue += l.UnitPriceMinor * int64(l.Quantity)
		r.products[k] = sum
		r.variants[l.VariantID] = l
	}
	// An order counts once per category, however many of its lines are in it.
	counted := map[string]bool{}
	for _, l := range fx.Lines {
		if l.CategoryID == "" {
			continue
		}
		k := productKey{salesKey{fx.Hour, fx.Channel, fx.Currency}, l.CategoryID}
		sum := r.categories[k]
		if !counted[l.CategoryID] {
			sum.orders++
			counted[l.CategoryID] = true
		}
		sum.units += l.Quantity
		sum.revenue += l.UnitPriceMinor * int64(l.Quantity)
		r.categories[k] = sum
	}
	if fx.Traffic != "" {
		r.traffic[trafficKey{fx.Hour, fx.Channel, fx.Traffic}]++
		if fx.SessionID != "" {
			r.sessions[idKey{fx.Hour, fx.Channel, fx.SessionID}] = true
		}
		if fx.VisitorID != "" {
			r.visitors[idKey{fx.Hour, fx.Channel, fx.VisitorID}] = true
		}
	}
	if fx.Step != "" {
		r.steps[stepKey{fx.Day(), fx.Channel, fx.SessionID, fx.Step}] = true
	}
	if fx.CustomerID != "" {
		r.customers[idKey{fx.Hour, fx.Channel, fx.CustomerID}] += fx.Orders
		if f, ok := r.first[fx.CustomerID]; !ok || fx.Hour.Before(f) {
			r.first[fx.CustomerID] = fx.Hour
		}
	}
}

// write adds the sums to the rollup tables in one round trip: one
// statement per table, its rows passed as arrays (a map key is never
// twice in one statement, which ON CONFLICT DO UPDATE requires).
func (r *rollup) write(ctx context.Context, tx pgx.Tx) error {
	b := &pgx.Batch{}
	if len(r.sales) > 0 {
		var c cols
		for k, v := range r.sales {
			c.t(0, k.hour).s(1, k.channel).s(2, k.currency).i(3, int64(v.orders)).i(4, v.revenue).i(5, int64(v.units)).i(6, v.refunds)
		}
		b.Queue(`INSERT INTO sales_hourly (hour, channel, currency, orders, revenue_minor, units, refunds_minor)
SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::int[], $5::bigint[], $6::int[], $7::bigint[])
ON CONFLICT (hour, channel, currency) DO UPDATE SET orders = sales_hourly.orders + excluded.orders,
revenue_minor = sales_hourly.revenue_minor + excluded.revenue_minor, units = sales_hourly.units + excluded.units,
refunds_minor = sales_hourly.refunds_minor + excluded.refunds_minor`, c.args(7)...)
	}
	if len(r.products) > 0 {
		var c cols
		for k, v := range r.products {
			c.t(0, k.hour).s(1, k.channel).s(2, k.currency).s(3, k.variant).i(4, int64(v.units)).i(5, v.revenue).i(6, int64(v.orders))
		}
		b.Queue(`INSERT INTO product_sales_hourly (hour, channel, currency, variant_id, units, revenue_minor, orders)
SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::int[])
ON CONFLICT (hour, channel, currency, variant_id) DO UPDATE SET units = product_sales_hourly.units + excluded.units,
revenue_minor = product_sales_hourly.revenue_minor + excluded.revenue_minor, orders = product_sales_hourly.orders + excluded.orders`, c.args(7)...)
		var v cols
		for id, l := range r.variants {
			v.s(0, id).s(1, l.SKU).s(2, l.Name)
		}
		b.Queue(`INSERT INTO sold_variants (variant_id, sku, name) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
ON CONFLICT (variant_id) DO UPDATE SET sku = excluded.sku, name = excluded.name`, v.args(3)...)
	}
	if len(r.categories) > 0 {
		var c cols
		for k, v := range r.categories {
			c.t(0, k.hour).s(1, k.channel).s(2, k.currency).s(3, k.variant).i(4, int64(v.units)).i(5, v.revenue).i(6, int64(v.orders))
		}
		b.Queue(`INSERT INTO category_sales_hourly (hour, channel, currency, category_id, units, revenue_minor, orders)
SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::int[])
ON CONFLICT (hour, channel, currency, category_id) DO UPDATE SET units = category_sales_hourly.units + excluded.units,
revenue_minor = category_sales_hourly.revenue_minor + excluded.revenue_minor, orders = category_sales_hourly.orders + excluded.orders`, c.args(7)...)
	}
	if len(r.traffic) > 0 {
		var c cols
		for k, n := range r.traffic {
			c.t(0, k.hour).s(1, k.channel).s(2, k.column).i(3, int64(n))
		}
		// One row per (hour, channel) gets the counts of every column;
		// the column names are a fixed list in metrics.EffectOf.
		b.Queue(`INSERT INTO traffic_hourly AS t (hour, channel, page_views, product_views, searches, add_to_carts, checkouts)
SELECT hour, channel, coalesce(sum(n) FILTER (WHERE col = 'page_views'), 0), coalesce(sum(n) FILTER (WHERE col = 'product_views'), 0),
  coalesce(sum(n) FILTER (WHERE col = 'searches'), 0), coalesce(sum(n) FILTER (WHERE col = 'add_to_carts'), 0), coalesce(sum(n) FILTER (WHERE col = 'checkouts'), 0)
FROM (SELECT hour, channel, col, n FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::int[]) AS u(hour, channel, col, n)) u
GROUP BY hour, channel
ON CONFLICT (hour, channel) DO UPDATE SET page_views = t.page_views + excluded.page_views,
product_views = t.product_views + excluded.product_views, searches = t.searches + excluded.searches,
add_to_carts = t.add_to_carts + excluded.add_to_carts, checkouts = t.checkouts + excluded.checkouts`, c.args(4)...)
	}
	for table, set := range map[string]map[idKey]bool{"sessions_hourly (hour, channel, session_id)": r.sessions, "visitors_hourly (hour, channel, visitor_id)": r.visitors} {
		if len(set) == 0 {
			continue
		}
		var c cols
		for k := range set {
			c.t(0, k.hour).s(1, k.channel).s(2, k.id)
		}
		b.Queue(`INSERT INTO `+table+` SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING`, c.args(3)...)
	}
	if len(r.steps) > 0 {
		var c cols
		for k := range r.steps {
			c.t(0, k.day).s(1, k.channel).s(2, k.session).s(3, k.step)
		}
		b.Queue(`INSERT INTO session_steps (day, channel, session_id, step)
SELECT * FROM unnest($1::date[], $2::text[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING`, c.args(4)...)
	}
	if len(r.customers) > 0 {
		var c cols
		for k, n := range r.customers {
			c.t(0, k.hour).s(1, k.channel).s(2, k.id).i(3, int64(n))
		}
		b.Queue(`INSERT INTO customer_orders_hourly (hour, channel, user_id, orders)
SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::int[])
ON CONFLICT (hour, channel, user_id) DO UPDATE SET orders = customer_orders_hourly.orders + excluded.orders`, c.args(4)...)
		var f cols
		for id, at := range r.first {
			f.s(0, id).t(1, at)
		}
		b.Queue(`INSERT INTO customer_first_orders (user_id, first_hour) SELECT * FROM unnest($1::text[], $2::timestamptz[])
ON CONFLICT (user_id) DO UPDATE SET first_hour = least(customer_first_orders.first_hour, excluded.first_hour)`, f.args(2)...)
	}
	if b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, b).Close()
}

// cols gathers a statement's rows column by column, for unnest.
type cols struct {
	times map[int][]time.Time
	strs  map[int][]string
	ints  map[int][]int64
}

func (c *cols) t(i int, v time.Time) *cols {
	if c.times == nil {
		c.times = map[int][]time.Time{}
	}
	c.times[i] = append(c.times[i], v)
	return c
}

func (c *cols) s(i int, v string) *cols {
	if c.strs == nil {
		c.strs = map[int][]string{}
	}
	c.strs[i] = append(c.strs[i], v)
	return c
}

func (c *cols) i(i int, v int64) *cols {
	if c.ints == nil {
		c.ints = map[int][]int64{}
	}
	c.ints[i] = append(c.ints[i], v)
	return c
}

func (c *cols) args(n int) []any {
	out := make([]any, n)
	for i := range n {
		switch {
		case c.times[i] != nil:
			out[i] = c.times[i]
		case c.strs[i] != nil:
			out[i] = c.strs[i]
		default:
			out[i] = c.ints[i]
		}
	}
	return out
}

// rollupTables are every table the backfill rebuilds.
const rollupTables = `sales_hourly, product_sales_hourly, sold_variants, category_sales_hourly, traffic_hourly, sessions_hourly, visitors_hourly,
session_steps, customer_orders_hourly, customer_first_orders`

// Backfill rebuilds every rollup from the event log with the same rule
// as ingestion (metrics.EffectOf, the order.placed payloads joined from
// the log, and the same summing), so the numbers come out the same. The
// log is streamed; memory holds the sums per row and the distinct sets.
func (s *Store) Backfill(ctx context.Context) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// The whole log is read and every rollup rewritten: far past the
		// pool's 2s per statement. TRUNCATE waits for readers of the
		// rollups, so it gets longer than a request's 1s for the lock too.
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = '30s'`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
SELECT e.id, e.type, e.source, e.occurred_at, e.session_id, e.user_id, e.payload, p.payload
FROM events e LEFT JOIN events p
  ON e.type IN ('order.status_changed', 'payment.transaction_settled') AND (e.payload->>'to' = 'CONFIRMED' OR e.payload->>'kind' = 'REFUND')
  AND p.id = 'evt_' || (e.payload->>'orderId') || '_placed' AND p.type = 'order.placed'
ORDER BY e.occurred_at, e.id`)
		if err != nil {
			return err
		}
		r := newRollup()
		for rows.Next() {
			var e events.Event
			var session, user string
			var placed metrics.Placed
			if err := rows.Scan(&e.ID, &e.Type, &e.Source, &e.OccurredAt, &session, &user, &e.Payload, &placed); err != nil {
				rows.Close()
				return err
			}
			n++
			r.add(metrics.EffectOf(e, session, user, placed))
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `TRUNCATE `+rollupTables); err != nil {
			return err
		}
		return r.write(ctx, tx)
	})
	if err != nil {
		return 0, fmt.Errorf("backfill: %w", err)
	}
	return n, nil
}

// Sales is the sales series of currency over r in buckets, in channel
// (nil: every channel).
func (s *Store) Sales(ctx context.Context, r metrics.Range, bucket, currency string, channel *string) ([]metrics.SalesPoint, error) {
	rows, err := s.pool.Query(ctx, `
SELECT date_trunc($1, hour AT TIME ZONE 'UTC') AS start, sum(orders), sum(revenue_minor), sum(units), sum(refunds_minor)
FROM sales_hourly WHERE hour >= $2 AND hour < $3 AND currency = $4 AND ($5::text IS NULL OR channel = $5)
GROUP BY start ORDER BY start`, bucket, r.From, r.End(), currency, channel)
	if err != nil {
		return nil, fmt.Errorf("sales: %w", err)
	}
	ps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (metrics.SalesPoint, error) {
		var p metrics.SalesPoint
		err := row.Scan(&p.Start, &p.Orders, &p.RevenueMinor, &p.Units, &p.RefundsMinor)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("sales: %w", err)
	}
	return ps, nil
}

// TopProducts is the n best-selling variants in currency over r, in
// channel (nil: every channel), by revenue or units (the other breaks
// ties, then the id).
func (s *Store) TopProducts(ctx context.Context, r metrics.Range, currency string, channel *string, by metrics.Rank, n int) ([]metrics.ProductSales, error) {
	order := `revenue DESC, units DESC`
	if by == metrics.ByUnits {
		order = `units DESC, revenue DESC`
	}
	rows, err := s.pool.Query(ctx, `
SELECT p.variant_id, coalesce(v.sku, ''), coalesce(v.name, ''), sum(p.units) AS units, sum(p.orders), sum(p.revenue_minor) AS revenue
FROM product_sales_hourly p LEFT JOIN sold_variants v USING (variant_id)
WHERE p.hour >= $1 AND p.hour < $2 AND p.currency = $3 AND ($4::text IS NULL OR p.channel = $4)
GROUP BY p.variant_id, v.sku, v.name ORDER BY `+order+`, p.variant_id LIMIT $5`, r.From, r.End(), currency, channel, n)
	if err != nil {
		return nil, fmt.Errorf("top products: %w", err)
	}
	ps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (metrics.ProductSales, error) {
		var p metrics.ProductSales
		err := row.Scan(&p.VariantID, &p.SKU, &p.Name, &p.Units, &p.Orders, &p.RevenueMinor)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("top products: %w", err)
	}
	return ps, nil
}

// TopCategories is the n best-selling categories in currency over r, in
// channel (nil: every channel), by revenue or units (the other breaks
// ties, then the id). Lines sold without a category are not in it.
func (s *Store) TopCategories(ctx context.Context, r metrics.Range, currency string, channel *string, by metrics.Rank, n int) ([]metrics.CategorySales, error) {
	order := `revenue DESC, units DESC`
	if by == metrics.ByUnits {
		order = `units DESC, revenue DESC`
	}
	rows, err := s.pool.Query(ctx, `
SELECT category_id, sum(units) AS units, sum(orders), sum(revenue_minor) AS revenue
FROM category_sales_hourly
WHERE hour >= $1 AND hour < $2 AND currency = $3 AND ($4::text IS NULL OR channel = $4)
GROUP BY category_id ORDER BY `+order+`, category_id LIMIT $5`, r.From, r.End(), currency, channel, n)
	if err != nil {
		return nil, fmt.Errorf("top categories: %w", err)
	}
	cs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (metrics.CategorySales, error) {
		var c metrics.CategorySales
		err := row.Scan(&c.CategoryID, &c.Units, &c.Orders, &c.RevenueMinor)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("top categories: %w", err)
	}
	return cs, nil
}

// Traffic is the traffic series over r in buckets, in channel (nil:
// every channel); sessions and visitors are distinct per bucket.
func (s *Store) Traffic(ctx context.Context, r metrics.Range, bucket string, channel *string) ([]metrics.TrafficPoint, error) {
	rows, err := s.pool.Query(ctx, `
WITH t AS (
  SELECT date_trunc($1, hour AT TIME ZONE 'UTC') AS start, sum(page_views) pv, sum(product_views) prv, sum(searches) s
  FROM traffic_hourly WHERE hour >= $2 AND hour < $3 AND ($4::text IS NULL OR channel = $4) GROUP BY start
), ss AS (
  SELECT date_trunc($1, hour AT TIME ZONE 'UTC') AS start, count(DISTINCT session_id) n
  FROM sessions_hourly WHERE hour >= $2 AND hour < $3 AND ($4::text IS NULL OR channel = $4) GROUP BY start
), vs AS (
  SELECT date_trunc($1, hour AT TIME ZONE 'UTC') AS start, count(DISTINCT visitor_id) n
  FROM visitors_hourly WHERE hour >= $2 AND hour < $3 AND ($4::text IS NULL OR channel = $4) GROUP BY start
)
SELECT t.start, coalesce(ss.n, 0), coalesce(vs.n, 0), t.pv, t.prv, t.s FROM t LEFT JOIN ss USING (start) LEFT JOIN vs USING (start)
ORDER BY t.start`, bucket, r.From, r.End(), channel)
	if err != nil {
		return nil, fmt.Errorf("traffic: %w", err)
	}
	ps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (metrics.TrafficPoint, error) {
		var p metrics.TrafficPoint
		err := row.Scan(&p.Start, &p.Sessions, &p.Visitors, &p.PageViews, &p.ProductViews, &p.Searches)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("traffic: %w", err)
	}
	return ps, nil
}

// Funnel counts sessions per step over r, in channel (nil: every channel).
func (s *Store) Funnel(ctx context.Context, r metrics.Range, channel *string) (metrics.Funnel, error) {
	var f metrics.Funnel
	err := s.pool.QueryRow(ctx, `SELECT
  count(DISTINCT session_id) FILTER (WHERE step = 'VISIT'), count(DISTINCT session_id) FILTER (WHERE step = 'VIEW'),
  count(DISTINCT session_id) FILTER (WHERE step = 'CART'), count(DISTINCT session_id) FILTER (WHERE step = 'CHECKOUT'),
  count(DISTINCT session_id) FILTER (WHERE step = 'ORDER')
FROM session_steps WHERE day BETWEEN $1 AND $2 AND ($3::text IS NULL OR channel = $3)`, r.From, r.To, channel).Scan(&f.Visits, &f.Views, &f.Carts, &f.Checkouts, &f.Orders)
	if err != nil {
		return metrics.Funnel{}, fmt.Errorf("funnel: %w", err)
	}
	return f, nil
}

// customersSQL counts a bucket's customers; START is the bucket's start
// expression (a fixed string below, never input).
const customersSQL = `
WITH c AS (
  SELECT START AS start, user_id, sum(orders) n
  FROM customer_orders_hourly WHERE hour >= $2 AND hour < $3 AND ($4::text IS NULL OR channel = $4) GROUP BY 1, 2
)
SELECT c.start, count(*), count(*) FILTER (WHERE f.first_hour AT TIME ZONE 'UTC' >= c.start),
  count(*) FILTER (WHERE f.first_hour AT TIME ZONE 'UTC' < c.start), count(*) FILTER (WHERE c.n >= 2)
FROM c JOIN customer_first_orders f USING (user_id) WHERE $1::text IS NOT NULL GROUP BY c.start ORDER BY c.start`

// Customers is the customer series over r in buckets, in channel (nil:
// every channel), and the same counts over the whole range. A customer is
// new in the bucket of their first confirmed order in any channel.
func (s *Store) Customers(ctx context.Context, r metrics.Range, bucket string, channel *string) ([]metrics.CustomerPoint, metrics.CustomerPoint, error) {
	scan := func(row pgx.CollectableRow) (metrics.CustomerPoint, error) {
		var p metrics.CustomerPoint
		err := row.Scan(&p.Start, &p.Customers, &p.New, &p.Returning, &p.Repeat)
		return p, err
	}
	read := func(start string) ([]metrics.CustomerPoint, error) {
		rows, err := s.pool.Query(ctx, strings.Replace(customersSQL, "START", start, 1), bucket, r.From, r.End(), channel)
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, scan)
	}
	ps, err := read(`date_trunc($1, hour AT TIME ZONE 'UTC')`)
	if err != nil {
		return nil, metrics.CustomerPoint{}, fmt.Errorf("customers: %w", err)
	}
	total, err := read(`$2::timestamptz AT TIME ZONE 'UTC'`)
	if err != nil {
		return nil, metrics.CustomerPoint{}, fmt.Errorf("customers over the range: %w", err)
	}
	sum := metrics.CustomerPoint{Start: r.From}
	if len(total) == 1 {
		sum = total[0]
	}
	return ps, sum, nil
}

// ExportEvents streams the log over [from, to) to row, in order, one row
// in memory at a time.
func (s *Store) ExportEvents(ctx context.Context, from, to time.Time, row func(id, typ, source string, at time.Time, session, payload string) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only: nothing to undo
	// The statement lasts as long as the download: the pool's 2s would cut
	// a long range off halfway. An hour still ends a stalled client's.
	if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = '1h'`); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT id, type, source, occurred_at, session_id, payload::text FROM events
WHERE occurred_at >= $1 AND occurred_at < $2 ORDER BY occurred_at, id`, from, to)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, typ, source, session, payload string
		var at time.Time
		if err := rows.Scan(&id, &typ, &source, &at, &session, &payload); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if err := row(id, typ, source, at, session, payload); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// SaveDashboard creates or updates one of owner's dashboards; false when
// the id belongs to someone else.
func (s *Store) SaveDashboard(ctx context.Context, d metrics.Dashboard) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO dashboards (id, owner, name, widgets) VALUES ($1, $2, $3, $4)
ON CONFLICT (id) DO UPDATE SET name = $3, widgets = $4, updated_at = now() WHERE dashboards.owner = $2`, d.ID, d.Owner, d.Name, d.Widgets)
	if err != nil {
		return false, fmt.Errorf("save dashboard: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// Dashboards lists owner's dashboards.
func (s *Store) Dashboards(ctx context.Context, owner string) ([]metrics.Dashboard, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, owner, name, widgets, updated_at FROM dashboards WHERE owner = $1 ORDER BY id`, owner)
	if err != nil {
		return nil, fmt.Errorf("dashboards: %w", err)
	}
	ds, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (metrics.Dashboard, error) {
		var d metrics.Dashboard
		err := row.Scan(&d.ID, &d.Owner, &d.Name, &d.Widgets, &d.UpdatedAt)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("dashboards: %w", err)
	}
	return ds, nil
}
