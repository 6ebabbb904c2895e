-- +goose Up
-- Templates per event type, channel and locale; saving makes a new
-- version, and the newest one is used.
CREATE TABLE templates (
    id         bigserial PRIMARY KEY,
    event_type text NOT NULL,
    channel    text NOT NULL CHECK (channel IN ('EMAIL', 'SMS', 'PUSH')),
    locale     text NOT NULL,
    version    int NOT NULL,
    subject    text NOT NULL DEFAULT '',
    body_text  text NOT NULL,
    body_html  text NOT NULL DEFAULT '',
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_type, channel, locale, version)
);

-- What we know of a user's addresses, learnt from users' events (no
-- subgraph reads another's tables).
CREATE TABLE contacts (
    user_id    text PRIMARY KEY,
    email      text NOT NULL DEFAULT '',
    phone      text NOT NULL DEFAULT '',
    name       text NOT NULL DEFAULT '',
    locale     text NOT NULL DEFAULT 'en',
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Opt-outs only: everything is on unless a row says otherwise.
CREATE TABLE preferences (
    user_id  text NOT NULL,
    category text NOT NULL CHECK (category IN ('ORDERS', 'MARKETING', 'SECURITY')),
    channel  text NOT NULL CHECK (channel IN ('EMAIL', 'SMS', 'PUSH')),
    enabled  boolean NOT NULL,
    PRIMARY KEY (user_id, category, channel)
);

-- One message per event, recipient and channel: a redelivered event finds
-- its row and sends nothing twice.
CREATE TABLE messages (
    id              text PRIMARY KEY,
    event_id        text NOT NULL,
    event_type      text NOT NULL,
    recipient       text NOT NULL, -- a user id, or "staff"
    channel         text NOT NULL,
    category        text NOT NULL,
    to_address      text NOT NULL,
    subject         text NOT NULL,
    body_text       text NOT NULL,
    body_html       text NOT NULL,
    status          text NOT NULL CHECK (status IN ('QUEUED', 'SENT', 'DELIVERED', 'OPENED', 'FAILED', 'BOUNCED', 'SUPPRESSED')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text NOT NULL DEFAULT '',
    provider_ref    text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, recipient, channel)
);
CREATE INDEX messages_due ON messages (next_attempt_at) WHERE status = 'QUEUED';
CREATE INDEX messages_recipient ON messages (recipient, id);

CREATE TABLE message_events (
    id         bigserial PRIMARY KEY,
    message_id text NOT NULL REFERENCES messages (id),
    status     text NOT NULL,
    detail     text NOT NULL DEFAULT '',
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX message_events_message ON message_events (message_id, id);

-- +goose Down
DROP TABLE message_events;
DROP TABLE messages;
DROP TABLE preferences;
DROP TABLE contacts;
DROP TABLE templates;
