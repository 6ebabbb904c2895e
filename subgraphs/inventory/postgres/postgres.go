// Package postgres is the inventory store: the only package that knows its
// SQL. Every change to a stock level goes through applyDelta, which writes
// the movement that explains it.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/myshop/supergraph/subgraphs/inventory/stock"
	"github.com/myshop/supergraph/subgraphs/platform/outbox"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations are the inventory database's goose migrations.
var Migrations, _ = fs.Sub(migrations, "migrations")

// Store reads and writes inventory.
type Store struct{ pool *pgxpool.Pool }

// New returns a Store on pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

var _ stock.Store = (*Store)(nil)

const levelColumns = `s.warehouse_id, s.variant_id, s.on_hand, s.allocated, s.reserved, s.low_stock_threshold, w.priority`

func scanLevel(row pgx.CollectableRow) (stock.Level, error) {
	var l stock.Level
	err := row.Scan(&l.WarehouseID, &l.VariantID, &l.OnHand, &l.Allocated, &l.Reserved, &l.LowStockThreshold, &l.Priority)
	return l, err
}

// Levels returns the levels of these variants in active warehouses.
func (s *Store) Levels(ctx context.Context, variantIDs []string) ([]stock.Level, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+levelColumns+` FROM stock s JOIN warehouses w ON w.id = s.warehouse_id AND w.active
WHERE s.variant_id = ANY($1) ORDER BY s.variant_id, w.priority, s.warehouse_id`, variantIDs)
	if err != nil {
		return nil, fmt.Errorf("levels: %w", err)
	}
	ls, err := pgx.CollectRows(rows, scanLevel)
	if err != nil {
		return nil, fmt.Errorf("levels: %w", err)
	}
	return ls, nil
}

