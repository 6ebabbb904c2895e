-- +goose Up
-- Taxes (issue 21 item 3). Orders computes totals, so it owns the rules:
-- tax classes, their rates per country and region, which product types
-- and products belong to which class, and which customers are exempt.
CREATE TABLE tax_classes (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX tax_classes_name ON tax_classes (lower(name));
-- Every product without a class of its own is taxed as the default class,
-- and so is shipping.
INSERT INTO tax_classes (id, name) VALUES ('txc_default', 'Standard');

-- A rate in millionths (19% is 190000) of a class in a country, or in one
-- region (a US state, a Canadian province: '' for the whole country).
CREATE TABLE tax_rates (
    class_id   text NOT NULL REFERENCES tax_classes (id),
    country    text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    region     text NOT NULL DEFAULT '',
    rate_ppm   bigint NOT NULL CHECK (rate_ppm BETWEEN 0 AND 1000000),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (country, class_id, region)
);

-- A product type's class, and a product's own class (which wins).
CREATE TABLE tax_class_product_types (
    product_type_id text PRIMARY KEY,
    class_id        text NOT NULL REFERENCES tax_classes (id)
);
CREATE TABLE tax_class_products (
    product_id text PRIMARY KEY,
    class_id   text NOT NULL REFERENCES tax_classes (id)
);

-- Customers who pay no tax (resellers, charities), set by staff.
CREATE TABLE tax_exempt_users (
    user_id    text PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- What a placed order was taxed, copied when it was placed, so a rate
-- changed later leaves it as it was. Rows from before taxes have no tax:
-- net and gross read as the line total, subtotal as total less shipping.
ALTER TABLE order_lines
    ADD COLUMN net_minor     bigint,
    ADD COLUMN tax_minor     bigint NOT NULL DEFAULT 0,
    ADD COLUMN gross_minor   bigint,
    ADD COLUMN tax_rate_ppm  bigint NOT NULL DEFAULT 0,
    ADD COLUMN tax_class     text NOT NULL DEFAULT '',
    ADD CONSTRAINT order_lines_net_tax_gross CHECK (net_minor IS NULL OR net_minor + tax_minor = gross_minor);
ALTER TABLE orders
    ADD COLUMN subtotal_minor     bigint,
    ADD COLUMN tax_minor          bigint NOT NULL DEFAULT 0,
    ADD COLUMN shipping_tax_minor bigint NOT NULL DEFAULT 0,
    ADD COLUMN prices_include_tax boolean NOT NULL DEFAULT false;
ALTER TABLE order_sagas
    ADD COLUMN tax_minor          bigint NOT NULL DEFAULT 0,
    ADD COLUMN shipping_tax_minor bigint NOT NULL DEFAULT 0,
    ADD COLUMN prices_include_tax boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE order_sagas DROP COLUMN tax_minor, DROP COLUMN shipping_tax_minor, DROP COLUMN prices_include_tax;
ALTER TABLE orders DROP COLUMN subtotal_minor, DROP COLUMN tax_minor, DROP COLUMN shipping_tax_minor, DROP COLUMN prices_include_tax;
ALTER TABLE order_lines DROP CONSTRAINT order_lines_net_tax_gross, DROP COLUMN net_minor, DROP COLUMN tax_minor,
    DROP COLUMN gross_minor, DROP COLUMN tax_rate_ppm, DROP COLUMN tax_class;
DROP TABLE tax_exempt_users;
DROP TABLE tax_class_products;
DROP TABLE tax_class_product_types;
DROP TABLE tax_rates;
DROP TABLE tax_classes;
