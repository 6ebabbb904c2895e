-- +goose Up
ALTER TABLE users
    ADD COLUMN password_hash text,
    ADD COLUMN email_verified_at timestamptz;
-- Emails are unique whatever their case: Ada@x and ada@x are one account.
CREATE UNIQUE INDEX users_email_lower ON users (lower(email));

CREATE TABLE roles (
    name        text PRIMARY KEY,
    permissions text[] NOT NULL DEFAULT '{}'
);

INSERT INTO roles (name, permissions) VALUES
    ('customer', '{}'),
    ('support',  '{READ_USERS,READ_ORDERS}'),
    ('admin',    '{READ_USERS,MANAGE_USERS,MANAGE_STAFF,READ_ORDERS,MANAGE_ORDERS,MANAGE_PRODUCTS,ADJUST_STOCK,REFUND_PAYMENTS,MANAGE_NOTIFICATIONS,READ_ANALYTICS}');

CREATE TABLE user_roles (
    user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role    text NOT NULL REFERENCES roles (name),
    PRIMARY KEY (user_id, role)
);

-- Ed25519 signing keys for access tokens, newest signs; all recent ones
-- are published in the JWKS so tokens signed before a rotation still verify.
CREATE TABLE signing_keys (
    kid         text PRIMARY KEY,
    private_key bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Refresh tokens are stored as SHA-256 hashes. Each use replaces a token
-- with a new one of the same family; using a replaced one again means it
-- leaked, and the whole family is revoked.
CREATE TABLE refresh_tokens (
    token_hash bytea PRIMARY KEY,
    family_id  text NOT NULL,
    user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    revoked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family_id ON refresh_tokens (family_id);

-- +goose Down
DROP TABLE refresh_tokens;
DROP TABLE signing_keys;
DROP TABLE user_roles;
DROP TABLE roles;
DROP INDEX users_email_lower;
ALTER TABLE users DROP COLUMN email_verified_at, DROP COLUMN password_hash;
