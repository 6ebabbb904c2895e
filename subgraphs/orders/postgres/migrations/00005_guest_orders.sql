-- +goose Up
-- Guest checkout: a guest's saga and order keep the guest's email and the
-- hash of the order's access token (the clear token exists only in the
-- answer to placeOrder); guest orders have user_id '' until the email's
-- owner registers and verifies it.
ALTER TABLE order_sagas
    ADD COLUMN guest_email      text NOT NULL DEFAULT '',
    ADD COLUMN guest_token_hash text NOT NULL DEFAULT '';
ALTER TABLE orders
    ADD COLUMN guest_email            text NOT NULL DEFAULT '',
    ADD COLUMN guest_token_hash       text UNIQUE,
    ADD COLUMN guest_token_expires_at timestamptz;
CREATE INDEX orders_guest_email ON orders (lower(guest_email)) WHERE user_id = '' AND guest_email <> '';

-- +goose Down
DROP INDEX orders_guest_email;
ALTER TABLE orders DROP COLUMN guest_email, DROP COLUMN guest_token_hash, DROP COLUMN guest_token_expires_at;
ALTER TABLE order_sagas DROP COLUMN guest_email, DROP COLUMN guest_token_hash;
