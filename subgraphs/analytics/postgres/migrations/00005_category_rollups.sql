-- +goose Up
-- Units, revenue and orders per category (order.placed lines carry the
-- category their product was in when sold), for the top categories. An
-- order with two lines in one category counts once in orders.
CREATE TABLE category_sales_hourly (
    hour          timestamptz NOT NULL,
    channel       text NOT NULL,
    currency      text NOT NULL,
    category_id   text NOT NULL,
    units         int NOT NULL DEFAULT 0,
    revenue_minor bigint NOT NULL DEFAULT 0,
    orders        int NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, channel, currency, category_id)
);
CREATE INDEX category_sales_hourly_currency ON category_sales_hourly (currency, hour);

-- +goose Down
DROP TABLE category_sales_hourly;
