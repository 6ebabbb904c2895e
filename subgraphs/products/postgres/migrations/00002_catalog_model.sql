-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Channels are few and fixed; the table exists so prices can reference it.
CREATE TABLE channels (
    slug     text PRIMARY KEY,
    currency text NOT NULL
);
INSERT INTO channels (slug, currency) VALUES ('default-usd', 'USD'), ('eu-eur', 'EUR'), ('jp-jpy', 'JPY');

-- The tree keeps a materialized path ('/cat_a/cat_b/'), so a subtree is one
-- prefix test and breadcrumbs need no recursion.
CREATE TABLE categories (
    id        text PRIMARY KEY,
    parent_id text REFERENCES categories (id),
    name      text NOT NULL,
    slug      text NOT NULL UNIQUE,
    position  int NOT NULL,
    path      text NOT NULL
);
CREATE INDEX categories_parent_position ON categories (parent_id, position);
CREATE INDEX categories_path ON categories (path text_pattern_ops);

CREATE TABLE brands (
    id   text PRIMARY KEY,
    name text NOT NULL,
    slug text NOT NULL UNIQUE
);

CREATE TABLE attributes (
    id      text PRIMARY KEY,
    slug    text NOT NULL UNIQUE,
    name    text NOT NULL,
    kind    text NOT NULL CHECK (kind IN ('TEXT', 'NUMBER', 'BOOLEAN', 'CHOICE')),
    choices text[] NOT NULL DEFAULT '{}'
);

CREATE TABLE product_types (
    id   text PRIMARY KEY,
    name text NOT NULL
);

CREATE TABLE product_type_attributes (
    product_type_id text NOT NULL REFERENCES product_types (id),
    attribute_id    text NOT NULL REFERENCES attributes (id),
    position        int NOT NULL,
    PRIMARY KEY (product_type_id, attribute_id)
);

-- Existing rows get a slug from their id, status PUBLISHED and a
-- publication date of their creation.
ALTER TABLE products
    ADD COLUMN slug text,
    ADD COLUMN description text NOT NULL DEFAULT '',
    ADD COLUMN status text NOT NULL DEFAULT 'DRAFT' CHECK (status IN ('DRAFT', 'PUBLISHED')),
    ADD COLUMN published_at timestamptz,
    ADD COLUMN category_id text REFERENCES categories (id),
    ADD COLUMN brand_id text REFERENCES brands (id),
    ADD COLUMN product_type_id text REFERENCES product_types (id),
    ADD COLUMN search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', name), 'A') ||
        setweight(to_tsvector('english', description), 'B')) STORED;
UPDATE products SET slug = id, status = 'PUBLISHED', published_at = created_at;
ALTER TABLE products ALTER COLUMN slug SET NOT NULL;
ALTER TABLE products ADD CONSTRAINT products_slug_key UNIQUE (slug);
CREATE INDEX products_search ON products USING gin (search);
CREATE INDEX products_name_trgm ON products USING gin (name gin_trgm_ops);
CREATE INDEX products_category ON products (category_id);
CREATE INDEX products_brand ON products (brand_id);
CREATE INDEX products_name_id ON products (name, id);
CREATE INDEX products_created_id ON products (created_at, id);

CREATE TABLE product_attribute_values (
    product_id   text NOT NULL REFERENCES products (id),
    attribute_id text NOT NULL REFERENCES attributes (id),
    value        text NOT NULL,
    PRIMARY KEY (product_id, attribute_id)
);
CREATE INDEX product_attribute_values_value ON product_attribute_values (attribute_id, value);

CREATE TABLE product_variants (
    id           text PRIMARY KEY,
    product_id   text NOT NULL REFERENCES products (id),
    sku          text NOT NULL,
    name         text NOT NULL,
    -- [{"name": "Size", "value": "M"}, ...] in display order.
    options      jsonb NOT NULL DEFAULT '[]',
    weight_grams int NOT NULL DEFAULT 0 CHECK (weight_grams >= 0),
    position     int NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT product_variants_sku_key UNIQUE (sku)
);
CREATE INDEX product_variants_product ON product_variants (product_id, position);

CREATE TABLE variant_prices (
    variant_id   text NOT NULL REFERENCES product_variants (id),
    channel      text NOT NULL REFERENCES channels (slug),
    amount_minor bigint NOT NULL CHECK (amount_minor >= 0),
    currency     text NOT NULL,
    PRIMARY KEY (variant_id, channel)
);

-- A product's price range per channel, derived from variant_prices (and,
-- in the default channel, the base price when no variant is priced there).
-- Written in the transaction that changes a price, so search can filter
-- and sort on it with an index instead of aggregating variants per query.
CREATE TABLE product_channel_prices (
    product_id text NOT NULL REFERENCES products (id),
    channel    text NOT NULL REFERENCES channels (slug),
    min_minor  bigint NOT NULL,
    max_minor  bigint NOT NULL,
    currency   text NOT NULL,
    PRIMARY KEY (product_id, channel)
);
CREATE INDEX product_channel_prices_sort ON product_channel_prices (channel, min_minor, product_id);

