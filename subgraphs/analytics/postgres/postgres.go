// Package postgres is the analytics store: the event log, the rollups
// derived from it, and dashboards. The only package that knows its SQL.
package postgres

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
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

// New returns a Store on pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Seed has no demo data of its own: the numbers come from events.
func Seed(context.Context, *pgxpool.Pool) error { return nil }

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
// counts once, and a batch costs one commit and two round trips (the
// inserts, then the rollup changes summed per day).
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
		r := newRollup()
		for _, l := range batch {
			tag, err := res.Exec()
			if err != nil {
				res.Close()
				return err
			}
			if tag.RowsAffected() == 1 {
				inserted++
				r.add(metrics.EffectOf(l.Event, l.SessionID))
			}
		}
		if err := res.Close(); err != nil {
			return err
		}
		return r.write(ctx, tx)
	})
	if err != nil {
		return 0, fmt.Errorf("ingest: %w", err)
	}
	return inserted, nil
}

// rollup sums effects per rollup row before they are written, so many
// events cost one upsert per (day, currency), (day, counter) and session step.
type rollup struct {
	sales   map[salesKey]metrics.Effect
	traffic map[trafficKey]int
	steps   map[metrics.Effect]bool // Day, SessionID, Step
}

type salesKey struct {
	day      time.Time
	currency string
}

type trafficKey struct {
	day    time.Time
	column string
}

func newRollup() *rollup {
	return &rollup{sales: map[salesKey]metrics.Effect{}, traffic: map[trafficKey]int{}, steps: map[metrics.Effect]bool{}}
}

func (r *rollup) add(fx metrics.Effect) {
	if fx.Orders != 0 || fx.RevenueMinor != 0 || fx.Units != 0 || fx.RefundsMinor != 0 {
		k := salesKey{fx.Day, fx.Currency}
		sum := r.sales[k]
		sum.Orders += fx.Orders
		sum.RevenueMinor += fx.RevenueMinor
		sum.Units += fx.Units
		sum.RefundsMinor += fx.RefundsMinor
		r.sales[k] = sum
	}
	if fx.Traffic != "" {
		r.traffic[trafficKey{fx.Day, fx.Traffic}]++
	}
	if fx.Step != "" {
		r.steps[metrics.Effect{Day: fx.Day, SessionID: fx.SessionID, Step: fx.Step}] = true
	}
}

// write adds the sums to the rollup tables in one round trip.
func (r *rollup) write(ctx context.Context, tx pgx.Tx) error {
	b := &pgx.Batch{}
	for k, v := range r.sales {
		b.Queue(`INSERT INTO sales_daily (day, currency, orders, revenue_minor, units, refunds_minor)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (day, currency) DO UPDATE SET orders = sales_daily.orders + $3,
revenue_minor = sales_daily.revenue_minor + $4, units = sales_daily.units + $5, refunds_minor = sales_daily.refunds_minor + $6`,
			k.day, k.currency, v.Orders, v.RevenueMinor, v.Units, v.RefundsMinor)
	}
	for k, n := range r.traffic {
		// The column comes from a fixed list in metrics.EffectOf, never from input.
		b.Queue(`INSERT INTO traffic_daily (day, `+k.column+`) VALUES ($1, $2)
ON CONFLICT (day) DO UPDATE SET `+k.column+` = traffic_daily.`+k.column+` + $2`, k.day, n)
	}
	for k := range r.steps {
		b.Queue(`INSERT INTO session_steps (day, session_id, step) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, k.Day, k.SessionID, k.Step)
	}
	if b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, b).Close()
}

// Backfill rebuilds every rollup from the event log with the same rule
// as ingestion (metrics.EffectOf and the same summing), so the numbers come
// out the same. The log is streamed; memory holds the sums per day and the
// distinct session steps.
func (s *Store) Backfill(ctx context.Context) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, type, source, occurred_at, session_id, payload FROM events ORDER BY occurred_at, id`)
		if err != nil {
			return err
		}
		r := newRollup()
		for rows.Next() {
			var e events.Event
			var session string
			if err := rows.Scan(&e.ID, &e.Type, &e.Source, &e.OccurredAt, &session, &e.Payload); err != nil {
				rows.Close()
				return err
			}
			n++
			r.add(metrics.EffectOf(e, session))
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `TRUNCATE sales_daily, traffic_daily, session_steps`); err != nil {
			return err
		}
		return r.write(ctx, tx)
	})
	if err != nil {
		return 0, fmt.Errorf("backfill: %w", err)
	}
	return n, nil
}

