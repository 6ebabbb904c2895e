-- +goose Up
-- Outgoing webhooks send the shop's orders to other systems: only admins
-- subscribe them.
UPDATE roles SET permissions = array_append(permissions, 'MANAGE_APPS') WHERE name = 'admin' AND NOT 'MANAGE_APPS' = ANY (permissions);

-- +goose Down
UPDATE roles SET permissions = array_remove(permissions, 'MANAGE_APPS') WHERE name = 'admin';