// Reserve: see stock.Store. Rows are locked in (variant, warehouse) order,
// the same order for every transaction, so concurrent checkouts queue
// instead of deadlocking.
func (s *Store) Reserve(ctx context.Context, r stock.Reservation, country string, needs map[string]int,
	allocate func([]stock.Level) ([]stock.Line, error), actor string, key stock.Key) (stock.Reservation, error) {
	var replayID string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if replayID, err = claimKey(ctx, tx, actor, key, r.ID); err != nil || replayID != "" {
			return err
		}
		variants := make([]string, 0, len(needs))
		for v := range needs {
			variants = append(variants, v)
		}
		sort.Strings(variants)
		rows, err := tx.Query(ctx, `SELECT `+levelColumns+` FROM stock s JOIN warehouses w ON w.id = s.warehouse_id AND w.active
WHERE s.variant_id = ANY($1) AND ($2 = '' OR $2 = ANY(w.countries))
ORDER BY s.variant_id, s.warehouse_id FOR UPDATE OF s`, variants, country)
		if err != nil {
			return err
		}
		levels, err := pgx.CollectRows(rows, scanLevel)
		if err != nil {
			return err
		}
		lines, err := allocate(levels)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO reservations (id, reference, status, expires_at) VALUES ($1, $2, 'ACTIVE', $3)`,
			r.ID, r.Reference, r.ExpiresAt); err != nil {
			return err
		}
		for _, l := range lines {
			if _, err := tx.Exec(ctx, `INSERT INTO reservation_lines (reservation_id, warehouse_id, variant_id, quantity) VALUES ($1, $2, $3, $4)`,
				r.ID, l.WarehouseID, l.VariantID, l.Quantity); err != nil {
				return err
			}
			if err := applyDelta(ctx, tx, delta{l.WarehouseID, l.VariantID, 0, 0, l.Quantity, "RESERVATION", "checkout " + r.Reference, actor, r.ID}); err != nil {
				return err
			}
		}
		r.Lines = lines
		return checkAlerts(ctx, tx, lines)
	})
	if err != nil {
		return stock.Reservation{}, wrap("reserve", err)
	}
	if replayID != "" {
		rs, err := s.ReservationsByIDs(ctx, []string{replayID})
		if err != nil || len(rs) == 0 {
			return stock.Reservation{}, errors.Join(errors.New("replayed reservation vanished"), err)
		}
		return rs[0], nil
	}
	return r, nil
}

// Move: see stock.Store.
func (s *Store) Move(ctx context.Context, id string, from []stock.Status, to stock.Status, actor string) (stock.Reservation, error) {
	var r stock.Reservation
	lapsed := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var expired bool
		err := tx.QueryRow(ctx, `SELECT id, reference, status, expires_at, expires_at <= now() FROM reservations WHERE id = $1 FOR UPDATE`, id).
			Scan(&r.ID, &r.Reference, &r.Status, &r.ExpiresAt, &expired)
		if errors.Is(err, pgx.ErrNoRows) {
			return stock.ErrNotFound
		}
		if err != nil {
			return err
		}
		if r.Status == stock.Active && expired && to == stock.Converted {
			// The sweeper has not come by yet, but the hold is over: expire
			// it now rather than sell units that may be promised elsewhere.
			lapsed = true
			to = stock.Expired
		} else if !contains(from, r.Status) {
			return stock.ErrWrongStatus
		}
		if r.Lines, err = reservationLines(ctx, tx, id); err != nil {
			return err
		}
		if err := moveLines(ctx, tx, r, to, actor); err != nil {
			return err
		}
		r.Status = to
		return outbox.Record(ctx, tx, "inventory.reservation_"+strings.ToLower(string(to)), map[string]any{"reservationId": r.ID, "reference": r.Reference})
	})
	if err != nil {
		return r, wrap("move reservation", err)
	}
	if lapsed {
		return r, stock.ErrWrongStatus
	}
	return r, nil
}

// moveLines writes the movements of a status change. A converted
// reservation that shipped in part releases or ships only what has not
// shipped yet.
func moveLines(ctx context.Context, tx pgx.Tx, r stock.Reservation, to stock.Status, actor string) error {
	for _, l := range r.Lines {
		d := delta{warehouse: l.WarehouseID, variant: l.VariantID, actor: actor, reference: r.ID}
		q := l.Quantity
		switch {
		case r.Status == stock.Active && to == stock.Converted:
			d.reserved, d.allocated, d.kind = -q, q, "ALLOCATION"
		case r.Status == stock.Active && (to == stock.Released || to == stock.Expired):
			d.reserved, d.kind, d.reason = -q, "RELEASE", strings.ToLower(string(to))
		case r.Status == stock.Converted && to == stock.Released:
			q -= l.Fulfilled
			d.allocated, d.kind, d.reason = -q, "RELEASE", "order canceled"
		case r.Status == stock.Converted && to == stock.Fulfilled:
			q -= l.Fulfilled
			d.allocated, d.onHand, d.kind, d.reason = -q, -q, "SALE", "shipped"
		default:
			return fmt.Errorf("no move from %s to %s", r.Status, to)
		}
		if q == 0 {
			continue
		}
		if err := applyDelta(ctx, tx, d); err != nil {
			return err
		}
	}
	if to == stock.Fulfilled {
		if _, err := tx.Exec(ctx, `UPDATE reservation_lines SET fulfilled = quantity WHERE reservation_id = $1`, r.ID); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE reservations SET status = $2 WHERE id = $1`, r.ID, string(to)); err != nil {
		return err
	}
	return checkAlerts(ctx, tx, r.Lines)
}

// UpdateReservation: see stock.Store. The key is claimed before the
// reservation is locked, so a concurrent repeat waits on the key's row and
// then replays instead of shipping twice.
func (s *Store) UpdateReservation(ctx context.Context, id, actor string, key stock.Key, change func(*stock.Reservation) error) (stock.Reservation, error) {
	var stored stock.Reservation
	var refused error
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		replay, err := claimKey(ctx, tx, actor, key, id)
		if err != nil || replay != "" {
			return err
		}
		err = tx.QueryRow(ctx, `SELECT id, reference, status, expires_at FROM reservations WHERE id = $1 FOR UPDATE`, id).
			Scan(&stored.ID, &stored.Reference, &stored.Status, &stored.ExpiresAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return stock.ErrNotFound
		}
		if err != nil {
			return err
		}
		if stored.Lines, err = reservationLines(ctx, tx, id); err != nil {
			return err
		}
		r := stored
		r.Lines = slices.Clone(stored.Lines)
		if refused = change(&r); refused != nil {
			return refused
		}
		return recordShipping(ctx, tx, stored, r, actor)
	})
	if refused != nil {
		return stored, refused
	}
	if err != nil {
		return stored, wrap("update reservation", err)
	}
	rs, err := s.ReservationsByIDs(ctx, []string{id})
	if err != nil || len(rs) == 0 {
		return stored, errors.Join(errors.New("reservation vanished"), err)
	}
	return rs[0], nil
}