// Sales is the sales series of currency over r in buckets.
func (s *Store) Sales(ctx context.Context, r metrics.Range, bucket, currency string) ([]metrics.SalesPoint, error) {
	rows, err := s.pool.Query(ctx, `
SELECT date_trunc($1, day::timestamptz AT TIME ZONE 'UTC') AS start, sum(orders), sum(revenue_minor), sum(units), sum(refunds_minor)
FROM sales_daily WHERE day BETWEEN $2 AND $3 AND currency = $4 GROUP BY start ORDER BY start`, bucket, r.From, r.To, currency)
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

// Traffic is the traffic series over r in buckets; sessions are distinct
// per bucket.
func (s *Store) Traffic(ctx context.Context, r metrics.Range, bucket string) ([]metrics.TrafficPoint, error) {
	rows, err := s.pool.Query(ctx, `
WITH t AS (
  SELECT date_trunc($1, day::timestamptz AT TIME ZONE 'UTC') AS start, sum(page_views) pv, sum(product_views) prv, sum(searches) s
  FROM traffic_daily WHERE day BETWEEN $2 AND $3 GROUP BY start
), ss AS (
  SELECT date_trunc($1, day::timestamptz AT TIME ZONE 'UTC') AS start, count(DISTINCT session_id) n
  FROM session_steps WHERE day BETWEEN $2 AND $3 GROUP BY start
)
SELECT t.start, coalesce(ss.n, 0), t.pv, t.prv, t.s FROM t LEFT JOIN ss USING (start) ORDER BY t.start`, bucket, r.From, r.To)
	if err != nil {
		return nil, fmt.Errorf("traffic: %w", err)
	}
	ps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (metrics.TrafficPoint, error) {
		var p metrics.TrafficPoint
		err := row.Scan(&p.Start, &p.Sessions, &p.PageViews, &p.ProductViews, &p.Searches)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("traffic: %w", err)
	}
	return ps, nil
}

// Funnel counts sessions per step over r.
func (s *Store) Funnel(ctx context.Context, r metrics.Range) (metrics.Funnel, error) {
	var f metrics.Funnel
	err := s.pool.QueryRow(ctx, `SELECT
  count(DISTINCT session_id) FILTER (WHERE step = 'VISIT'), count(DISTINCT session_id) FILTER (WHERE step = 'VIEW'),
  count(DISTINCT session_id) FILTER (WHERE step = 'CART'), count(DISTINCT session_id) FILTER (WHERE step = 'CHECKOUT'),
  count(DISTINCT session_id) FILTER (WHERE step = 'ORDER')
FROM session_steps WHERE day BETWEEN $1 AND $2`, r.From, r.To).Scan(&f.Visits, &f.Views, &f.Carts, &f.Checkouts, &f.Orders)
	if err != nil {
		return metrics.Funnel{}, fmt.Errorf("funnel: %w", err)
	}
	return f, nil
}

// ExportEvents streams the log over [from, to) to row, in order, one row
// in memory at a time.
func (s *Store) ExportEvents(ctx context.Context, from, to time.Time, row func(id, typ, source string, at time.Time, session, payload string) error) error {
	rows, err := s.pool.Query(ctx, `SELECT id, type, source, occurred_at, session_id, payload::text FROM events
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
	return rows.Err()
}

// Dashboard is a staff member's saved set of widgets.
type Dashboard struct {
	ID, Owner, Name string
	Widgets         json.RawMessage
	UpdatedAt       time.Time
}

// SaveDashboard creates or updates one of owner's dashboards; false when
// the id belongs to someone else.
func (s *Store) SaveDashboard(ctx context.Context, d Dashboard) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO dashboards (id, owner, name, widgets) VALUES ($1, $2, $3, $4)
ON CONFLICT (id) DO UPDATE SET name = $3, widgets = $4, updated_at = now() WHERE dashboards.owner = $2`, d.ID, d.Owner, d.Name, d.Widgets)
	if err != nil {
		return false, fmt.Errorf("save dashboard: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// Dashboards lists owner's dashboards.
func (s *Store) Dashboards(ctx context.Context, owner string) ([]Dashboard, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, owner, name, widgets, updated_at FROM dashboards WHERE owner = $1 ORDER BY id`, owner)
	if err != nil {
		return nil, fmt.Errorf("dashboards: %w", err)
	}
	ds, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Dashboard, error) {
		var d Dashboard
		err := row.Scan(&d.ID, &d.Owner, &d.Name, &d.Widgets, &d.UpdatedAt)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("dashboards: %w", err)
	}
	return ds, nil
}
