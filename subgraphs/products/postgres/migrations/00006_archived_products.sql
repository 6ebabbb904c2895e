-- +goose Up
-- ARCHIVED: no longer sold. Shoppers stop seeing the product (visible
-- tests for PUBLISHED), so carts holding its variants show them as not
-- sold, while staff, and the orders that name its variants, still find it.
ALTER TABLE products DROP CONSTRAINT products_status_check,
    ADD CONSTRAINT products_status_check CHECK (status IN ('DRAFT', 'PUBLISHED', 'ARCHIVED'));

-- +goose Down
UPDATE products SET status = 'DRAFT' WHERE status = 'ARCHIVED';
ALTER TABLE products DROP CONSTRAINT products_status_check,
    ADD CONSTRAINT products_status_check CHECK (status IN ('DRAFT', 'PUBLISHED'));
