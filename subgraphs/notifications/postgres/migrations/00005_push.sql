-- +goose Up
-- Browsers' Web Push subscriptions: where a user's devices are reached.
CREATE TABLE push_subscriptions (
    endpoint   text PRIMARY KEY,
    user_id    text NOT NULL,
    p256dh     text NOT NULL,
    auth       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);

-- The VAPID key pair, made once when the environment gives none, so
-- browsers' subscriptions (bound to the public key) outlive a restart.
CREATE TABLE vapid_keys (
    id          boolean PRIMARY KEY DEFAULT true CHECK (id),
    public_key  text NOT NULL,
    private_key text NOT NULL
);

-- +goose Down
DROP TABLE vapid_keys;
DROP TABLE push_subscriptions;
