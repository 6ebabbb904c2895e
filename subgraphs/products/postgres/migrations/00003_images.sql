-- +goose Up
-- Uploads handed out and not confirmed yet: the object is at object_key
-- (under uploads/) once the client has PUT it.
CREATE TABLE product_image_uploads (
    id           text PRIMARY KEY,
    product_id   text NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    object_key   text NOT NULL,
    filename     text NOT NULL,
    content_type text NOT NULL,
    size_bytes   bigint NOT NULL,
    expires_at   timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Confirmed images. position is 0, 1, 2, … per product (kept without gaps
-- by the store); thumbnails are [{size, key, width, height, contentType}].
CREATE TABLE product_images (
    id           text PRIMARY KEY,
    product_id   text NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    object_key   text NOT NULL,
    content_type text NOT NULL,
    width        int NOT NULL,
    height       int NOT NULL,
    size_bytes   bigint NOT NULL,
    alt          text NOT NULL DEFAULT '',
    position     int NOT NULL,
    thumbnails   jsonb NOT NULL DEFAULT '[]',
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX product_images_product_position ON product_images (product_id, position);

-- +goose Down
DROP TABLE product_images;
DROP TABLE product_image_uploads;
