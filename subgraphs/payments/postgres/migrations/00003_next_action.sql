-- +goose Up
-- What the customer must do to finish an authorization that REQUIRES_ACTION
-- (3-D Secure): the page to open, or the secret the provider's client
-- library finishes it with.
ALTER TABLE transactions
    ADD COLUMN next_action_type   text NOT NULL DEFAULT '' CHECK (next_action_type IN ('', 'REDIRECT', 'SDK')),
    ADD COLUMN next_action_url    text NOT NULL DEFAULT '',
    ADD COLUMN next_action_secret text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE transactions DROP COLUMN next_action_type, DROP COLUMN next_action_url, DROP COLUMN next_action_secret;
