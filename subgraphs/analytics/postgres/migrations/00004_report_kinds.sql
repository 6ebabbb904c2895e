-- +goose Up
-- Reports of the top products and of customers, besides sales, traffic
-- and the funnel.
ALTER TABLE reports DROP CONSTRAINT reports_kind_check;
ALTER TABLE reports ADD CONSTRAINT reports_kind_check CHECK (kind IN ('SALES', 'TRAFFIC', 'FUNNEL', 'PRODUCTS', 'CUSTOMERS'));

-- +goose Down
DELETE FROM reports WHERE kind IN ('PRODUCTS', 'CUSTOMERS');
DELETE FROM report_schedules WHERE kind IN ('PRODUCTS', 'CUSTOMERS');
ALTER TABLE reports DROP CONSTRAINT reports_kind_check;
ALTER TABLE reports ADD CONSTRAINT reports_kind_check CHECK (kind IN ('SALES', 'TRAFFIC', 'FUNNEL'));
