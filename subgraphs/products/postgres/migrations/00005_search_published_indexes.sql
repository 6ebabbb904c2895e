-- +goose Up
-- Shoppers only see published documents, and at scale most of a category
-- or brand can be drafts or scheduled (in the demo catalog at scale 500,
-- about three in four). These partial indexes answer the category or brand
-- and the publication date together, so a search visits only rows a
-- shopper may see: text + category + price at 100,000 products went from
-- ~19 ms to ~7 ms for the matching step. The plain indexes stay for staff.
CREATE INDEX product_search_category_published ON product_search (channel, category_id, published_at)
    WHERE status = 'PUBLISHED';
CREATE INDEX product_search_brand_published ON product_search (channel, brand_id, published_at)
    WHERE status = 'PUBLISHED';

-- +goose Down
DROP INDEX product_search_brand_published;
DROP INDEX product_search_category_published;
