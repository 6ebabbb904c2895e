-- +goose Up
-- Units of a reservation line that shipped: an order ships in parts, and
-- each part leaves stock when it ships, not when the last one does. The
-- rest stays allocated (and is what a cancel gives back).
ALTER TABLE reservation_lines
    ADD COLUMN fulfilled int NOT NULL DEFAULT 0,
    ADD CONSTRAINT reservation_lines_fulfilled CHECK (fulfilled >= 0 AND fulfilled <= quantity);
UPDATE reservation_lines l SET fulfilled = l.quantity FROM reservations r WHERE r.id = l.reservation_id AND r.status = 'FULFILLED';

-- +goose Down
ALTER TABLE reservation_lines DROP COLUMN fulfilled;
