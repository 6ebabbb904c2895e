-- +goose Up
-- Transactional outbox: a marketing consent the user changed here (the
-- newsletter's unsubscribe link, setNotificationPreference, an SMS answered
-- STOP) is announced in the same transaction, and users keeps the profile's
-- marketingEmails / marketingSms in line with it.
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
