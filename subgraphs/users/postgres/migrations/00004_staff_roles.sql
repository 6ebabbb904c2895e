-- +goose Up
-- Roles for a shop's staff beyond support and admin, each with what one
-- job needs (least privilege): the demo has one person per role.
INSERT INTO roles (name, permissions) VALUES
    ('catalog',    '{MANAGE_PRODUCTS,READ_ANALYTICS}'),
    ('warehouse',  '{ADJUST_STOCK,READ_ORDERS}'),
    ('fulfilment', '{READ_ORDERS,MANAGE_ORDERS}'),
    ('finance',    '{READ_ORDERS,REFUND_PAYMENTS,READ_ANALYTICS}'),
    ('marketing',  '{READ_USERS,MANAGE_NOTIFICATIONS,READ_ANALYTICS}')
ON CONFLICT (name) DO NOTHING;

-- +goose Down
DELETE FROM user_roles WHERE role IN ('catalog', 'warehouse', 'fulfilment', 'finance', 'marketing');
DELETE FROM roles WHERE name IN ('catalog', 'warehouse', 'fulfilment', 'finance', 'marketing');
