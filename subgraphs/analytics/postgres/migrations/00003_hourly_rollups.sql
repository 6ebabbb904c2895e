-- +goose Up
-- Rollups at the hour, per channel: every bucket (hour, day, week, month)
-- is a sum or a distinct count over these rows, and every metric can be
-- narrowed to a channel. channel is '' when the events did not say (older
-- events, storefront calls without X-Channel).
CREATE TABLE sales_hourly (
    hour          timestamptz NOT NULL,
    channel       text NOT NULL,
    currency      text NOT NULL,
    orders        int NOT NULL DEFAULT 0,
    revenue_minor bigint NOT NULL DEFAULT 0,
    units         int NOT NULL DEFAULT 0,
    refunds_minor bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, channel, currency)
);
CREATE INDEX sales_hourly_currency ON sales_hourly (currency, hour);

-- Units and revenue per variant (the unit an order line sells), for the
-- top products. sku and name are kept once in sold_variants.
CREATE TABLE product_sales_hourly (
    hour          timestamptz NOT NULL,
    channel       text NOT NULL,
    currency      text NOT NULL,
    variant_id    text NOT NULL,
    units         int NOT NULL DEFAULT 0,
    revenue_minor bigint NOT NULL DEFAULT 0,
    orders        int NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, channel, currency, variant_id)
);
CREATE INDEX product_sales_hourly_currency ON product_sales_hourly (currency, hour);

CREATE TABLE sold_variants (
    variant_id text PRIMARY KEY,
    sku        text NOT NULL,
    name       text NOT NULL
);

CREATE TABLE traffic_hourly (
    hour           timestamptz NOT NULL,
    channel        text NOT NULL,
    page_views     int NOT NULL DEFAULT 0,
    product_views  int NOT NULL DEFAULT 0,
    searches       int NOT NULL DEFAULT 0,
    add_to_carts   int NOT NULL DEFAULT 0,
    checkouts      int NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, channel)
);

-- Distinct sessions and visitors per hour, exact: a bucket's count is
-- count(DISTINCT id) over its hours' rows, so a visitor seen in two hours
-- of a day counts once for the day. One row per (hour, visitor) keeps the
-- insert idempotent (a redelivered event adds nothing) and the backfill
-- equal to ingestion, which an estimate (HyperLogLog) would not promise.
CREATE TABLE sessions_hourly (
    hour       timestamptz NOT NULL,
    channel    text NOT NULL,
    session_id text NOT NULL,
    PRIMARY KEY (hour, channel, session_id)
);

CREATE TABLE visitors_hourly (
    hour       timestamptz NOT NULL,
    channel    text NOT NULL,
    visitor_id text NOT NULL,
    PRIMARY KEY (hour, channel, visitor_id)
);

-- Customers: orders per (hour, customer), and each customer's first
-- confirmed order anywhere, so "new" (first order in the bucket) and
-- "returning" (ordered before) need no scan of the log. The first order is
-- a minimum, so it comes out the same whatever order events arrive in.
CREATE TABLE customer_orders_hourly (
    hour    timestamptz NOT NULL,
    channel text NOT NULL,
    user_id text NOT NULL,
    orders  int NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, channel, user_id)
);

CREATE TABLE customer_first_orders (
    user_id    text PRIMARY KEY,
    first_hour timestamptz NOT NULL
);

ALTER TABLE session_steps ADD COLUMN channel text NOT NULL DEFAULT '';
ALTER TABLE session_steps DROP CONSTRAINT session_steps_pkey;
ALTER TABLE session_steps ADD PRIMARY KEY (day, step, channel, session_id);

-- Keep the numbers already summed: a day's sums land on its first hour
-- until rebuildMetrics recomputes them from the log at the hour.
INSERT INTO sales_hourly (hour, channel, currency, orders, revenue_minor, units, refunds_minor)
SELECT day::timestamp AT TIME ZONE 'UTC', '', currency, orders, revenue_minor, units, refunds_minor FROM sales_daily;
INSERT INTO traffic_hourly (hour, channel, page_views, product_views, searches, add_to_carts, checkouts)
SELECT day::timestamp AT TIME ZONE 'UTC', '', page_views, product_views, searches, add_to_carts, checkouts FROM traffic_daily;
INSERT INTO sessions_hourly (hour, channel, session_id)
SELECT DISTINCT day::timestamp AT TIME ZONE 'UTC', '', session_id FROM session_steps;
DROP TABLE sales_daily;
DROP TABLE traffic_daily;

-- +goose Down
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
INSERT INTO sales_daily SELECT (hour AT TIME ZONE 'UTC')::date, currency, sum(orders), sum(revenue_minor), sum(units), sum(refunds_minor)
FROM sales_hourly GROUP BY 1, 2;
INSERT INTO traffic_daily SELECT (hour AT TIME ZONE 'UTC')::date, sum(page_views), sum(product_views), sum(searches), sum(add_to_carts), sum(checkouts)
FROM traffic_hourly GROUP BY 1;
DELETE FROM session_steps a USING session_steps b
WHERE a.day = b.day AND a.step = b.step AND a.session_id = b.session_id AND a.channel > b.channel;
ALTER TABLE session_steps DROP CONSTRAINT session_steps_pkey;
ALTER TABLE session_steps DROP COLUMN channel;
ALTER TABLE session_steps ADD PRIMARY KEY (day, step, session_id);
DROP TABLE customer_first_orders;
DROP TABLE customer_orders_hourly;
DROP TABLE visitors_hourly;
DROP TABLE sessions_hourly;
DROP TABLE traffic_hourly;
DROP TABLE sold_variants;
DROP TABLE product_sales_hourly;
DROP TABLE sales_hourly;
