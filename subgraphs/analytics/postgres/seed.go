package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/myshop/supergraph/subgraphs/demo"
	"github.com/myshop/supergraph/subgraphs/platform/postgres"
)

// Seed writes the demo world's event log as the stream and the storefront
// would have filled it: every event the users, orders, payments and
// inventory services published for the world (demo.OrderEvents and the
// rest: the same ids, so the real events, if a relay publishes them later,
// are repeats), and every behaviour event of its shopping sessions, as
// trackEvents logs it. The rollups are then rebuilt from the log by
// Backfill, with ingestion's rules, so the numbers are the ones live
// ingestion would have reached. The marketing and finance staff get a
// dashboard each, finance a weekly sales report. A database that holds a
// world already keeps it (postgres.Seeded); below that, events already
// logged are kept, and the rebuild counts each once.
func Seed(ctx context.Context, pool *pgxpool.Pool, w *demo.World) error {
	if len(w.Orders) == 0 { // a catalog-only world: nothing happened yet
		return nil
	}
	if seeded, err := postgres.Seeded(ctx, pool, "events", demo.PlacedEventID(w.Orders[0].ID)); err != nil || seeded {
		return err
	}
	err := postgres.CopyTables(ctx, pool, staffTables(w), func(tx pgx.Tx) error { return copyEvents(ctx, tx, w) })
	if err != nil {
		return fmt.Errorf("seed analytics: %w", err)
	}
	if _, err := New(pool).Backfill(ctx); err != nil {
		return fmt.Errorf("seed analytics: %w", err)
	}
	if err := postgres.Analyze(ctx, pool, "events", "sales_hourly", "product_sales_hourly", "category_sales_hourly", "traffic_hourly",
		"sessions_hourly", "visitors_hourly", "session_steps", "customer_orders_hourly", "customer_first_orders"); err != nil {
		return fmt.Errorf("seed analytics: analyze: %w", err)
	}
	return nil
}

var eventColumns = []string{"id", "type", "source", "occurred_at", "session_id", "user_id", "payload"}

// copyEvents streams the log into events through a temporary table (a
// scale-50 world has 1.8 million events: they are made one at a time as
// COPY asks, never all held).
func copyEvents(ctx context.Context, tx pgx.Tx, w *demo.World) error {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE seed_events ON COMMIT DROP AS
SELECT id, type, source, occurred_at, session_id, user_id, payload FROM events WITH NO DATA`); err != nil {
		return fmt.Errorf("seed events: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"seed_events"}, eventColumns, pgx.CopyFromFunc(eventRows(w))); err != nil {
		return fmt.Errorf("seed events: copy: %w", err)
	}
	_, err := tx.Exec(ctx, `INSERT INTO events (id, type, source, occurred_at, session_id, user_id, payload)
SELECT id, type, source, occurred_at, session_id, user_id, payload FROM seed_events ON CONFLICT (id) DO NOTHING`)
	if err != nil {
		return fmt.Errorf("seed events: insert: %w", err)
	}
	return nil
}

// eventRows yields the world's log one row at a time: accounts and stock
// alerts, every order's events, then the sessions' behaviour events.
func eventRows(w *demo.World) func() ([]any, error) {
	queue := append(w.AccountEvents(), w.LowStockEvents()...)
	order, session, behaviour := 0, 0, 0
	return func() ([]any, error) {
		for len(queue) == 0 && order < len(w.Orders) {
			queue = w.OrderEvents(&w.Orders[order])
			order++
		}
		if len(queue) > 0 {
			e := queue[0]
			queue = queue[1:]
			return domainRow(e)
		}
		for session < len(w.Sessions) {
			s := &w.Sessions[session]
			if behaviour < len(s.Events) {
				b := s.Events[behaviour]
				behaviour++
				return behaviourRow(s, b)
			}
			session, behaviour = session+1, 0
		}
		return nil, nil
	}
}

// domainRow is a stream event as the analytics consumer logs it: the user
// and session it is about are read from the payload, and no service puts
// a session id in one (the orders subgraph does not keep the checkout's
// session), so order events count in the funnel's last step only when
// that changes.
func domainRow(e demo.Event) ([]any, error) {
	payload, err := json.Marshal(e.Payload)
	if err != nil {
		return nil, fmt.Errorf("event %s: %w", e.ID, err)
	}
	user, _ := e.Payload["userId"].(string)
	session, _ := e.Payload["sessionId"].(string)
	return []any{e.ID, e.Type, e.Source, e.At, session, user, payload}, nil
}

// behaviourRow is a storefront event as trackEvents logs it: the client's
// id namespaced by its session, the signed-in shopper (if any) as the
// user, and the channel and visitor id in the payload.
func behaviourRow(s *demo.Session, b demo.Behaviour) ([]any, error) {
	payload, err := json.Marshal(b.Payload)
	if err != nil {
		return nil, fmt.Errorf("event %s: %w", b.ID, err)
	}
	return []any{"trk_" + s.ID + "_" + b.ID, b.Type, "storefront", b.At, s.ID, s.UserID, payload}, nil
}

// staffTables are the demo staff's analytics: a storefront dashboard for
// marketing, a revenue dashboard and a weekly sales report for finance.
func staffTables(w *demo.World) []postgres.Table {
	type widget struct {
		Metric    string `json:"metric"`
		RangeDays int    `json:"rangeDays"`
		Bucket    string `json:"bucket"`
		Chart     string `json:"chart"`
	}
	dashboards := postgres.Table{Name: "dashboards", Cols: []string{"id", "owner", "name", "widgets", "updated_at"}}
	add := func(role, name string, widgets ...widget) {
		b, _ := json.Marshal(widgets) // plain structs: cannot fail
		dashboards.Add("dsh_demo_"+role, demo.StaffID(role), name, b, w.Until)
	}
	add("marketing", "Storefront, last 30 days",
		widget{"TRAFFIC", 30, "DAY", "LINE"}, widget{"FUNNEL", 30, "DAY", "BAR"},
		widget{"PRODUCTS", 30, "DAY", "BAR"}, widget{"CUSTOMERS", 90, "WEEK", "LINE"})
	add("finance", "Revenue",
		widget{"SALES", 30, "DAY", "NUMBER"}, widget{"SALES", 90, "WEEK", "LINE"}, widget{"CUSTOMERS", 30, "DAY", "NUMBER"})
	schedules := postgres.Table{Name: "report_schedules", Cols: []string{"id", "owner", "kind", "range_days", "bucket", "currency", "every",
		"next_run_at"}}
	// Weekly, on the Monday after the history at 06:00 UTC.
	days := (8 - int(w.Until.Weekday())) % 7
	if days == 0 {
		days = 7
	}
	next := w.Until.Truncate(24*time.Hour).AddDate(0, 0, days).Add(6 * time.Hour)
	schedules.Add("rsc_demo_finance_weekly", demo.StaffID("finance"), "SALES", 7, "day", "USD", "WEEKLY", next)
	return []postgres.Table{dashboards, schedules}
}