// recordShipping writes what a change from before to after shipped. It
// refuses any other change (lines unshipped or replaced, another status):
// those have movements of their own (Move).
func recordShipping(ctx context.Context, tx pgx.Tx, before, after stock.Reservation, actor string) error {
	if len(after.Lines) != len(before.Lines) ||
		(after.Status != before.Status && (before.Status != stock.Converted || after.Status != stock.Fulfilled)) {
		return fmt.Errorf("reservation %s: only shipping is recorded here, not %s → %s", before.ID, before.Status, after.Status)
	}
	for i, l := range after.Lines {
		b := before.Lines[i]
		q := l.Fulfilled - b.Fulfilled
		if l.WarehouseID != b.WarehouseID || l.VariantID != b.VariantID || l.Quantity != b.Quantity || q < 0 || l.Fulfilled > l.Quantity {
			return fmt.Errorf("reservation %s: line %s@%s changed other than by shipping", before.ID, b.VariantID, b.WarehouseID)
		}
		if q == 0 {
			continue
		}
		if err := applyDelta(ctx, tx, delta{l.WarehouseID, l.VariantID, -q, -q, 0, "SALE", "shipped", actor, after.ID}); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE reservation_lines SET fulfilled = $4 WHERE reservation_id = $1 AND warehouse_id = $2 AND variant_id = $3`,
			after.ID, l.WarehouseID, l.VariantID, l.Fulfilled); err != nil {
			return err
		}
	}
	if after.Status != before.Status {
		if _, err := tx.Exec(ctx, `UPDATE reservations SET status = $2 WHERE id = $1`, after.ID, string(after.Status)); err != nil {
			return err
		}
		if err := outbox.Record(ctx, tx, "inventory.reservation_fulfilled", map[string]any{"reservationId": after.ID, "reference": after.Reference}); err != nil {
			return err
		}
	}
	return checkAlerts(ctx, tx, after.Lines)
}

// ExpireDue releases active reservations past their expiry, a batch at a
// time; SKIP LOCKED lets several sweepers (replicas) share the work.
func (s *Store) ExpireDue(ctx context.Context, now time.Time) (int, error) {
	total := 0
	for {
		n := 0
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, `SELECT id, reference, status, expires_at FROM reservations
WHERE status = 'ACTIVE' AND expires_at <= $1 ORDER BY expires_at LIMIT 100 FOR UPDATE SKIP LOCKED`, now)
			if err != nil {
				return err
			}
			due, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (stock.Reservation, error) {
				var r stock.Reservation
				err := row.Scan(&r.ID, &r.Reference, &r.Status, &r.ExpiresAt)
				return r, err
			})
			if err != nil {
				return err
			}
			for _, r := range due {
				if r.Lines, err = reservationLines(ctx, tx, r.ID); err != nil {
					return err
				}
				if err := moveLines(ctx, tx, r, stock.Expired, "sweeper"); err != nil {
					return err
				}
				if err := outbox.Record(ctx, tx, "inventory.reservation_expired", map[string]any{"reservationId": r.ID, "reference": r.Reference}); err != nil {
					return err
				}
			}
			n = len(due)
			return nil
		})
		if err != nil {
			return total, wrap("expire reservations", err)
		}
		total += n
		if n < 100 {
			return total, nil
		}
	}
}

// Adjust: see stock.Store.
func (s *Store) Adjust(ctx context.Context, warehouseID, variantID string, d int, reason, actor string, key stock.Key) (stock.Level, error) {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		replay, err := claimKey(ctx, tx, actor, key, "adjustment")
		if err != nil || replay != "" {
			return err
		}
		if err := ensureLevel(ctx, tx, warehouseID, variantID); err != nil {
			return err
		}
		kind := "ADJUSTMENT"
		if err := applyDelta(ctx, tx, delta{warehouseID, variantID, d, 0, 0, kind, reason, actor, ""}); err != nil {
			return err
		}
		return checkAlerts(ctx, tx, []stock.Line{{WarehouseID: warehouseID, VariantID: variantID}})
	})
	if err != nil {
		return stock.Level{}, wrap("adjust", err)
	}
	return s.level(ctx, warehouseID, variantID)
}

// Transfer moves units between warehouses as two TRANSFER movements.
func (s *Store) Transfer(ctx context.Context, from, to, variantID string, qty int, actor string, key stock.Key) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		replay, err := claimKey(ctx, tx, actor, key, "transfer")
		if err != nil || replay != "" {
			return err
		}
		if err := ensureLevel(ctx, tx, to, variantID); err != nil {
			return err
		}
		// Lock both rows in a fixed order.
		first, second := from, to
		if second < first {
			first, second = second, first
		}
		if _, err := tx.Exec(ctx, `SELECT 1 FROM stock WHERE variant_id = $1 AND warehouse_id IN ($2, $3) ORDER BY warehouse_id FOR UPDATE`,
			variantID, first, second); err != nil {
			return err
		}
		ref := "transfer " + from + " → " + to
		if err := applyDelta(ctx, tx, delta{from, variantID, -qty, 0, 0, "TRANSFER", ref, actor, key.Value}); err != nil {
			return err
		}
		if err := applyDelta(ctx, tx, delta{to, variantID, qty, 0, 0, "TRANSFER", ref, actor, key.Value}); err != nil {
			return err
		}
		return checkAlerts(ctx, tx, []stock.Line{{WarehouseID: from, VariantID: variantID}, {WarehouseID: to, VariantID: variantID}})
	})
	return wrap("transfer", err)
}

// SetThreshold sets a level's low-stock threshold and re-checks its alert.
func (s *Store) SetThreshold(ctx context.Context, warehouseID, variantID string, threshold int) (stock.Level, error) {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := ensureLevel(ctx, tx, warehouseID, variantID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE stock SET low_stock_threshold = $3 WHERE warehouse_id = $1 AND variant_id = $2`,
			warehouseID, variantID, threshold); err != nil {
			return err
		}
		return checkAlerts(ctx, tx, []stock.Line{{WarehouseID: warehouseID, VariantID: variantID}})
	})
	if err != nil {
		return stock.Level{}, wrap("set threshold", err)
	}
	return s.level(ctx, warehouseID, variantID)
}

