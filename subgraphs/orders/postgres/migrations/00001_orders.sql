-- +goose Up
-- A signed-in customer's cart: one open cart per user and channel. Lines
-- hold only what the customer chose; prices are read live from products.
CREATE TABLE carts (
    id               text PRIMARY KEY,
    user_id          text NOT NULL,
    channel          text NOT NULL,
    status           text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'ORDERED')),
    -- The shipping address as entered (jsonb of order.Address), once set.
    shipping_address jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX carts_one_open ON carts (user_id, channel) WHERE status = 'OPEN';

CREATE TABLE cart_lines (
    cart_id    text NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    variant_id text NOT NULL,
    quantity   int NOT NULL CHECK (quantity BETWEEN 1 AND 100),
    added_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (cart_id, variant_id)
);

-- The checkout saga: one row per placeOrder, keyed by the order id it
-- will create. step says how far it got, so a retry or the resumer carries
-- on from there; lines and total are the prices read from products when it
-- started (never the client's).
CREATE TABLE order_sagas (
    id                text PRIMARY KEY,
    user_id           text NOT NULL,
    cart_id           text NOT NULL REFERENCES carts (id),
    idempotency_key   text NOT NULL,
    channel           text NOT NULL,
    currency          text NOT NULL,
    total_minor       bigint NOT NULL CHECK (total_minor >= 0),
    lines             jsonb NOT NULL,
    shipping_address  jsonb NOT NULL,
    payment_method_id text NOT NULL DEFAULT '',
    payment_token     text NOT NULL DEFAULT '',
    step              text NOT NULL,
    reservation_id    text NOT NULL DEFAULT '',
    payment_id        text NOT NULL DEFAULT '',
    failure_code      text NOT NULL DEFAULT '',
    failure_message   text NOT NULL DEFAULT '',
    shortages         jsonb NOT NULL DEFAULT '[]',
    -- A runner holds the saga until then; a crashed one's lease lapses.
    leased_until      timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, idempotency_key)
);
-- One live checkout per cart: a failed one does not block another try.
CREATE UNIQUE INDEX order_sagas_one_per_cart ON order_sagas (cart_id) WHERE step <> 'FAILED';
CREATE INDEX order_sagas_unfinished ON order_sagas (updated_at) WHERE step NOT IN ('DONE', 'FAILED');

CREATE SEQUENCE order_numbers START 100001;

CREATE TABLE orders (
    -- The id of the saga that placed it (demo orders have none).
    id               text PRIMARY KEY,
    number           bigint NOT NULL UNIQUE DEFAULT nextval('order_numbers'),
    user_id          text NOT NULL,
    channel          text NOT NULL,
    status           text NOT NULL CHECK (status IN ('PENDING_PAYMENT', 'CONFIRMED', 'PROCESSING',
                         'PARTIALLY_SHIPPED', 'SHIPPED', 'DELIVERED', 'CANCELED', 'EXPIRED')),
    -- Goes up by one with every status change; events carry it.
    version          int NOT NULL DEFAULT 1,
    currency         text NOT NULL,
    total_minor      bigint NOT NULL CHECK (total_minor >= 0),
    shipping_address jsonb NOT NULL,
    reservation_id   text NOT NULL DEFAULT '',
    payment_id       text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_user ON orders (user_id, id DESC);
CREATE INDEX orders_status ON orders (status, id DESC);

CREATE TABLE order_lines (
    order_id         text NOT NULL REFERENCES orders (id),
    position         int NOT NULL,
    variant_id       text NOT NULL,
    sku              text NOT NULL,
    name             text NOT NULL,
    quantity         int NOT NULL CHECK (quantity > 0),
    unit_price_minor bigint NOT NULL CHECK (unit_price_minor >= 0),
    currency         text NOT NULL,
    PRIMARY KEY (order_id, position)
);

-- Every status change, append-only.
CREATE TABLE order_events (
    order_id    text NOT NULL REFERENCES orders (id),
    version     int NOT NULL,
    from_status text,
    to_status   text NOT NULL,
    actor       text NOT NULL,
    note        text NOT NULL DEFAULT '',
    at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, version)
);

CREATE TABLE outbox (
    id           bigserial PRIMARY KEY,
    event_id     text NOT NULL UNIQUE,
    type         text NOT NULL,
    payload      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;

-- +goose Down
DROP TABLE outbox;
DROP TABLE order_events;
DROP TABLE order_lines;
DROP TABLE orders;
DROP SEQUENCE order_numbers;
DROP TABLE order_sagas;
DROP TABLE cart_lines;
DROP TABLE carts;
