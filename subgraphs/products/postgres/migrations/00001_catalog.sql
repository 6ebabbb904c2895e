-- +goose Up
CREATE TABLE products (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    price_minor bigint NOT NULL CHECK (price_minor >= 0),
    currency    text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reviews (
    id         text PRIMARY KEY,
    product_id text NOT NULL REFERENCES products (id),
    -- A user of the users subgraph: its database is not ours, so no foreign key.
    author_id  text NOT NULL,
    rating     int NOT NULL CHECK (rating BETWEEN 1 AND 5),
    body       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Pages of a product's or an author's reviews walk these in id order.
CREATE INDEX reviews_product_id_id ON reviews (product_id, id);
CREATE INDEX reviews_author_id_id ON reviews (author_id, id);

-- +goose Down
DROP TABLE reviews;
DROP TABLE products;
