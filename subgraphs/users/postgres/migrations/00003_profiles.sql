-- +goose Up
ALTER TABLE users
    ADD COLUMN phone            text,
    ADD COLUMN locale           text NOT NULL DEFAULT 'en',
    ADD COLUMN marketing_emails boolean NOT NULL DEFAULT false,
    ADD COLUMN marketing_sms    boolean NOT NULL DEFAULT false,
    ADD COLUMN deleted_at       timestamptz;

CREATE TABLE addresses (
    id           text PRIMARY KEY,
    user_id      text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    first_name   text NOT NULL,
    last_name    text NOT NULL,
    company      text NOT NULL DEFAULT '',
    street1      text NOT NULL,
    street2      text NOT NULL DEFAULT '',
    city         text NOT NULL,
    region       text NOT NULL DEFAULT '',
    postal_code  text NOT NULL DEFAULT '',
    country_code text NOT NULL,
    phone        text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX addresses_user_id ON addresses (user_id, id);

ALTER TABLE users
    ADD COLUMN default_shipping_address_id text REFERENCES addresses (id) ON DELETE SET NULL,
    ADD COLUMN default_billing_address_id  text REFERENCES addresses (id) ON DELETE SET NULL;

-- Single-use tokens mailed to the user (email verification, password
-- reset); stored hashed like refresh tokens.
CREATE TABLE account_tokens (
    token_hash bytea PRIMARY KEY,
    user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text NOT NULL,
    email      text NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);

-- Transactional outbox: a fact is recorded in the same transaction as the
-- change, and a relay publishes it (notifications sends the mails).
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
DROP TABLE account_tokens;
ALTER TABLE users DROP COLUMN default_billing_address_id, DROP COLUMN default_shipping_address_id;
DROP TABLE addresses;
ALTER TABLE users DROP COLUMN deleted_at, DROP COLUMN marketing_sms, DROP COLUMN marketing_emails,
    DROP COLUMN locale, DROP COLUMN phone;
