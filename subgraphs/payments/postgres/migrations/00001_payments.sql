-- +goose Up
CREATE TABLE payments (
    id           text PRIMARY KEY,
    order_id     text NOT NULL,
    user_id      text NOT NULL,
    amount_minor bigint NOT NULL CHECK (amount_minor > 0),
    currency     text NOT NULL,
    provider     text NOT NULL,
    -- The provider's id of the authorization, once it answered.
    provider_ref text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_order_id ON payments (order_id);
CREATE INDEX payments_user_id ON payments (user_id);

-- The ledger: one row per provider operation, only ever appended to,
-- except that a PENDING row (the provider did not answer) is settled once.
CREATE TABLE transactions (
    id              text PRIMARY KEY,
    payment_id      text NOT NULL REFERENCES payments (id),
    kind            text NOT NULL CHECK (kind IN ('AUTHORIZE', 'CAPTURE', 'VOID', 'REFUND')),
    outcome         text NOT NULL CHECK (outcome IN ('PENDING', 'SUCCEEDED', 'FAILED', 'REQUIRES_ACTION')),
    amount_minor    bigint NOT NULL CHECK (amount_minor >= 0),
    currency        text NOT NULL,
    provider_ref    text NOT NULL DEFAULT '',
    error_code      text NOT NULL DEFAULT '',
    -- Who asked, with which idempotency key, for what (a hash of the input).
    principal       text NOT NULL,
    idempotency_key text NOT NULL,
    request_hash    text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    settled_at      timestamptz,
    UNIQUE (principal, idempotency_key)
);
CREATE INDEX transactions_payment_id ON transactions (payment_id, created_at, id);
CREATE INDEX transactions_provider_ref ON transactions (provider_ref) WHERE provider_ref <> '';

CREATE TABLE payment_methods (
    id         text PRIMARY KEY,
    user_id    text NOT NULL,
    provider   text NOT NULL,
    -- The provider's token for the card; we never hold card numbers.
    token      text NOT NULL,
    brand      text NOT NULL,
    last4      text NOT NULL,
    exp_month  int NOT NULL,
    exp_year   int NOT NULL,
    is_default boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    removed_at timestamptz
);
CREATE INDEX payment_methods_user_id ON payment_methods (user_id, id);
CREATE UNIQUE INDEX payment_methods_one_default ON payment_methods (user_id) WHERE is_default AND removed_at IS NULL;

-- Provider webhook deliveries already processed: a second delivery of one
-- event (even at the same moment) finds its row and does nothing.
CREATE TABLE webhook_events (
    provider    text NOT NULL,
    event_id    text NOT NULL,
    type        text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, event_id)
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
DROP TABLE webhook_events;
DROP TABLE payment_methods;
DROP TABLE transactions;
DROP TABLE payments;
