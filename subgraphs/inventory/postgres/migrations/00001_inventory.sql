-- +goose Up
CREATE TABLE warehouses (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    street      text NOT NULL,
    city        text NOT NULL,
    postal_code text NOT NULL,
    country     text NOT NULL,
    -- Countries this warehouse ships to; reservations take from warehouses
    -- in priority order (lower first), splitting a line when one cannot
    -- cover it.
    countries   text[] NOT NULL,
    priority    int NOT NULL DEFAULT 100,
    active      boolean NOT NULL DEFAULT true
);

-- Units per (warehouse, variant). available = on_hand - allocated - reserved.
-- Every change to these numbers is a movement row: each column always
-- equals the sum of its movements' deltas.
CREATE TABLE stock (
    warehouse_id        text NOT NULL REFERENCES warehouses (id),
    variant_id          text NOT NULL,
    on_hand             int NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    allocated           int NOT NULL DEFAULT 0 CHECK (allocated >= 0),
    reserved            int NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    low_stock_threshold int NOT NULL DEFAULT 5 CHECK (low_stock_threshold >= 0),
    PRIMARY KEY (warehouse_id, variant_id),
    CHECK (allocated + reserved <= on_hand)
);
CREATE INDEX stock_variant_id ON stock (variant_id);

CREATE TABLE movements (
    id              bigserial PRIMARY KEY,
    warehouse_id    text NOT NULL,
    variant_id      text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('ADJUSTMENT', 'RECEIPT', 'RESERVATION', 'RELEASE', 'ALLOCATION', 'SALE', 'RETURN', 'TRANSFER')),
    on_hand_delta   int NOT NULL DEFAULT 0,
    allocated_delta int NOT NULL DEFAULT 0,
    reserved_delta  int NOT NULL DEFAULT 0,
    reason          text NOT NULL DEFAULT '',
    actor           text NOT NULL,
    reference       text NOT NULL DEFAULT '', -- reservation, purchase order, transfer
    created_at      timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (warehouse_id, variant_id) REFERENCES stock (warehouse_id, variant_id)
);
CREATE INDEX movements_stock ON movements (warehouse_id, variant_id, id);

-- Who asked for a change, with which idempotency key, for what; and what
-- it made (a reservation id, a movement batch).
CREATE TABLE idempotency_keys (
    actor        text NOT NULL,
    key          text NOT NULL,
    request_hash text NOT NULL,
    result       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (actor, key)
);

CREATE TABLE reservations (
    id         text PRIMARY KEY,
    reference  text NOT NULL, -- the checkout or order it holds stock for
    status     text NOT NULL CHECK (status IN ('ACTIVE', 'CONVERTED', 'RELEASED', 'EXPIRED', 'FULFILLED')),
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reservations_expiring ON reservations (expires_at) WHERE status = 'ACTIVE';

CREATE TABLE reservation_lines (
    reservation_id text NOT NULL REFERENCES reservations (id),
    warehouse_id   text NOT NULL,
    variant_id     text NOT NULL,
    quantity       int NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (reservation_id, warehouse_id, variant_id)
);

-- One open alert per (warehouse, variant) while it stays low.
CREATE TABLE low_stock_alerts (
    id           bigserial PRIMARY KEY,
    warehouse_id text NOT NULL,
    variant_id   text NOT NULL,
    available    int NOT NULL,
    threshold    int NOT NULL,
    raised_at    timestamptz NOT NULL DEFAULT now(),
    cleared_at   timestamptz
);
CREATE UNIQUE INDEX low_stock_alerts_open ON low_stock_alerts (warehouse_id, variant_id) WHERE cleared_at IS NULL;

CREATE TABLE suppliers (
    id             text PRIMARY KEY,
    name           text NOT NULL,
    contact_email  text NOT NULL,
    contact_phone  text NOT NULL DEFAULT '',
    lead_time_days int NOT NULL CHECK (lead_time_days >= 0)
);

CREATE TABLE supplier_items (
    supplier_id text NOT NULL REFERENCES suppliers (id),
    variant_id  text NOT NULL,
    cost_minor  bigint NOT NULL CHECK (cost_minor >= 0),
    currency    text NOT NULL,
    PRIMARY KEY (supplier_id, variant_id)
);

CREATE TABLE purchase_orders (
    id           text PRIMARY KEY,
    supplier_id  text NOT NULL REFERENCES suppliers (id),
    warehouse_id text NOT NULL REFERENCES warehouses (id),
    status       text NOT NULL CHECK (status IN ('DRAFT', 'ORDERED', 'PARTIALLY_RECEIVED', 'RECEIVED', 'CANCELED')),
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE purchase_order_lines (
    purchase_order_id text NOT NULL REFERENCES purchase_orders (id),
    variant_id        text NOT NULL,
    ordered           int NOT NULL CHECK (ordered > 0),
    received          int NOT NULL DEFAULT 0 CHECK (received >= 0 AND received <= ordered),
    PRIMARY KEY (purchase_order_id, variant_id)
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
DROP TABLE purchase_order_lines;
DROP TABLE purchase_orders;
DROP TABLE supplier_items;
DROP TABLE suppliers;
DROP TABLE low_stock_alerts;
DROP TABLE reservation_lines;
DROP TABLE reservations;
DROP TABLE idempotency_keys;
DROP TABLE movements;
DROP TABLE stock;
DROP TABLE warehouses;
