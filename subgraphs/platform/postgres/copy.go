package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Table is rows for one table, each in Cols' order: what a demo seed
// writes.
type Table struct {
	Name string
	Cols []string
	Rows [][]any
}

// Add appends one row.
func (t *Table) Add(row ...any) { t.Rows = append(t.Rows, row) }

// CopyTables bulk-loads tables in order, in one transaction without the
// request timeouts: each goes through COPY into a temporary table and
// then INSERT … ON CONFLICT DO NOTHING, so it is fast at any scale and a
// second run changes nothing (rows already there, by key, are kept as
// they are). then, when not nil, runs in the same transaction after the
// copies: for rows derived from them.
func CopyTables(ctx context.Context, pool *pgxpool.Pool, tables []Table, then func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
			return fmt.Errorf("lift statement_timeout: %w", err)
		}
		for _, t := range tables {
			if err := copyIn(ctx, tx, t); err != nil {
				return err
			}
		}
		if then != nil {
			return then(tx)
		}
		return nil
	})
}

func copyIn(ctx context.Context, tx pgx.Tx, t Table) error {
	if len(t.Rows) == 0 {
		return nil
	}
	tmp := "seed_" + t.Name
	list := strings.Join(t.Cols, ", ")
	if _, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TEMP TABLE %s ON COMMIT DROP AS SELECT %s FROM %s WITH NO DATA`, tmp, list, t.Name)); err != nil {
		return fmt.Errorf("seed %s: %w", t.Name, err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{tmp}, t.Cols, pgx.CopyFromRows(t.Rows)); err != nil {
		return fmt.Errorf("seed %s: copy: %w", t.Name, err)
	}
	if _, err := tx.Exec(ctx, fmt.Sprintf(`INSERT INTO %s (%s) SELECT %s FROM %s ON CONFLICT DO NOTHING`, t.Name, list, list, tmp)); err != nil {
		return fmt.Errorf("seed %s: insert: %w", t.Name, err)
	}
	return nil
}

// Analyze refreshes the planner's statistics of tables after a bulk load:
// autovacuum has not got to them yet, and plans chosen on an empty
// table's statistics ignore the indexes that make them fast.
func Analyze(ctx context.Context, pool *pgxpool.Pool, tables ...string) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `ANALYZE `+strings.Join(tables, ", "))
		return err
	})
}

// Seeded tells whether a demo world was written here already, by the row
// with id in table that every world has. A database holds one world:
// worlds of another scale or another day reuse the same ids for other
// things, so writing a second over the first would mix them (demogen
// -reset makes room for another).
func Seeded(ctx context.Context, pool *pgxpool.Pool, table, id string) (bool, error) {
	var seeded bool
	err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+pgx.Identifier{table}.Sanitize()+` WHERE id = $1)`, id).Scan(&seeded)
	if err != nil {
		return false, fmt.Errorf("look for demo data in %s: %w", table, err)
	}
	return seeded, nil
}
