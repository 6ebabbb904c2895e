-- +goose Up
-- ARCHIVED: no longer sold. It leaves lists and search (they test for
-- PUBLISHED) and its variants lose their prices for shoppers, so carts
-- holding them show them as not sold; lookups by id still find it.
ALTER TABLE products DROP CONSTRAINT products_status_check,
    ADD CONSTRAINT products_status_check CHECK (status IN ('DRAFT', 'PUBLISHED', 'ARCHIVED'));

-- +goose Down
UPDATE products SET status = 'DRAFT' WHERE status = 'ARCHIVED';
ALTER TABLE products DROP CONSTRAINT products_status_check,
    ADD CONSTRAINT products_status_check CHECK (status IN ('DRAFT', 'PUBLISHED'));
