-- +goose Up
-- The event log: every domain event from the stream and every behaviour
-- event the storefront tracks. The rollups below are derived from it and
-- can be rebuilt from it (backfill).
CREATE TABLE events (
    id          text PRIMARY KEY,
    type        text NOT NULL,
    source      text NOT NULL,
    occurred_at timestamptz NOT NULL,
    session_id  text NOT NULL DEFAULT '',
    user_id     text NOT NULL DEFAULT '',
    payload     jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_occurred ON events (occurred_at, id);
CREATE INDEX events_type_occurred ON events (type, occurred_at);

CREATE TABLE sales_daily (
    day           date NOT NULL,
    currency      text NOT NULL,
    orders        int NOT NULL DEFAULT 0,
    revenue_minor bigint NOT NULL DEFAULT 0,
    units         int NOT NULL DEFAULT 0,
    refunds_minor bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, currency)
);

CREATE TABLE traffic_daily (
    day            date PRIMARY KEY,
    page_views     int NOT NULL DEFAULT 0,
    product_views  int NOT NULL DEFAULT 0,
    searches       int NOT NULL DEFAULT 0,
    add_to_carts   int NOT NULL DEFAULT 0,
    checkouts      int NOT NULL DEFAULT 0
);

-- Which sessions did which funnel step on which day: distinct counts
-- (sessions, the funnel) come from here without scanning the log.
CREATE TABLE session_steps (
    day        date NOT NULL,
    session_id text NOT NULL,
    step       text NOT NULL CHECK (step IN ('VISIT', 'VIEW', 'CART', 'CHECKOUT', 'ORDER')),
    PRIMARY KEY (day, step, session_id)
);

CREATE TABLE dashboards (
    id         text PRIMARY KEY,
    owner      text NOT NULL,
    name       text NOT NULL,
    widgets    jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dashboards_owner ON dashboards (owner, id);

-- +goose Down
DROP TABLE dashboards;
DROP TABLE session_steps;
DROP TABLE traffic_daily;
DROP TABLE sales_daily;
DROP TABLE events;
