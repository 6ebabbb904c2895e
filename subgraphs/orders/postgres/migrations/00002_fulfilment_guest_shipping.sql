-- +goose Up
-- What orders last knew of the payment (it changes it when it captures,
-- voids or refunds), and how much has shipped: both read with the order,
-- at no extra cost.
ALTER TABLE orders
    ADD COLUMN payment_status     text NOT NULL DEFAULT 'NONE' CHECK (payment_status IN ('NONE', 'AUTHORIZED',
                                      'PARTIALLY_PAID', 'PAID', 'PARTIALLY_REFUNDED', 'REFUNDED', 'VOIDED')),
    ADD COLUMN fulfillment_status text NOT NULL DEFAULT 'UNFULFILLED'
                                      CHECK (fulfillment_status IN ('UNFULFILLED', 'PARTIALLY_FULFILLED', 'FULFILLED')),
    -- Copies made at checkout: where the bill goes, how it ships and what
    -- shipping cost (total_minor includes it).
    ADD COLUMN billing_address    jsonb,
    ADD COLUMN shipping_method    text NOT NULL DEFAULT '',
    ADD COLUMN shipping_minor     bigint NOT NULL DEFAULT 0 CHECK (shipping_minor >= 0);
UPDATE orders SET payment_status = 'AUTHORIZED' WHERE payment_id <> '' AND status IN ('CONFIRMED', 'PROCESSING', 'PARTIALLY_SHIPPED');
UPDATE orders SET payment_status = 'PAID' WHERE payment_id <> '' AND status IN ('SHIPPED', 'DELIVERED');
UPDATE orders SET fulfillment_status = 'FULFILLED' WHERE status IN ('SHIPPED', 'DELIVERED');
UPDATE orders SET fulfillment_status = 'PARTIALLY_FULFILLED' WHERE status = 'PARTIALLY_SHIPPED';
-- Staff lists sort on these, with the id as tie-breaker.
CREATE INDEX orders_created ON orders (created_at, id);
CREATE INDEX orders_total ON orders (total_minor, id);

-- Units that shipped together.
CREATE TABLE fulfillments (
    id              text PRIMARY KEY,
    order_id        text NOT NULL REFERENCES orders (id),
    carrier         text NOT NULL,
    tracking_number text NOT NULL,
    actor           text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX fulfillments_order ON fulfillments (order_id, created_at);

CREATE TABLE fulfillment_lines (
    fulfillment_id text NOT NULL REFERENCES fulfillments (id),
    variant_id     text NOT NULL,
    quantity       int NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (fulfillment_id, variant_id)
);

-- Guest carts: no user, reached by a token only its holder has (the
-- table keeps its SHA-256). MERGED: its lines moved to a customer's cart.
ALTER TABLE carts ALTER COLUMN user_id DROP NOT NULL,
    ADD COLUMN guest_token_hash text UNIQUE,
    ADD COLUMN billing_address  jsonb,
    ADD COLUMN shipping_method  text NOT NULL DEFAULT '',
    ADD CONSTRAINT carts_owner CHECK (user_id IS NOT NULL OR guest_token_hash IS NOT NULL),
    DROP CONSTRAINT carts_status_check,
    ADD CONSTRAINT carts_status_check CHECK (status IN ('OPEN', 'ORDERED', 'MERGED'));

ALTER TABLE order_sagas
    ADD COLUMN billing_address jsonb,
    ADD COLUMN shipping_method text NOT NULL DEFAULT '',
    ADD COLUMN shipping_minor  bigint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE order_sagas DROP COLUMN billing_address, DROP COLUMN shipping_method, DROP COLUMN shipping_minor;
DELETE FROM carts WHERE user_id IS NULL;
ALTER TABLE carts DROP CONSTRAINT carts_status_check, DROP CONSTRAINT carts_owner,
    DROP COLUMN guest_token_hash, DROP COLUMN billing_address, DROP COLUMN shipping_method,
    ALTER COLUMN user_id SET NOT NULL;
UPDATE carts SET status = 'ORDERED' WHERE status = 'MERGED';
ALTER TABLE carts ADD CONSTRAINT carts_status_check CHECK (status IN ('OPEN', 'ORDERED'));
DROP TABLE fulfillment_lines;
DROP TABLE fulfillments;
DROP INDEX orders_total;
DROP INDEX orders_created;
ALTER TABLE orders DROP COLUMN payment_status, DROP COLUMN fulfillment_status, DROP COLUMN billing_address,
    DROP COLUMN shipping_method, DROP COLUMN shipping_minor;