-- +goose StatementBegin
CREATE FUNCTION refresh_product_prices(ids text[]) RETURNS void LANGUAGE sql AS $$
    -- Concurrent writers of one product queue here; each statement below
    -- then sees the others' committed rows (a volatile function takes a
    -- fresh snapshot per statement). NO KEY UPDATE does not conflict with
    -- the KEY SHARE lock a review insert takes, so no deadlock.
    SELECT 1 FROM products WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
    DELETE FROM product_channel_prices WHERE product_id = ANY(ids);
    INSERT INTO product_channel_prices (product_id, channel, min_minor, max_minor, currency)
    SELECT v.product_id, vp.channel, min(vp.amount_minor), max(vp.amount_minor), min(vp.currency)
    FROM product_variants v JOIN variant_prices vp ON vp.variant_id = v.id
    WHERE v.product_id = ANY(ids)
    GROUP BY v.product_id, vp.channel
    UNION ALL
    SELECT p.id, 'default-usd', p.price_minor, p.price_minor, p.currency
    FROM products p
    WHERE p.id = ANY(ids) AND NOT EXISTS (
        SELECT 1 FROM product_variants v JOIN variant_prices vp ON vp.variant_id = v.id
        WHERE v.product_id = p.id AND vp.channel = 'default-usd');
$$;
-- +goose StatementEnd
SELECT refresh_product_prices(array_agg(id)) FROM products;

CREATE TABLE collections (
    id   text PRIMARY KEY,
    name text NOT NULL,
    slug text NOT NULL UNIQUE
);

CREATE TABLE collection_products (
    collection_id text NOT NULL REFERENCES collections (id),
    product_id    text NOT NULL REFERENCES products (id),
    position      int NOT NULL,
    PRIMARY KEY (collection_id, product_id)
);
CREATE INDEX collection_products_position ON collection_products (collection_id, position, product_id);

-- One review per user and product: older demo data may hold duplicates.
DELETE FROM reviews r USING reviews o
WHERE r.product_id = o.product_id AND r.author_id = o.author_id AND r.id > o.id;
ALTER TABLE reviews
    ADD COLUMN title text NOT NULL DEFAULT '',
    ADD COLUMN status text NOT NULL DEFAULT 'VISIBLE' CHECK (status IN ('VISIBLE', 'HIDDEN')),
    ADD COLUMN helpful_count int NOT NULL DEFAULT 0,
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT reviews_product_author_key UNIQUE (product_id, author_id);

CREATE TABLE review_votes (
    review_id text NOT NULL REFERENCES reviews (id),
    user_id   text NOT NULL,
    PRIMARY KEY (review_id, user_id)
);

-- Visible reviews' aggregate, changed in the transaction that changes a
-- review: reading a rating never scans reviews.
CREATE TABLE product_ratings (
    product_id text PRIMARY KEY REFERENCES products (id),
    count      int NOT NULL DEFAULT 0,
    average    double precision NOT NULL DEFAULT 0,
    r1 int NOT NULL DEFAULT 0,
    r2 int NOT NULL DEFAULT 0,
    r3 int NOT NULL DEFAULT 0,
    r4 int NOT NULL DEFAULT 0,
    r5 int NOT NULL DEFAULT 0
);
CREATE INDEX product_ratings_sort ON product_ratings (average, product_id);

-- +goose StatementBegin
CREATE FUNCTION refresh_product_ratings(ids text[]) RETURNS void LANGUAGE sql AS $$
    -- Concurrent writers of one product queue here; each statement below
    -- then sees the others' committed rows (a volatile function takes a
    -- fresh snapshot per statement). NO KEY UPDATE does not conflict with
    -- the KEY SHARE lock a review insert takes, so no deadlock.
    SELECT 1 FROM products WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
    INSERT INTO product_ratings (product_id, count, average, r1, r2, r3, r4, r5)
    SELECT p.id, count(r.id), coalesce(avg(r.rating), 0),
           count(*) FILTER (WHERE r.rating = 1), count(*) FILTER (WHERE r.rating = 2),
           count(*) FILTER (WHERE r.rating = 3), count(*) FILTER (WHERE r.rating = 4),
           count(*) FILTER (WHERE r.rating = 5)
    FROM products p LEFT JOIN reviews r ON r.product_id = p.id AND r.status = 'VISIBLE'
    WHERE p.id = ANY(ids)
    GROUP BY p.id
    ON CONFLICT (product_id) DO UPDATE SET count = excluded.count, average = excluded.average,
        r1 = excluded.r1, r2 = excluded.r2, r3 = excluded.r3, r4 = excluded.r4, r5 = excluded.r5;
$$;
-- +goose StatementEnd
SELECT refresh_product_ratings(array_agg(id)) FROM products;

-- +goose Down
DROP FUNCTION refresh_product_ratings(text[]);
DROP TABLE product_ratings;
DROP TABLE review_votes;
ALTER TABLE reviews DROP CONSTRAINT reviews_product_author_key,
    DROP COLUMN title, DROP COLUMN status, DROP COLUMN helpful_count, DROP COLUMN updated_at;
DROP TABLE collection_products;
DROP TABLE collections;
DROP FUNCTION refresh_product_prices(text[]);
DROP TABLE product_channel_prices;
DROP TABLE variant_prices;
DROP TABLE product_variants;
DROP TABLE product_attribute_values;
ALTER TABLE products DROP COLUMN search, DROP COLUMN product_type_id, DROP COLUMN brand_id,
    DROP COLUMN category_id, DROP COLUMN published_at, DROP COLUMN status,
    DROP COLUMN description, DROP COLUMN slug;
DROP TABLE product_type_attributes;
DROP TABLE product_types;
DROP TABLE attributes;
DROP TABLE brands;
DROP TABLE categories;
DROP TABLE channels;