func (s *Store) level(ctx context.Context, warehouseID, variantID string) (stock.Level, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+levelColumns+` FROM stock s JOIN warehouses w ON w.id = s.warehouse_id
WHERE s.warehouse_id = $1 AND s.variant_id = $2`, warehouseID, variantID)
	if err != nil {
		return stock.Level{}, fmt.Errorf("level: %w", err)
	}
	l, err := pgx.CollectExactlyOneRow(rows, scanLevel)
	if err != nil {
		return stock.Level{}, fmt.Errorf("level: %w", err)
	}
	return l, nil
}

// ReservationsByIDs returns reservations with their lines.
func (s *Store) ReservationsByIDs(ctx context.Context, ids []string) ([]stock.Reservation, error) {
	rows, err := s.pool.Query(ctx, `
SELECT r.id, r.reference, r.status, r.expires_at,
       coalesce(array_agg(l.warehouse_id ORDER BY l.variant_id, l.warehouse_id) FILTER (WHERE l.reservation_id IS NOT NULL), '{}'),
       coalesce(array_agg(l.variant_id ORDER BY l.variant_id, l.warehouse_id) FILTER (WHERE l.reservation_id IS NOT NULL), '{}'),
       coalesce(array_agg(l.quantity ORDER BY l.variant_id, l.warehouse_id) FILTER (WHERE l.reservation_id IS NOT NULL), '{}'),
       coalesce(array_agg(l.fulfilled ORDER BY l.variant_id, l.warehouse_id) FILTER (WHERE l.reservation_id IS NOT NULL), '{}')
FROM reservations r LEFT JOIN reservation_lines l ON l.reservation_id = r.id
WHERE r.id = ANY($1) GROUP BY r.id`, ids)
	if err != nil {
		return nil, fmt.Errorf("reservations: %w", err)
	}
	rs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (stock.Reservation, error) {
		var r stock.Reservation
		var whs, vs []string
		var qs, fs []int32
		if err := row.Scan(&r.ID, &r.Reference, &r.Status, &r.ExpiresAt, &whs, &vs, &qs, &fs); err != nil {
			return r, err
		}
		for i := range whs {
			r.Lines = append(r.Lines, stock.Line{WarehouseID: whs[i], VariantID: vs[i], Quantity: int(qs[i]), Fulfilled: int(fs[i])})
		}
		return r, nil
	})
	if err != nil {
		return nil, fmt.Errorf("reservations: %w", err)
	}
	return rs, nil
}

