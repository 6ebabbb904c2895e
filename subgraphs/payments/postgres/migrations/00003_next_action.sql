-- +goose Up
-- What the customer must do to finish an authorization that REQUIRES_ACTION
-- (3-D Secure): the page to open, or the secret the provider's client
-- library finishes it with.
ALTER TABLE transactions
    ADD COLUMN next_action_type   text NOT NULL DEFAULT '' CHECK (next_action_type IN ('', 'REDIRECT', 'SDK')),
    ADD COLUMN next_action_url    text NOT NULL DEFAULT '',
    ADD COLUMN next_action_secret text NOT NULL DEFAULT '';

-- The provider's payouts to the shop's bank account, as its webhooks
-- report them (Stripe's payout.paid): what actually reached the bank,
-- beside the payouts we compute (payouts).
CREATE TABLE provider_payouts (
    provider     text NOT NULL,
    id           text NOT NULL,
    amount_minor bigint NOT NULL,
    currency     text NOT NULL,
    status       text NOT NULL,
    arrival_date timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, id)
);

-- +goose Down
DROP TABLE provider_payouts;
ALTER TABLE transactions DROP COLUMN next_action_type, DROP COLUMN next_action_url, DROP COLUMN next_action_secret;
