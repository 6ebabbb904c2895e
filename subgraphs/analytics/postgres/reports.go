package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/myshop/supergraph/subgraphs/analytics/metrics"
)

// QueueReport stores a report request.
func (s *Store) QueueReport(ctx context.Context, r metrics.Report) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO reports (id, owner, kind, from_day, to_day, bucket, currency, status)
VALUES ($1, $2, $3, $4, $5, $6, $7, 'QUEUED')`, r.ID, r.Owner, r.Kind, r.From, r.To, r.Bucket, r.Currency)
	if err != nil {
		return fmt.Errorf("queue report: %w", err)
	}
	return nil
}

const reportColumns = `id, owner, kind, from_day, to_day, bucket, currency, status, progress, error, result, created_at, finished_at`

func scanReport(row pgx.CollectableRow) (metrics.Report, error) {
	var r metrics.Report
	err := row.Scan(&r.ID, &r.Owner, &r.Kind, &r.From, &r.To, &r.Bucket, &r.Currency, &r.Status, &r.Progress, &r.Error, &r.Result,
		&r.CreatedAt, &r.FinishedAt)
	return r, err
}

// Report returns one of owner's reports.
func (s *Store) Report(ctx context.Context, owner, id string) (metrics.Report, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+reportColumns+` FROM reports WHERE id = $1 AND owner = $2`, id, owner)
	if err != nil {
		return metrics.Report{}, fmt.Errorf("report: %w", err)
	}
	r, err := pgx.CollectExactlyOneRow(rows, scanReport)
	if errors.Is(err, pgx.ErrNoRows) {
		return metrics.Report{}, metrics.ErrNoReport
	}
	if err != nil {
		return metrics.Report{}, fmt.Errorf("report: %w", err)
	}
	return r, nil
}

// Reports lists owner's reports, newest first.
func (s *Store) Reports(ctx context.Context, owner string, limit int) ([]metrics.Report, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+reportColumns+` FROM reports WHERE owner = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, owner, limit)
	if err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	rs, err := pgx.CollectRows(rows, scanReport)
	if err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	return rs, nil
}

// ClaimReport takes the oldest queued report and marks it running; nil
// when there is none. SKIP LOCKED lets several workers share the queue.
func (s *Store) ClaimReport(ctx context.Context) (*metrics.Report, error) {
	rows, err := s.pool.Query(ctx, `UPDATE reports SET status = 'RUNNING', progress = 0
WHERE id = (SELECT id FROM reports WHERE status = 'QUEUED' ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING `+reportColumns)
	if err != nil {
		return nil, fmt.Errorf("claim report: %w", err)
	}
	r, err := pgx.CollectExactlyOneRow(rows, scanReport)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim report: %w", err)
	}
	return &r, nil
}

// Progress records how far a running report got.
func (s *Store) Progress(ctx context.Context, id string, percent int) error {
	_, err := s.pool.Exec(ctx, `UPDATE reports SET progress = $2 WHERE id = $1 AND status = 'RUNNING'`, id, percent)
	if err != nil {
		return fmt.Errorf("report progress: %w", err)
	}
	return nil
}

// Finish stores a report's result, or its failure when result is nil.
func (s *Store) Finish(ctx context.Context, id string, result []byte, failure string) error {
	status, progress := "DONE", 100
	if result == nil {
		status, progress = "FAILED", 0
	}
	_, err := s.pool.Exec(ctx, `UPDATE reports SET status = $2, progress = $3, result = $4, error = $5, finished_at = now() WHERE id = $1`,
		id, status, progress, result, failure)
	if err != nil {
		return fmt.Errorf("finish report: %w", err)
	}
	return nil
}

// SaveSchedule stores a schedule.
func (s *Store) SaveSchedule(ctx context.Context, sc metrics.Schedule) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO report_schedules (id, owner, kind, range_days, bucket, currency, every, next_run_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, sc.ID, sc.Owner, sc.Kind, sc.RangeDays, sc.Bucket, sc.Currency, sc.Every, sc.NextRunAt)
	if err != nil {
		return fmt.Errorf("save schedule: %w", err)
	}
	return nil
}

// QueueDue queues a report for every schedule due at now and moves the
// schedule to its next run, in one transaction per call.
func (s *Store) QueueDue(ctx context.Context, now time.Time, newID func(string) string) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, owner, kind, range_days, bucket, currency, every, next_run_at FROM report_schedules
WHERE next_run_at <= $1 FOR UPDATE SKIP LOCKED`, now)
		if err != nil {
			return err
		}
		due, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (metrics.Schedule, error) {
			var sc metrics.Schedule
			err := row.Scan(&sc.ID, &sc.Owner, &sc.Kind, &sc.RangeDays, &sc.Bucket, &sc.Currency, &sc.Every, &sc.NextRunAt)
			return sc, err
		})
		if err != nil {
			return err
		}
		for _, sc := range due {
			to := now.UTC().Truncate(24 * time.Hour)
			from := to.AddDate(0, 0, -sc.RangeDays+1)
			if _, err := tx.Exec(ctx, `INSERT INTO reports (id, owner, kind, from_day, to_day, bucket, currency, status, schedule_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, 'QUEUED', $8)`, newID("rpt"), sc.Owner, sc.Kind, from, to, sc.Bucket, sc.Currency, sc.ID); err != nil {
				return err
			}
			step := 24 * time.Hour
			if sc.Every == "WEEKLY" {
				step *= 7
			}
			next := sc.NextRunAt
			for !next.After(now) {
				next = next.Add(step)
			}
			if _, err := tx.Exec(ctx, `UPDATE report_schedules SET next_run_at = $2 WHERE id = $1`, sc.ID, next); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("queue scheduled reports: %w", err)
	}
	return n, nil
}

// ReportResult returns a finished report's CSV.
func (s *Store) ReportResult(ctx context.Context, id string) ([]byte, error) {
	var b []byte
	err := s.pool.QueryRow(ctx, `SELECT result FROM reports WHERE id = $1 AND status = 'DONE'`, id).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, metrics.ErrNoReport
	}
	if err != nil {
		return nil, fmt.Errorf("report result: %w", err)
	}
	return b, nil
}