// Alerts lists low-stock alerts, newest first.
func (s *Store) Alerts(ctx context.Context, openOnly bool) ([]stock.Alert, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, warehouse_id, variant_id, available, threshold, raised_at, cleared_at
FROM low_stock_alerts WHERE NOT $1 OR cleared_at IS NULL ORDER BY id DESC LIMIT 500`, openOnly)
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	as, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (stock.Alert, error) {
		var a stock.Alert
		err := row.Scan(&a.ID, &a.WarehouseID, &a.VariantID, &a.Available, &a.Threshold, &a.RaisedAt, &a.ClearedAt)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	return as, nil
}

// Movements lists a level's movements, newest first.
func (s *Store) Movements(ctx context.Context, warehouseID, variantID string, limit int) ([]stock.Movement, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, warehouse_id, variant_id, kind, on_hand_delta, allocated_delta, reserved_delta,
reason, actor, reference, created_at FROM movements WHERE warehouse_id = $1 AND variant_id = $2 ORDER BY id DESC LIMIT $3`,
		warehouseID, variantID, limit)
	if err != nil {
		return nil, fmt.Errorf("movements: %w", err)
	}
	ms, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (stock.Movement, error) {
		var m stock.Movement
		err := row.Scan(&m.ID, &m.WarehouseID, &m.VariantID, &m.Kind, &m.OnHandDelta, &m.AllocatedDelta, &m.ReservedDelta,
			&m.Reason, &m.Actor, &m.Reference, &m.CreatedAt)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("movements: %w", err)
	}
	return ms, nil
}

// delta is one change to a level and the movement that records it.
type delta struct {
	warehouse, variant          string
	onHand, allocated, reserved int
	kind, reason, actor         string
	reference                   string
}

// applyDelta changes a level and records the movement. The table's CHECKs
// (nothing negative, never more committed than on hand) turn an impossible
// change into ErrBelowCommitted, whoever attempts it.
func applyDelta(ctx context.Context, tx pgx.Tx, d delta) error {
	_, err := tx.Exec(ctx, `UPDATE stock SET on_hand = on_hand + $3, allocated = allocated + $4, reserved = reserved + $5
WHERE warehouse_id = $1 AND variant_id = $2`, d.warehouse, d.variant, d.onHand, d.allocated, d.reserved)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO movements (warehouse_id, variant_id, kind, on_hand_delta, allocated_delta, reserved_delta, reason, actor, reference)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, d.warehouse, d.variant, d.kind, d.onHand, d.allocated, d.reserved, d.reason, d.actor, d.reference)
	return err
}

