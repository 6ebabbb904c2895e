-- +goose Up
-- The product and category a line's variant belonged to when it was sold,
-- read from products at checkout like the price: sales per category
-- (analytics' top categories) stay what they were when a product later
-- moves. '' on lines placed before this was kept.
ALTER TABLE order_lines
    ADD COLUMN product_id  text NOT NULL DEFAULT '',
    ADD COLUMN category_id text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE order_lines DROP COLUMN category_id, DROP COLUMN product_id;
