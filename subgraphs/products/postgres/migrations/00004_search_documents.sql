-- +goose Up
-- btree_gin lets one GIN index hold the channel next to the text, so a
-- channel's text matches come out of the index without visiting the other
-- channels' rows.
CREATE EXTENSION IF NOT EXISTS btree_gin;

-- The search document: one row per product and channel it is sold in, with
-- everything a search filters, sorts or counts facets on, so a search reads
-- one table. Before it, a search joined products, channel prices and
-- attribute values per row and the planner started from the category index,
-- filtering text row by row (~29 ms per statement at 100,000 products).
-- attrs holds 'attribute_id=value' for every attribute value (ids, not
-- slugs, so renaming an attribute changes no document). Triggers below keep
-- it current in the transaction of every write to its sources.
CREATE TABLE product_search (
    product_id   text NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    channel      text NOT NULL REFERENCES channels (slug),
    min_minor    bigint NOT NULL,
    name         text NOT NULL,
    document     tsvector NOT NULL,
    status       text NOT NULL,
    published_at timestamptz,
    created_at   timestamptz NOT NULL,
    category_id  text,
    brand_id     text,
    attrs        text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (product_id, channel)
);
CREATE INDEX product_search_document ON product_search USING gin (channel, document);
CREATE INDEX product_search_name_trgm ON product_search USING gin (channel, name gin_trgm_ops);
CREATE INDEX product_search_attrs ON product_search USING gin (channel, attrs);
CREATE INDEX product_search_price ON product_search (channel, min_minor, product_id);
CREATE INDEX product_search_name ON product_search (channel, name, product_id);
CREATE INDEX product_search_created ON product_search (channel, created_at, product_id);
CREATE INDEX product_search_category ON product_search (channel, category_id);
CREATE INDEX product_search_brand ON product_search (channel, brand_id);

-- +goose StatementBegin
CREATE FUNCTION refresh_product_search(ids text[]) RETURNS void LANGUAGE sql AS $$
    -- Writers of one product queue here (as in refresh_product_prices), and
    -- each statement below then sees the others' committed rows, so a
    -- delete-then-insert never collides with a concurrent one.
    SELECT 1 FROM products WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
    DELETE FROM product_search WHERE product_id = ANY(ids);
    INSERT INTO product_search (product_id, channel, min_minor, name, document, status, published_at,
        created_at, category_id, brand_id, attrs)
    -- Attribute values per product through its primary key: a grouped
    -- subquery over ids was planned (with ids of unknown length) as the
    -- inner side of a nested loop and re-run per product, quadratic in a
    -- bulk write.
    SELECT p.id, cp.channel, cp.min_minor, p.name, p.search, p.status, p.published_at, p.created_at,
        p.category_id, p.brand_id,
        coalesce((SELECT array_agg(v.attribute_id || '=' || v.value ORDER BY v.attribute_id)
                  FROM product_attribute_values v WHERE v.product_id = p.id), '{}')
    FROM products p
    JOIN product_channel_prices cp ON cp.product_id = p.id
    WHERE p.id = ANY(ids);
$$;

-- One function for every source table: TG_ARGV[0] names the changed
-- rows' product id column. Statement-level, so a bulk write (the seed's
-- 100,000 products) refreshes all its products in one pass.
CREATE FUNCTION product_search_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('SELECT refresh_product_search(array(SELECT DISTINCT %I FROM changed))', TG_ARGV[0]);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER products_search_insert AFTER INSERT ON products
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION product_search_changed('id');
CREATE TRIGGER products_search_update AFTER UPDATE ON products
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION product_search_changed('id');
CREATE TRIGGER prices_search_insert AFTER INSERT ON product_channel_prices
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION product_search_changed('product_id');
CREATE TRIGGER prices_search_update AFTER UPDATE ON product_channel_prices
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION product_search_changed('product_id');
CREATE TRIGGER prices_search_delete AFTER DELETE ON product_channel_prices
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION product_search_changed('product_id');
CREATE TRIGGER values_search_insert AFTER INSERT ON product_attribute_values
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION product_search_changed('product_id');
CREATE TRIGGER values_search_update AFTER UPDATE ON product_attribute_values
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION product_search_changed('product_id');
CREATE TRIGGER values_search_delete AFTER DELETE ON product_attribute_values
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION product_search_changed('product_id');

SELECT refresh_product_search(array_agg(id)) FROM products;

-- +goose Down
DROP TRIGGER values_search_delete ON product_attribute_values;
DROP TRIGGER values_search_update ON product_attribute_values;
DROP TRIGGER values_search_insert ON product_attribute_values;
DROP TRIGGER prices_search_delete ON product_channel_prices;
DROP TRIGGER prices_search_update ON product_channel_prices;
DROP TRIGGER prices_search_insert ON product_channel_prices;
DROP TRIGGER products_search_update ON products;
DROP TRIGGER products_search_insert ON products;
DROP FUNCTION product_search_changed();
DROP FUNCTION refresh_product_search(text[]);
DROP TABLE product_search;
