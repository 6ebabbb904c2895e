-- +goose Up
-- A shipment is recorded in two steps around inventory's call (PENDING,
-- then DONE), under the caller's idempotency key: a repeat finds the row
-- and resumes or replays it instead of shipping twice; request_hash tells
-- a repeat from another shipment reusing the key. PENDING rows count
-- against what is left to ship but are not shown.
ALTER TABLE fulfillments
    ADD COLUMN idempotency_key text,
    ADD COLUMN request_hash    text NOT NULL DEFAULT '',
    ADD COLUMN state           text NOT NULL DEFAULT 'DONE' CHECK (state IN ('PENDING', 'DONE'));
CREATE UNIQUE INDEX fulfillments_key ON fulfillments (order_id, idempotency_key);

-- +goose Down
DROP INDEX fulfillments_key;
ALTER TABLE fulfillments DROP COLUMN state, DROP COLUMN request_hash, DROP COLUMN idempotency_key;
