-- +goose Up
-- The units a refund by lines gave back, under its idempotency key, so two
-- requests cannot give back the same unit twice and a repeat of one gives
-- back once. PENDING rows are on their way through payments and count
-- already: two refunds at once cannot both take the last unit.
CREATE TABLE line_refunds (
    order_id        text NOT NULL REFERENCES orders (id),
    idempotency_key text NOT NULL,
    variant_id      text NOT NULL,
    quantity        integer NOT NULL CHECK (quantity > 0),
    amount_minor    bigint NOT NULL CHECK (amount_minor >= 0),
    state           text NOT NULL DEFAULT 'PENDING' CHECK (state IN ('PENDING', 'DONE')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, idempotency_key, variant_id)
);

-- +goose Down
DROP TABLE line_refunds;
