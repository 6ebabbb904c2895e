-- +goose Up
-- A payout settles, per currency, the captures and refunds settled before
-- its cutoff that no earlier payout took.
CREATE TABLE payouts (
    id             text PRIMARY KEY,
    currency       text NOT NULL,
    cutoff         timestamptz NOT NULL,
    captured_minor bigint NOT NULL,
    refunded_minor bigint NOT NULL,
    fees_minor     bigint NOT NULL,
    net_minor      bigint NOT NULL,
    transactions   int NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payouts_created ON payouts (id);

ALTER TABLE transactions ADD COLUMN payout_id text REFERENCES payouts (id);
CREATE INDEX transactions_unpaid ON transactions (currency, settled_at)
    WHERE payout_id IS NULL AND outcome = 'SUCCEEDED' AND kind IN ('CAPTURE', 'REFUND');

-- +goose Down
ALTER TABLE transactions DROP COLUMN payout_id;
DROP TABLE payouts;