// ensureLevel creates an empty level for a variant new to a warehouse.
func ensureLevel(ctx context.Context, tx pgx.Tx, warehouseID, variantID string) error {
	_, err := tx.Exec(ctx, `INSERT INTO stock (warehouse_id, variant_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, warehouseID, variantID)
	return err
}

// checkAlerts raises an alert for each of these levels that is now at or
// below its threshold and has none open (one alert per crossing, not one
// per sale), and clears open ones that are back above it.
func checkAlerts(ctx context.Context, tx pgx.Tx, lines []stock.Line) error {
	whs := make([]string, len(lines))
	vs := make([]string, len(lines))
	for i, l := range lines {
		whs[i], vs[i] = l.WarehouseID, l.VariantID
	}
	rows, err := tx.Query(ctx, `
INSERT INTO low_stock_alerts (warehouse_id, variant_id, available, threshold)
SELECT s.warehouse_id, s.variant_id, s.on_hand - s.allocated - s.reserved, s.low_stock_threshold
FROM stock s JOIN unnest($1::text[], $2::text[]) AS k(wh, v) ON s.warehouse_id = k.wh AND s.variant_id = k.v
WHERE s.on_hand - s.allocated - s.reserved <= s.low_stock_threshold
ON CONFLICT (warehouse_id, variant_id) WHERE cleared_at IS NULL DO NOTHING
RETURNING warehouse_id, variant_id, available, threshold`, whs, vs)
	if err != nil {
		return err
	}
	raised, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (map[string]any, error) {
		var wh, v string
		var avail, thr int
		err := row.Scan(&wh, &v, &avail, &thr)
		return map[string]any{"warehouseId": wh, "variantId": v, "available": avail, "threshold": thr}, err
	})
	if err != nil {
		return err
	}
	for _, p := range raised {
		if err := outbox.Record(ctx, tx, "inventory.low_stock", p); err != nil {
			return err
		}
	}
	_, err = tx.Exec(ctx, `
UPDATE low_stock_alerts a SET cleared_at = now()
FROM stock s JOIN unnest($1::text[], $2::text[]) AS k(wh, v) ON s.warehouse_id = k.wh AND s.variant_id = k.v
WHERE a.cleared_at IS NULL AND a.warehouse_id = s.warehouse_id AND a.variant_id = s.variant_id
  AND s.on_hand - s.allocated - s.reserved > s.low_stock_threshold`, whs, vs)
	return err
}

// claimKey records (actor, key) for a request that will produce result.
// It returns the earlier result when the same request was made before,
// and ErrKeyReused when another request used the key. Concurrent equal
// requests queue on the key's row and the later one replays.
func claimKey(ctx context.Context, tx pgx.Tx, actor string, key stock.Key, result string) (string, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (actor, key, request_hash, result) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
		actor, key.Value, key.Hash, result)
	if err != nil || tag.RowsAffected() == 1 {
		return "", err
	}
	var hash, earlier string
	if err := tx.QueryRow(ctx, `SELECT request_hash, result FROM idempotency_keys WHERE actor = $1 AND key = $2`, actor, key.Value).
		Scan(&hash, &earlier); err != nil {
		return "", err
	}
	if hash != key.Hash {
		return "", stock.ErrKeyReused
	}
	return earlier, nil
}

func reservationLines(ctx context.Context, tx pgx.Tx, id string) ([]stock.Line, error) {
	rows, err := tx.Query(ctx, `SELECT warehouse_id, variant_id, quantity, fulfilled FROM reservation_lines WHERE reservation_id = $1
ORDER BY variant_id, warehouse_id`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (stock.Line, error) {
		var l stock.Line
		err := row.Scan(&l.WarehouseID, &l.VariantID, &l.Quantity, &l.Fulfilled)
		return l, err
	})
}

// wrap maps constraint failures to domain errors and wraps the rest.
func wrap(op string, err error) error {
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pgErr) && pgErr.Code == "23514": // check_violation
		return stock.ErrBelowCommitted
	case errors.As(err, &pgErr) && pgErr.Code == "23503": // foreign_key_violation: no such warehouse
		return stock.ErrNotFound
	case errors.Is(err, stock.ErrNotFound), errors.Is(err, stock.ErrWrongStatus), errors.Is(err, stock.ErrKeyReused),
		errors.Is(err, stock.ErrBelowCommitted), errors.Is(err, stock.ErrOverFulfil):
		return err
	}
	var ins *stock.ErrInsufficient
	if errors.As(err, &ins) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}

func contains(ss []stock.Status, s stock.Status) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
