-- +goose Up
-- Outgoing webhooks: a URL subscribed to event types, with the secret its
-- deliveries are signed with.
CREATE TABLE webhooks (
    id                   text PRIMARY KEY,
    name                 text NOT NULL,
    url                  text NOT NULL,
    event_types          text[] NOT NULL,
    secret               text NOT NULL,
    active               boolean NOT NULL DEFAULT true,
    disabled_reason      text NOT NULL DEFAULT '',
    -- failed attempts in a row, and when the streak began: what disables it
    consecutive_failures int NOT NULL DEFAULT 0,
    failing_since        timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_event_types ON webhooks USING gin (event_types);

-- One row per event per webhook, written when the event is consumed, so a
-- restart loses none; seq orders an entity's deliveries.
CREATE TABLE webhook_deliveries (
    seq             bigserial UNIQUE,
    id              text PRIMARY KEY,
    webhook_id      text NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id        text NOT NULL,
    event_type      text NOT NULL,
    entity_key      text NOT NULL,
    body            bytea NOT NULL,
    status          text NOT NULL CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
    attempts        int NOT NULL DEFAULT 0,
    last_error      text NOT NULL DEFAULT '',
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    replay_of       text REFERENCES webhook_deliveries (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
-- A redelivered event adds nothing; a replay is a delivery of its own.
CREATE UNIQUE INDEX webhook_deliveries_once ON webhook_deliveries (webhook_id, event_id) WHERE replay_of IS NULL;
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (webhook_id, entity_key, seq) WHERE status = 'PENDING';
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, seq DESC);

CREATE TABLE webhook_attempts (
    id          bigserial PRIMARY KEY,
    delivery_id text NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL,
    status_code int NOT NULL DEFAULT 0,
    duration_ms int NOT NULL,
    error       text NOT NULL DEFAULT ''
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);

-- +goose Down
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
