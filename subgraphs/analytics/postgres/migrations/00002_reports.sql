-- +goose Up
-- Reports are generated in the background: requested (or made by a
-- schedule), picked by a worker, and kept with their CSV when done.
CREATE TABLE reports (
    id          text PRIMARY KEY,
    owner       text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('SALES', 'TRAFFIC', 'FUNNEL')),
    from_day    date NOT NULL,
    to_day      date NOT NULL,
    bucket      text NOT NULL,
    currency    text NOT NULL,
    status      text NOT NULL CHECK (status IN ('QUEUED', 'RUNNING', 'DONE', 'FAILED')),
    progress    int NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    error       text NOT NULL DEFAULT '',
    result      bytea,
    schedule_id text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE INDEX reports_queued ON reports (created_at) WHERE status = 'QUEUED';
CREATE INDEX reports_owner ON reports (owner, created_at DESC);

CREATE TABLE report_schedules (
    id          text PRIMARY KEY,
    owner       text NOT NULL,
    kind        text NOT NULL,
    range_days  int NOT NULL CHECK (range_days BETWEEN 1 AND 731),
    bucket      text NOT NULL,
    currency    text NOT NULL,
    every       text NOT NULL CHECK (every IN ('DAILY', 'WEEKLY')),
    next_run_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE report_schedules;
DROP TABLE reports;
